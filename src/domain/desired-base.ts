import { desiredDeviceState, type DesiredContext, type MembersOf, type TargetInput } from './desired.js';
import {
  addressKey,
  groupKeysNamed,
  storedAddressKey,
  type DesiredAddress,
  type DesiredDeviceState,
} from './model.js';
import type { ClusterView, MappingInput } from './selection.js';

/**
 * A device's desired state kept between syncs and recomputed group by group (issue 19): a pod
 * event changes the members of a few mappings, and only the groups those mappings feed need a new
 * look. Everything a group's desired state depends on is its claimants (the mappings targeting the
 * device with that group: admission, group ownership and members are decided among them), the
 * device spec, the namespaces and nodes; the caller starts afresh (`fullBase`) when any of the
 * latter changes.
 */
export interface DesiredBase {
  state: DesiredDeviceState;
  /** Group name → keys of every mapping targeting the device with that group (refused ones too). */
  claimants: Map<string, Set<string>>;
  /** Mapping key → the group it claims. */
  groupOf: Map<string, string>;
  /** Address key → how many live mappings want it (node addresses are shared between groups). */
  addressRefs: Map<string, number>;
}

/** What an update recomputed: the scope of the plan that follows. */
export interface BaseUpdate {
  /** Group names recomputed. */
  groups: Set<string>;
  /** Address keys some recomputed mapping wanted before or wants now. */
  addresses: Set<string>;
  /** Keys of the mappings recomputed (the changed ones and every claimant of their groups). */
  mappings: Set<string>;
}

/** The base of the whole desired state (the mappings are those targeting the device). */
export function fullBase(state: DesiredDeviceState, targeting: readonly MappingInput[]): DesiredBase {
  const base: DesiredBase = { state, claimants: new Map(), groupOf: new Map(), addressRefs: new Map() };
  for (const m of targeting) claim(base, m.key, m.spec.addressGroup);
  for (const members of state.live?.values() ?? []) countLive(base, members, +1);
  return base;
}

/**
 * Recomputes the groups the changed mappings claimed or claim now, with all their claimants, and
 * puts them into the base (changed in place). `current` finds a mapping targeting the device by key
 * (undefined: gone, or no longer targeting it).
 */
export function updateBase(
  base: DesiredBase,
  changed: ReadonlySet<string>,
  current: (key: string) => MappingInput | undefined,
  compute: { device: TargetInput; view: ClusterView; membersOf?: MembersOf; ctx?: DesiredContext },
): BaseUpdate {
  const groups = new Set<string>();
  for (const key of changed) {
    const before = base.groupOf.get(key);
    if (before !== undefined) groups.add(before);
    unclaim(base, key);
    const now = current(key);
    if (now) {
      groups.add(now.spec.addressGroup);
      claim(base, key, now.spec.addressGroup);
    }
  }
  const claimantKeys = [...groups].flatMap((g) => [...(base.claimants.get(g) ?? [])]);
  const addresses = new Set<string>();
  // A mapping gone (or no longer targeting the device) is no claimant any more: forget it too.
  const mappings = new Set([...changed, ...claimantKeys]);
  for (const key of mappings) forget(base, key, addresses);
  for (const key of groupKeysNamed(groups)) base.state.groups.delete(key);
  const inputs = claimantKeys.map(current).filter((m): m is MappingInput => m !== undefined);
  const part = desiredDeviceState(compute.device, inputs, compute.view, compute.membersOf, compute.ctx);
  merge(base, part, addresses);
  return { groups, addresses, mappings };
}

function claim(base: DesiredBase, key: string, group: string): void {
  base.groupOf.set(key, group);
  let set = base.claimants.get(group);
  if (!set) {
    set = new Set();
    base.claimants.set(group, set);
  }
  set.add(key);
}

function unclaim(base: DesiredBase, key: string): void {
  const group = base.groupOf.get(key);
  if (group === undefined) return;
  base.groupOf.delete(key);
  const set = base.claimants.get(group);
  set?.delete(key);
  if (set?.size === 0) base.claimants.delete(group);
}

/** Takes a mapping's part out of the state; the addresses it wanted go into `touched`. */
function forget(base: DesiredBase, key: string, touched: Set<string>): void {
  const { state } = base;
  const live = state.live?.get(key);
  if (live) {
    for (const a of live) touched.add(addressKey(a.family, a.name));
    countLive(base, live, -1);
  }
  state.live?.delete(key);
  state.frozenMappings?.delete(key);
  state.refused?.delete(key);
  state.releasing.delete(key);
}

function merge(base: DesiredBase, part: DesiredDeviceState, touched: Set<string>): void {
  const { state } = base;
  for (const [key, g] of part.groups) state.groups.set(key, g);
  for (const [key, r] of part.releasing) state.releasing.set(key, r);
  for (const [key, p] of part.refused ?? []) (state.refused ??= new Map()).set(key, p);
  for (const [key, f] of part.frozenMappings ?? []) (state.frozenMappings ??= new Map()).set(key, f);
  for (const [key, members] of part.live ?? []) {
    (state.live ??= new Map()).set(key, members);
    countLive(base, members, +1);
    for (const a of members) touched.add(addressKey(a.family, a.name));
  }
  for (const [key, a] of part.addresses) state.addresses.set(key, a);
}

/**
 * Counts a live mapping's wanted addresses in or out; an address nobody wants any more leaves the
 * state. (A mapping's members are of its own families only: mappingMembers makes no others.)
 */
function countLive(base: DesiredBase, members: readonly DesiredAddress[], by: 1 | -1): void {
  for (const a of members) {
    const key = addressKey(a.family, a.name);
    const n = (base.addressRefs.get(key) ?? 0) + by;
    // A new entry keeps the shared key (an existing entry keeps the key it has).
    if (n > 0) base.addressRefs.set(n === 1 && by === 1 ? storedAddressKey(a.family, a.name) : key, n);
    else {
      base.addressRefs.delete(key);
      base.state.addresses.delete(key);
    }
  }
}
