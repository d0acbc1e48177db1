import {
  addressKey,
  desiredGroupsNamed,
  groupKey,
  groupKeysNamed,
  isAddressWrite,
  isGroupOp,
  type DesiredDeviceState,
  type Plan,
} from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';
import type { GroupSyncState } from './sync-state.js';

/**
 * Records each desired group's result after a sync in `groups` (changed in place) and returns the
 * group keys whose result changed: failed with its problem, or in sync since the sync that last
 * wrote it. Frozen (dry-run, suspended) groups keep their previous result; a group no mapping
 * wants any more is dropped. `touched` are the groups this sync wrote. A scoped sync (issue 19)
 * names its groups (`names`): only theirs can change, and nothing else is looked at.
 */
export function recordGroupResults(
  groups: Map<string, GroupSyncState>,
  desired: DesiredDeviceState,
  problems: ReadonlyMap<string, Problem>,
  touched: ReadonlySet<string>,
  now: string,
  names?: ReadonlySet<string>,
): Set<string> {
  const changed = new Set<string>();
  const candidates = names ? desiredGroupsNamed(desired, names) : desired.groups;
  for (const [key, g] of candidates) {
    const prev = groups.get(key);
    if (prev?.plannedOps) changed.add(key); // dry-run previews live in mapping status
    if (g.frozen) continue;
    const next = groupResult(prev, problems.get(key), touched.has(key), now);
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
  const known = names ? groupKeysNamed(names).filter((k) => groups.has(k)) : [...groups.keys()];
  for (const key of known) {
    if (!desired.groups.has(key)) {
      groups.delete(key);
      changed.add(key);
    }
  }
  for (const rel of desired.releasing.values())
    for (const f of rel.families) changed.add(groupKey(f, rel.group));
  return changed;
}

/** One group's result: its problem, or in sync since now if this sync wrote it (or it never was). */
export function groupResult(
  prev: GroupSyncState | undefined,
  problem: Problem | undefined,
  touched: boolean,
  now: string,
): GroupSyncState {
  const lastSyncTime = problem
    ? prev?.lastSyncTime
    : touched || !prev?.lastSyncTime
      ? now
      : prev.lastSyncTime;
  return {
    ok: !problem,
    ...(problem ? { problem } : {}),
    ...(lastSyncTime ? { lastSyncTime } : {}),
    ...(prev?.plannedOps ? { plannedOps: prev.plannedOps } : {}),
  };
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
