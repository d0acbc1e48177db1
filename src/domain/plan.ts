import { groupComment, isOwnedBy, ownershipMarker } from './naming.js';
import {
  addressKey,
  groupKey,
  isAddressWrite,
  isGroupOp,
  PLACEHOLDER,
  sameMembers,
  type DesiredDeviceState,
  type DesiredGroup,
  type ObservedDeviceState,
  type ObservedGroup,
  type Plan,
  type PlanOp,
} from './model.js';
import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';

export interface PlanOptions {
  clusterName: string;
  maxAddresses?: number;
  maxMembersPerGroup?: number;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortedByKey(keyed: [string, PlanOp][]): PlanOp[] {
  return keyed.sort(([a], [b]) => byName(a, b)).map(([, op]) => op);
}

/** The comment a released (Orphan) group keeps: ours without the marker, so no cluster owns it. */
export function releasedComment(comment: string, clusterName: string): string {
  const rest = comment.replace(ownershipMarker(clusterName), '').trim();
  return `released by fortisync cluster ${clusterName}${rest ? `: ${rest}` : ''}`.slice(0, 255);
}

/** Which members of the device's groups are fortisync's (its addresses, as last read). */
interface Ownership {
  isOurs(family: IPFamily, name: string): boolean;
  oursIn(g: ObservedGroup): string[];
  foreignIn(g: ObservedGroup): string[];
}

function ownership(observed: ObservedDeviceState): Ownership {
  const isOurs = (family: IPFamily, name: string): boolean =>
    observed.addresses.has(addressKey(family, name));
  return {
    isOurs,
    oursIn: (g) => g.members.filter((m) => isOurs(g.family, m)),
    foreignIn: (g) => g.members.filter((m) => m !== PLACEHOLDER && !isOurs(g.family, m)),
  };
}

/** What every step of one plan computation shares. */
interface Planning {
  desired: DesiredDeviceState;
  observed: ObservedDeviceState;
  opts: PlanOptions;
  own: Ownership;
  /** Members each live group will hold (group key → names), after the limits. */
  wanted: Map<string, Set<string>>;
  /** Addresses that frozen (suspended or dry-run) groups hold stay, whatever else happens. */
  protectedAddresses: Set<string>;
  /** Live groups: neither frozen nor being released. */
  liveGroups: [string, DesiredGroup][];
  problems: Plan['problems'];
}

/**
 * Minimal, ordered FortiOS operations that turn the observed device into the desired one:
 * addresses are created before they join a group, members leave before addresses are deleted, and
 * members fortisync does not own are never touched. An empty plan means the device is in sync.
 */
export function plan(desired: DesiredDeviceState, observed: ObservedDeviceState, opts: PlanOptions): Plan {
  const own = ownership(observed);
  const protectedAddresses = new Set<string>();
  for (const [key, g] of desired.groups) {
    if (!g.frozen) continue;
    const o = observed.groups.get(key);
    for (const m of o ? own.oursIn(o) : []) protectedAddresses.add(addressKey(g.family, m));
  }
  const liveGroups = [...desired.groups.entries()].filter(([, g]) => !g.frozen && !g.orphanOnRelease);
  const p: Planning = {
    desired,
    observed,
    opts,
    own,
    wanted: new Map(liveGroups.map(([key, g]) => [key, new Set(g.members)])),
    protectedAddresses,
    liveGroups,
    problems: new Map(),
  };
  // Limits turn additions off (removals still happen: fail closed).
  applyAddressLimit(p);
  applyMemberLimit(p);
  const needed = wantedAddressKeys(p);
  const ops: PlanOp[] = [
    // 1. Addresses first, so every member exists before a group names it.
    ...addressWrites(p, needed),
    // 2. Group membership: one write per group that differs; then groups no mapping feeds.
    ...desiredGroupWrites(p),
    ...unfedGroupWrites(p),
    // 3. Addresses nothing wants any more go last, once no group of ours names them.
    ...addressDeletes(p, needed),
  ];
  return { ops, problems: p.problems };
}

function wantedAddressKeys(p: Planning): Set<string> {
  const keys = new Set(p.protectedAddresses);
  for (const [key, members] of p.wanted) {
    const fam = (p.desired.groups.get(key) as DesiredGroup).family;
    for (const m of members) keys.add(addressKey(fam, m));
  }
  return keys;
}

/** Members a group holds now (of ours): what it may keep when a limit holds new ones back. */
function currentMembers(p: Planning, key: string): Set<string> {
  const o = p.observed.groups.get(key);
  return new Set(o ? p.own.oursIn(o) : []);
}

function applyAddressLimit(p: Planning): void {
  const max = p.opts.maxAddresses;
  if (max === undefined || wantedAddressKeys(p).size <= max) return;
  for (const [key, g] of p.liveGroups) {
    const current = currentMembers(p, key);
    const kept = new Set([...g.members].filter((m) => current.has(m)));
    if (kept.size !== g.members.size) {
      p.problems.set(key, {
        reason: 'AddressLimitReached',
        message: `fortisync may own at most ${max} addresses on this device (spec.limits.maxAddresses); new members of ${g.name} are held back`,
      });
    }
    p.wanted.set(key, kept);
  }
}

function applyMemberLimit(p: Planning): void {
  const max = p.opts.maxMembersPerGroup;
  if (max === undefined) return;
  for (const [key, g] of p.liveGroups) {
    const o = p.observed.groups.get(key);
    const members = p.wanted.get(key) as Set<string>;
    const total = members.size + (o ? p.own.foreignIn(o).length : 0);
    if (total <= max) continue;
    const current = currentMembers(p, key);
    p.wanted.set(key, new Set([...members].filter((m) => current.has(m))));
    p.problems.set(key, {
      reason: 'MemberLimitReached',
      message: `group ${g.name} would hold ${total} members, more than spec.limits.maxMembersPerGroup (${max}); new members are held back`,
    });
  }
}

/** Creates and fixes. (Sorting only the few operations, not the thousands of keys, keeps a sync cheap.) */
function addressWrites(p: Planning, needed: Set<string>): PlanOp[] {
  const ops: [string, PlanOp][] = [];
  for (const key of needed) {
    const want = p.desired.addresses.get(key);
    if (!want) continue; // protected address of a frozen group
    const have = p.observed.addresses.get(key);
    if (!have) ops.push([key, { op: 'createAddress', address: want }]);
    else if (have.ip !== want.ip || have.comment !== want.comment)
      ops.push([key, { op: 'updateAddress', address: want }]);
  }
  return sortedByKey(ops);
}

function desiredGroupWrites(p: Planning): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const [key, g] of [...p.desired.groups.entries()].sort(([a], [b]) => byName(a, b))) {
    if (g.frozen) continue;
    const o = p.observed.groups.get(key);
    const op = g.orphanOnRelease
      ? o && releaseWrite(p, g, o)
      : groupWrite(p, g, o, [...(p.wanted.get(key) as Set<string>)].sort(byName));
    if (op) ops.push(op);
  }
  return ops;
}

/** A group every mapping left with deletionPolicy Orphan: our members leave, the group stays. */
function releaseWrite(p: Planning, g: DesiredGroup, o: ObservedGroup): PlanOp | undefined {
  const foreign = p.own.foreignIn(o);
  const ours = isOwnedBy(o.comment, p.opts.clusterName, o.name);
  const removed = p.own.oursIn(o);
  if (removed.length === 0 && !ours) return undefined;
  return {
    op: 'setGroupMembers',
    family: g.family,
    name: g.name,
    members: foreign.length ? foreign : [PLACEHOLDER],
    added: [],
    removed,
    ...(ours ? { comment: releasedComment(o.comment, p.opts.clusterName) } : {}),
  };
}

function groupWrite(
  p: Planning,
  g: DesiredGroup,
  o: ObservedGroup | undefined,
  members: string[],
): PlanOp | undefined {
  if (!o) {
    return {
      op: 'createGroup',
      family: g.family,
      name: g.name,
      members: members.length ? members : [PLACEHOLDER],
      comment: groupComment(p.opts.clusterName, g.name),
      added: members,
    };
  }
  const wantSet = new Set(members);
  const kept = o.members.filter((m) => m !== PLACEHOLDER && (!p.own.isOurs(g.family, m) || wantSet.has(m)));
  const keptSet = new Set(kept);
  const added = members.filter((m) => !keptSet.has(m));
  let next = [...kept, ...added];
  if (next.length === 0) next = [PLACEHOLDER];
  if (sameMembers(next, o.members)) return undefined;
  const removed = p.own.oursIn(o).filter((m) => !wantSet.has(m));
  return { op: 'setGroupMembers', family: g.family, name: g.name, members: next, added, removed };
}

/** Groups no mapping feeds: our members leave; a group we created and left empty is deleted. */
function unfedGroupWrites(p: Planning): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const [key, o] of [...p.observed.groups.entries()].sort(([a], [b]) => byName(a, b))) {
    if (p.desired.groups.has(key)) continue;
    const ours = p.own.oursIn(o);
    const foreign = p.own.foreignIn(o);
    if (isOwnedBy(o.comment, p.opts.clusterName, o.name) && foreign.length === 0) {
      ops.push({ op: 'deleteGroup', family: o.family, name: o.name, removed: ours });
    } else if (ours.length > 0) {
      ops.push({
        op: 'setGroupMembers',
        family: o.family,
        name: o.name,
        members: foreign.length ? foreign : [PLACEHOLDER],
        added: [],
        removed: ours,
      });
    }
  }
  return ops;
}

function addressDeletes(p: Planning, needed: Set<string>): PlanOp[] {
  const ops: [string, PlanOp][] = [];
  for (const [key, have] of p.observed.addresses) {
    if (!needed.has(key)) ops.push([key, { op: 'deleteAddress', family: have.family, name: have.name }]);
  }
  return sortedByKey(ops);
}

/** The operations of a plan that concern one group (dry-run previews in a mapping's status). */
export function opsForGroup(p: Plan, family: IPFamily, group: string, desired: DesiredDeviceState): PlanOp[] {
  const g = desired.groups.get(groupKey(family, group));
  const members = g?.members ?? new Set<string>();
  const touched = new Set<string>();
  const mine: PlanOp[] = [];
  for (const op of p.ops) {
    if (isGroupOp(op) && op.family === family && op.name === group) {
      mine.push(op);
      for (const m of 'added' in op ? op.added : []) touched.add(m);
      for (const m of 'removed' in op ? op.removed : []) touched.add(m);
    }
  }
  for (const op of p.ops) {
    if (isAddressWrite(op) && op.address.family === family && members.has(op.address.name)) {
      mine.unshift(op);
    }
    if (op.op === 'deleteAddress' && op.family === family && touched.has(op.name)) mine.push(op);
  }
  return mine;
}
