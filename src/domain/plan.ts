import { groupComment, isOwnedBy, ownershipMarker } from './naming.js';
import {
  addressKey,
  desiredGroupsNamed,
  groupKeysNamed,
  isAddressWrite,
  isGroupOp,
  PLACEHOLDER,
  sameMembers,
  type Contribution,
  type DesiredDeviceState,
  type DesiredGroup,
  type ObservedDeviceState,
  type ObservedGroup,
  type Plan,
  type PlanOp,
} from './model.js';
import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ValidDeviceSpec } from '../api/v1alpha1/validation.js';

export interface PlanOptions {
  clusterName: string;
  maxAddresses?: number;
  maxMembersPerGroup?: number;
  maxAddressesPerNamespace?: number;
}

/** The plan's options from a device spec: its cluster and the limits it sets. */
export function planOptions(spec: Pick<ValidDeviceSpec, 'clusterName' | 'limits'>): PlanOptions {
  return {
    clusterName: spec.clusterName,
    ...(spec.limits?.maxAddresses !== undefined ? { maxAddresses: spec.limits.maxAddresses } : {}),
    ...(spec.limits?.maxMembersPerGroup !== undefined
      ? { maxMembersPerGroup: spec.limits.maxMembersPerGroup }
      : {}),
    ...(spec.limits?.maxAddressesPerNamespace !== undefined
      ? { maxAddressesPerNamespace: spec.limits.maxAddressesPerNamespace }
      : {}),
  };
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

function ownership(observed: ObservedDeviceState, few = false): Ownership {
  let isOurs = (family: IPFamily, name: string): boolean => observed.addresses.has(addressKey(family, name));
  if (!few) {
    // Names per family, built once: a full plan asks for every member of every group several
    // times, and a key string per question was a large share of a sync's time (issue 19).
    const names = { IPv4: new Set<string>(), IPv6: new Set<string>() };
    for (const a of observed.addresses.values()) names[a.family].add(a.name);
    isOurs = (family, name) => names[family].has(name);
  }
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
  /** Addresses that frozen (suspended or dry-run) groups or mappings hold stay, whatever else happens. */
  protectedAddresses: Set<string>;
  /** Live groups: neither frozen nor being released. */
  liveGroups: [string, DesiredGroup][];
  problems: Plan['problems'];
  mappingProblems: Map<string, { reason: string; message: string }>;
}

/**
 * Minimal, ordered FortiOS operations that turn the observed device into the desired one:
 * addresses are created before they join a group, members leave before addresses are deleted, and
 * members fortisync does not own are never touched. An empty plan means the device is in sync.
 */
export function plan(desired: DesiredDeviceState, observed: ObservedDeviceState, opts: PlanOptions): Plan {
  const own = ownership(observed);
  const liveGroups = [...desired.groups.entries()].filter(([, g]) => !g.frozen && !g.orphanOnRelease);
  const p: Planning = {
    desired,
    observed,
    opts,
    own,
    wanted: new Map(),
    protectedAddresses: new Set(),
    liveGroups,
    problems: new Map(),
    mappingProblems: new Map(),
  };
  protectFrozen(p);
  // Limits turn additions off (removals still happen: fail closed). A namespace over its quota
  // holds back only its own new members; the device-wide limits then apply to everyone.
  const contributions = applyNamespaceLimit(p);
  for (const [key, g] of liveGroups) p.wanted.set(key, wantedMembers(p, key, g, contributions.get(key)));
  applyAddressLimit(p);
  applyMemberLimit(p);
  const needed = wantedAddressKeys(p);
  const ops: PlanOp[] = [
    // 1. Addresses first, so every member exists before a group names it.
    ...addressWrites(p, needed),
    // 2. Group membership: one write per group that differs; then groups no mapping feeds.
    ...desiredGroupWrites(p, p.desired.groups),
    ...unfedGroupWrites(p, p.observed.groups),
    // 3. Addresses nothing wants any more go last, once no group of ours names them.
    ...addressDeletes(p, p.observed.addresses.keys(), needed),
  ];
  return { ops, problems: p.problems, mappingProblems: p.mappingProblems };
}

/** Of a frozen mapping's own members, those the group holds now: it keeps them and adds none. */
function heldNow(p: Planning, key: string, g: DesiredGroup): Set<string> {
  const held = new Set<string>();
  if (!g.held?.length) return held;
  const current = currentMembers(p, key);
  for (const h of g.held ?? []) for (const m of h.members) if (current.has(m)) held.add(m);
  return held;
}

/** A wholly frozen group keeps all our members; a live one what its frozen mappings hold. */
function protectFrozen(p: Planning): void {
  for (const [key, g] of p.desired.groups) {
    const o = p.observed.groups.get(key);
    const kept = g.frozen ? (o ? p.own.oursIn(o) : []) : g.orphanOnRelease ? [] : heldNow(p, key, g);
    for (const m of kept) p.protectedAddresses.add(addressKey(g.family, m));
  }
}

function wantedMembers(
  p: Planning,
  key: string,
  g: DesiredGroup,
  contributions: readonly Contribution[] | undefined,
): Set<string> {
  const wanted = heldNow(p, key, g);
  if (!contributions) for (const m of g.members) wanted.add(m);
  else for (const c of contributions) for (const m of c.members) wanted.add(m);
  return wanted;
}

/** Addresses each namespace's live mappings want on the device (a shared node address counts for each). */
function addressesByNamespace(p: Planning): Map<string, Set<string>> {
  const byNs = new Map<string, Set<string>>();
  for (const [, g] of p.liveGroups) {
    for (const c of g.contributions ?? []) {
      const set = byNs.get(c.namespace) ?? new Set<string>();
      for (const m of c.members) set.add(addressKey(g.family, m));
      byNs.set(c.namespace, set);
    }
  }
  return byNs;
}

/**
 * spec.limits.maxAddressesPerNamespace: the contributions of a namespace over it keep only members
 * their group holds already; the problem goes to that namespace's mappings held back, nobody else.
 * Returns the contributions per group key (undefined: no quota, take the groups' members).
 */
function applyNamespaceLimit(p: Planning): Map<string, Contribution[]> {
  const max = p.opts.maxAddressesPerNamespace;
  const out = new Map<string, Contribution[]>();
  if (max === undefined) return out;
  const over = new Map([...addressesByNamespace(p)].filter(([, set]) => set.size > max));
  for (const [key, g] of p.liveGroups) {
    const current = currentMembers(p, key);
    out.set(
      key,
      (g.contributions ?? []).map((c) => {
        const used = over.get(c.namespace);
        if (!used) return c;
        const kept = new Set([...c.members].filter((m) => current.has(m)));
        if (kept.size < c.members.size) {
          p.mappingProblems.set(c.mapping, {
            reason: 'NamespaceAddressLimitReached',
            message: `the mappings of namespace ${c.namespace} would use ${used.size} addresses on this device, more than spec.limits.maxAddressesPerNamespace (${max}); new members of ${g.name} are held back. Narrow the selectors, or ask the cluster admin for a higher limit`,
          });
        }
        return { ...c, members: kept };
      }),
    );
  }
  return out;
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
    const members = p.wanted.get(key) as Set<string>;
    const kept = new Set([...members].filter((m) => current.has(m)));
    if (kept.size !== members.size) {
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

/** One write per group that differs, in group-key order (only the writes are sorted, not every group). */
function desiredGroupWrites(p: Planning, groups: Iterable<[string, DesiredGroup]>): PlanOp[] {
  const ops: [string, PlanOp][] = [];
  for (const [key, g] of groups) {
    if (g.frozen) continue;
    const o = p.observed.groups.get(key);
    const op = g.orphanOnRelease
      ? o && releaseWrite(p, g, o)
      : groupWrite(p, g, o, [...(p.wanted.get(key) as Set<string>)].sort(byName));
    if (op) ops.push([key, op]);
  }
  return sortedByKey(ops);
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
function unfedGroupWrites(p: Planning, observedGroups: Iterable<[string, ObservedGroup]>): PlanOp[] {
  const ops: [string, PlanOp][] = [];
  for (const [key, o] of observedGroups) {
    if (p.desired.groups.has(key)) continue;
    const ours = p.own.oursIn(o);
    const foreign = p.own.foreignIn(o);
    if (isOwnedBy(o.comment, p.opts.clusterName, o.name) && foreign.length === 0) {
      ops.push([key, { op: 'deleteGroup', family: o.family, name: o.name, removed: ours }]);
    } else if (ours.length > 0) {
      ops.push([
        key,
        {
          op: 'setGroupMembers',
          family: o.family,
          name: o.name,
          members: foreign.length ? foreign : [PLACEHOLDER],
          added: [],
          removed: ours,
        },
      ]);
    }
  }
  return sortedByKey(ops);
}

function addressDeletes(p: Planning, candidates: Iterable<string>, needed: Set<string>): PlanOp[] {
  const ops: [string, PlanOp][] = [];
  for (const key of candidates) {
    const have = p.observed.addresses.get(key);
    if (have && !needed.has(key))
      ops.push([key, { op: 'deleteAddress', family: have.family, name: have.name }]);
  }
  return sortedByKey(ops);
}

/** The groups (by name) and addresses (by key) a scoped plan looks at; everything else is in sync. */
export interface PlanScope {
  groups: ReadonlySet<string>;
  addresses: ReadonlySet<string>;
}

/** A scoped plan is the full plan only without limits and with nothing frozen (see planScoped). */
export function scopedPlanApplies(desired: DesiredDeviceState, opts: PlanOptions): boolean {
  return (
    opts.maxAddresses === undefined &&
    opts.maxMembersPerGroup === undefined &&
    opts.maxAddressesPerNamespace === undefined &&
    (desired.frozenMappings?.size ?? 0) === 0
  );
}

/**
 * The operations of `plan` that concern these groups and addresses, at a cost that depends on them
 * alone, not on the device's size (issue 19). The caller vouches that every other group and address
 * is in sync, and that `scopedPlanApplies`: with no limit and nothing frozen, a group wants exactly
 * its members and an address is needed exactly when some live mapping wants it (desired.addresses).
 */
export function planScoped(
  desired: DesiredDeviceState,
  observed: ObservedDeviceState,
  opts: PlanOptions,
  scope: PlanScope,
): Plan {
  const keys = groupKeysNamed(scope.groups);
  const desiredGroups = desiredGroupsNamed(desired, scope.groups);
  const p: Planning = {
    desired,
    observed,
    opts,
    own: ownership(observed, true),
    wanted: new Map(),
    protectedAddresses: new Set(),
    liveGroups: desiredGroups.filter(([, g]) => !g.frozen && !g.orphanOnRelease),
    problems: new Map(),
    mappingProblems: new Map(),
  };
  for (const [key, g] of p.liveGroups) p.wanted.set(key, wantedMembers(p, key, g, undefined));
  // Ours in these groups on the device may be leaving: a frozen mapping's held members, say.
  const candidates = new Set(scope.addresses);
  for (const k of keys) {
    const o = observed.groups.get(k);
    if (!o) continue;
    for (const m of p.own.oursIn(o)) candidates.add(addressKey(o.family, m));
  }
  const needed = new Set([...candidates].filter((k) => desired.addresses.has(k)));
  const unfed = keys.flatMap((k) => {
    const o = observed.groups.get(k);
    return o && !desired.groups.has(k) ? [[k, o] as [string, ObservedGroup]] : [];
  });
  const ops = [
    ...addressWrites(p, needed),
    ...desiredGroupWrites(p, desiredGroups),
    ...unfedGroupWrites(p, unfed),
    ...addressDeletes(p, candidates, needed),
  ];
  return { ops, problems: p.problems, mappingProblems: p.mappingProblems };
}

/** One mapping's own part of a plan: its group, its members (for dry-run previews in its status). */
export interface OwnPart {
  group: string;
  families: readonly IPFamily[];
  /** Address keys (family/name) the mapping wants or holds. */
  members: ReadonlySet<string>;
}

/**
 * The operations of a plan that concern one mapping's own members: other mappings' members never
 * appear (a namespace editor sees only its own), not even in the member lists of group writes.
 */
export function opsForMapping(p: Plan, own: OwnPart): PlanOp[] {
  const mine = (family: IPFamily, names: readonly string[]): string[] =>
    names.filter((n) => own.members.has(addressKey(family, n)));
  const addresses: PlanOp[] = [];
  const groups: PlanOp[] = [];
  const deletes: PlanOp[] = [];
  for (const op of p.ops) {
    if (isGroupOp(op)) {
      if (op.name !== own.group || !own.families.includes(op.family)) continue;
      if (op.op === 'deleteGroup') groups.push({ ...op, removed: mine(op.family, op.removed) });
      else if (op.op === 'createGroup')
        groups.push({ ...op, members: mine(op.family, op.members), added: mine(op.family, op.added) });
      else {
        const added = mine(op.family, op.added);
        const removed = mine(op.family, op.removed);
        if (added.length || removed.length)
          groups.push({ ...op, members: mine(op.family, op.members), added, removed });
      }
    } else if (isAddressWrite(op)) {
      if (own.members.has(addressKey(op.address.family, op.address.name))) addresses.push(op);
    } else if (own.members.has(addressKey(op.family, op.name))) deletes.push(op);
  }
  return [...addresses, ...groups, ...deletes];
}
