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

/**
 * Minimal, ordered FortiOS operations that turn the observed device into the desired one:
 * addresses are created before they join a group, members leave before addresses are deleted, and
 * members fortisync does not own are never touched. An empty plan means the device is in sync.
 */
export function plan(desired: DesiredDeviceState, observed: ObservedDeviceState, opts: PlanOptions): Plan {
  const problems: Plan['problems'] = new Map();
  const isOurs = (family: IPFamily, name: string): boolean =>
    observed.addresses.has(addressKey(family, name));
  const oursIn = (g: ObservedGroup): string[] => g.members.filter((m) => isOurs(g.family, m));
  const foreignIn = (g: ObservedGroup): string[] =>
    g.members.filter((m) => m !== PLACEHOLDER && !isOurs(g.family, m));

  // Addresses that frozen (suspended or dry-run) groups hold stay, whatever else happens.
  const protectedAddresses = new Set<string>();
  for (const [key, g] of desired.groups) {
    if (!g.frozen) continue;
    const o = observed.groups.get(key);
    for (const m of o ? oursIn(o) : []) protectedAddresses.add(addressKey(g.family, m));
  }

  // Members each live group will hold; limits turn additions off (removals still happen: fail closed).
  const wanted = new Map<string, Set<string>>();
  const liveGroups = [...desired.groups.entries()].filter(([, g]) => !g.frozen && !g.orphanOnRelease);
  for (const [key, g] of liveGroups) wanted.set(key, new Set(g.members));

  const wantedAddressKeys = (): Set<string> => {
    const keys = new Set(protectedAddresses);
    for (const [key, members] of wanted) {
      const fam = (desired.groups.get(key) as DesiredGroup).family;
      for (const m of members) keys.add(addressKey(fam, m));
    }
    return keys;
  };

  if (opts.maxAddresses !== undefined && wantedAddressKeys().size > opts.maxAddresses) {
    for (const [key, g] of liveGroups) {
      const o = observed.groups.get(key);
      const current = new Set(o ? oursIn(o) : []);
      const kept = new Set([...g.members].filter((m) => current.has(m)));
      if (kept.size !== g.members.size) {
        problems.set(key, {
          reason: 'AddressLimitReached',
          message: `fortisync may own at most ${opts.maxAddresses} addresses on this device (spec.limits.maxAddresses); new members of ${g.name} are held back`,
        });
      }
      wanted.set(key, kept);
    }
  }
  if (opts.maxMembersPerGroup !== undefined) {
    for (const [key, g] of liveGroups) {
      const o = observed.groups.get(key);
      const members = wanted.get(key) as Set<string>;
      const total = members.size + (o ? foreignIn(o).length : 0);
      if (total > opts.maxMembersPerGroup) {
        const current = new Set(o ? oursIn(o) : []);
        wanted.set(key, new Set([...members].filter((m) => current.has(m))));
        problems.set(key, {
          reason: 'MemberLimitReached',
          message: `group ${g.name} would hold ${total} members, more than spec.limits.maxMembersPerGroup (${opts.maxMembersPerGroup}); new members are held back`,
        });
      }
    }
  }

  const ops: PlanOp[] = [];
  const needed = wantedAddressKeys();

  // 1. Addresses first, so every member exists before a group names it.
  // (Sorting only the few operations, not the thousands of keys, keeps a sync cheap at scale.)
  const addressOps: [string, PlanOp][] = [];
  for (const key of needed) {
    const want = desired.addresses.get(key);
    if (!want) continue; // protected address of a frozen group
    const have = observed.addresses.get(key);
    if (!have) addressOps.push([key, { op: 'createAddress', address: want }]);
    else if (have.ip !== want.ip || have.comment !== want.comment)
      addressOps.push([key, { op: 'updateAddress', address: want }]);
  }
  ops.push(...sortedByKey(addressOps));

  // 2. Group membership: one write per group that differs.
  const groupOps: PlanOp[] = [];
  const handled = new Set<string>();
  for (const [key, g] of [...desired.groups.entries()].sort(([a], [b]) => byName(a, b))) {
    handled.add(key);
    if (g.frozen) continue;
    const o = observed.groups.get(key);
    if (g.orphanOnRelease) {
      if (!o) continue;
      const foreign = foreignIn(o);
      const ours = isOwnedBy(o.comment, opts.clusterName);
      const removed = oursIn(o);
      if (removed.length === 0 && !ours) continue;
      groupOps.push({
        op: 'setGroupMembers',
        family: g.family,
        name: g.name,
        members: foreign.length ? foreign : [PLACEHOLDER],
        added: [],
        removed,
        ...(ours ? { comment: releasedComment(o.comment, opts.clusterName) } : {}),
      });
      continue;
    }
    const members = [...(wanted.get(key) as Set<string>)].sort(byName);
    if (!o) {
      groupOps.push({
        op: 'createGroup',
        family: g.family,
        name: g.name,
        members: members.length ? members : [PLACEHOLDER],
        comment: groupComment(opts.clusterName),
        added: members,
      });
      continue;
    }
    const wantSet = new Set(members);
    const kept = o.members.filter((m) => m !== PLACEHOLDER && (!isOurs(g.family, m) || wantSet.has(m)));
    const keptSet = new Set(kept);
    const added = members.filter((m) => !keptSet.has(m));
    let next = [...kept, ...added];
    if (next.length === 0) next = [PLACEHOLDER];
    if (sameMembers(next, o.members)) continue;
    const removed = oursIn(o).filter((m) => !wantSet.has(m));
    groupOps.push({ op: 'setGroupMembers', family: g.family, name: g.name, members: next, added, removed });
  }

  // Groups no mapping feeds: our members leave; a group we created and left empty is deleted.
  for (const [key, o] of [...observed.groups.entries()].sort(([a], [b]) => byName(a, b))) {
    if (handled.has(key)) continue;
    const ours = oursIn(o);
    const foreign = foreignIn(o);
    const createdByUs = isOwnedBy(o.comment, opts.clusterName);
    if (createdByUs && foreign.length === 0) {
      groupOps.push({ op: 'deleteGroup', family: o.family, name: o.name, removed: ours });
    } else if (ours.length > 0) {
      groupOps.push({
        op: 'setGroupMembers',
        family: o.family,
        name: o.name,
        members: foreign.length ? foreign : [PLACEHOLDER],
        added: [],
        removed: ours,
      });
    }
  }
  ops.push(...groupOps);

  // 3. Addresses nothing wants any more go last, once no group of ours names them.
  const deleteOps: [string, PlanOp][] = [];
  for (const [key, have] of observed.addresses) {
    if (!needed.has(key))
      deleteOps.push([key, { op: 'deleteAddress', family: have.family, name: have.name }]);
  }
  ops.push(...sortedByKey(deleteOps));
  return { ops, problems };
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
