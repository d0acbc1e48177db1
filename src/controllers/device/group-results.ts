import {
  addressKey,
  desiredGroupsNamed,
  groupKey,
  isAddressWrite,
  isGroupOp,
  type DesiredDeviceState,
  type Plan,
} from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';
import type { GroupSyncState } from './sync-state.js';

/** The per-group results after a sync, and the group keys whose result changed. */
export interface GroupResults {
  groups: Map<string, GroupSyncState>;
  changed: Set<string>;
}

/**
 * Pure: each desired group's result after a sync — failed with its problem, or in sync since the
 * sync that last wrote it. Frozen (dry-run, suspended) groups keep their previous result; a group
 * no mapping wants any more is dropped. `touched` are the groups this sync wrote.
 */
export function groupResults(
  before: ReadonlyMap<string, GroupSyncState>,
  desired: DesiredDeviceState,
  problems: ReadonlyMap<string, Problem>,
  touched: ReadonlySet<string>,
  now: string,
  names?: ReadonlySet<string>,
): GroupResults {
  const groups = new Map(before);
  const changed = new Set<string>();
  // A scoped sync (issue 19) can change only its groups' results: the others stay as they were.
  const candidates = names ? desiredGroupsNamed(desired, names) : desired.groups;
  for (const [key, g] of candidates) {
    const prev = before.get(key);
    if (prev?.plannedOps) changed.add(key); // dry-run previews live in mapping status
    if (g.frozen) continue;
    const problem = problems.get(key);
    const lastSyncTime = problem
      ? prev?.lastSyncTime
      : touched.has(key) || !prev?.lastSyncTime
        ? now
        : prev.lastSyncTime;
    const next: GroupSyncState = {
      ok: !problem,
      ...(problem ? { problem } : {}),
      ...(lastSyncTime ? { lastSyncTime } : {}),
      ...(prev?.plannedOps ? { plannedOps: prev.plannedOps } : {}),
    };
    if (
      !prev ||
      prev.ok !== next.ok ||
      prev.problem?.message !== next.problem?.message ||
      prev.lastSyncTime !== next.lastSyncTime
    ) {
      changed.add(key);
    }
    groups.set(key, next);
  }
  for (const key of before.keys()) {
    if (!desired.groups.has(key)) {
      groups.delete(key);
      changed.add(key);
    }
  }
  for (const rel of desired.releasing.values())
    for (const f of rel.families) changed.add(groupKey(f, rel.group));
  return { groups, changed };
}

/**
 * Groups a plan writes, directly or through the addresses they hold; `names` limits the search to
 * a scoped plan's groups (its addresses belong to no other group).
 */
export function touchedGroups(
  p: Plan,
  desired: DesiredDeviceState,
  names?: ReadonlySet<string>,
): Set<string> {
  const touched = new Set<string>();
  const changedAddresses = new Set<string>();
  for (const op of p.ops) {
    if (isGroupOp(op)) {
      touched.add(groupKey(op.family, op.name));
    } else if (isAddressWrite(op)) {
      changedAddresses.add(addressKey(op.address.family, op.address.name));
    }
  }
  if (changedAddresses.size > 0) {
    for (const [key, g] of names ? desiredGroupsNamed(desired, names) : desired.groups) {
      for (const m of g.members) if (changedAddresses.has(addressKey(g.family, m))) touched.add(key);
    }
  }
  return touched;
}
