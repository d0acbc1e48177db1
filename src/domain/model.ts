import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { sharedString } from './shared-string.js';

export const familyOfIp = (ip: string): IPFamily => (ip.includes(':') ? 'IPv6' : 'IPv4');

/** IP text in one canonical form, so `fd00:0::5` and `fd00::5` compare equal to what FortiOS returns. */
export function canonicalIp(ip: string): string {
  // The WHATWG URL parser writes IPv6 hosts in RFC 5952 form (compressed, lower case).
  return familyOfIp(ip) === 'IPv6' ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The built-in placeholder FortiOS keeps in a group that would otherwise be empty. */
export const PLACEHOLDER = 'none';

/** An address object fortisync wants on a device. */
export interface DesiredAddress {
  name: string;
  family: IPFamily;
  ip: string;
  comment: string;
  node?: string;
  pod?: string;
}

/** What one mapping puts into one group (member names of the group's family). */
export interface Contribution {
  /** Mapping key (namespace/name). */
  mapping: string;
  namespace: string;
  members: ReadonlySet<string>;
}

/** A group fortisync feeds on a device: the union of what every mapping targeting it wants. */
export interface DesiredGroup {
  name: string;
  family: IPFamily;
  /** Names of our address objects that live (neither suspended nor dry-run) mappings want in it. */
  members: Set<string>;
  /** Mapping keys (namespace/name) feeding this group, live or frozen. */
  mappings: string[];
  /** Each live mapping's own members (quotas and attribution); `members` is their union. */
  contributions?: Contribution[];
  /**
   * Suspended or dry-run mappings' own members: kept while the group holds them, never added
   * (a frozen mapping adds nothing and removes nothing of its own).
   */
  held?: Contribution[];
  /** No live mapping feeds it and none is leaving it (or the device is frozen): leave it untouched. */
  frozen: boolean;
  /** Set when every mapping feeding it is being deleted with deletionPolicy Orphan. */
  orphanOnRelease: boolean;
}

/** A suspended or dry-run mapping, as the device state holds it. */
export interface FrozenMapping {
  group: string;
  families: IPFamily[];
  /** Dry run (the mapping's or the device's): its status shows what a sync would do. */
  preview: boolean;
  /** What it would contribute if it were live (for the preview). */
  members: readonly DesiredAddress[];
  namespace: string;
}

export interface DesiredDeviceState {
  addresses: Map<string, DesiredAddress>;
  groups: Map<string, DesiredGroup>;
  /** Mappings that are being deleted and whose members must leave (for the finalizer's bookkeeping). */
  releasing: Map<string, { group: string; families: IPFamily[]; orphan: boolean }>;
  /** Mappings that contribute nothing to this device, and why (tenancy rules). */
  refused?: Map<string, { reason: string; message: string }>;
  /** Live mappings' contributions (remembered for when they are frozen). */
  live?: Map<string, readonly DesiredAddress[]>;
  /** Suspended or dry-run mappings. */
  frozenMappings?: Map<string, FrozenMapping>;
}

export const groupKey = (family: IPFamily, name: string): string => `${family}/${name}`;

const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/** The keys of these group names in either family: what a scoped sync (ADR 0006) looks at. */
export const groupKeysNamed = (names: Iterable<string>): string[] =>
  [...names].flatMap((name) => FAMILIES.map((f) => groupKey(f, name)));

/** The desired groups with these names, keyed, without a pass over every group. */
export function desiredGroupsNamed(
  desired: DesiredDeviceState,
  names: Iterable<string>,
): [string, DesiredGroup][] {
  return groupKeysNamed(names).flatMap((k) => {
    const g = desired.groups.get(k);
    return g ? [[k, g] as [string, DesiredGroup]] : [];
  });
}

/** Two member lists hold the same names, in any order. */
export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((m) => set.has(m));
}
export const addressKey = (family: IPFamily, name: string): string => `${family}/${name}`;

/**
 * `addressKey` as a shared string, for the keys a map keeps: the desired addresses, their reference
 * counts and the observed addresses then key by one copy of the text (about 90 bytes an address
 * each, issue 19). Lookups use `addressKey`: interning costs more than a lookup saves.
 */
export const storedAddressKey = (family: IPFamily, name: string): string =>
  sharedString(addressKey(family, name));

/** What fortisync last read from (and wrote to) a device. */
export interface ObservedAddress {
  name: string;
  family: IPFamily;
  /** Normalised single IP (subnet /32 or /128), or undefined when the object is not a host address. */
  ip: string | undefined;
  comment: string;
}

export interface ObservedGroup {
  name: string;
  family: IPFamily;
  members: string[];
  comment: string;
}

/**
 * A device's groups that also count, per family, the groups naming each member: whether any group
 * holds an address is then known without a pass over every group (a sync asks before deleting
 * addresses; issue 19). A Map in every other respect; groups are replaced, never changed in place.
 */
export class ObservedGroups extends Map<string, ObservedGroup> {
  /** Created on first use: Map's constructor calls `set` before a field initializer would run. */
  declare private holders: Record<IPFamily, Map<string, number>> | undefined;

  override set(key: string, group: ObservedGroup): this {
    const old = super.get(key);
    if (old) this.count(old, -1);
    super.set(key, group);
    this.count(group, 1);
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (old) this.count(old, -1);
    return super.delete(key);
  }

  override clear(): void {
    this.holders = undefined;
    super.clear();
  }

  /** Some group names this member (of this family). */
  holds(family: IPFamily, name: string): boolean {
    return (this.holders?.[family].get(name) ?? 0) > 0;
  }

  private count(g: ObservedGroup, by: 1 | -1): void {
    const counts = (this.holders ??= { IPv4: new Map(), IPv6: new Map() })[g.family];
    for (const m of g.members) {
      const n = (counts.get(m) ?? 0) + by;
      if (n > 0) counts.set(m, n);
      else counts.delete(m);
    }
  }
}

export interface ObservedDeviceState {
  /** Our addresses only (ownership marker of this cluster). */
  addresses: Map<string, ObservedAddress>;
  /** Every group on the device (to keep foreign members and find groups holding our addresses). */
  groups: Map<string, ObservedGroup>;
}

export type PlanOp =
  | { op: 'createAddress'; address: DesiredAddress }
  | { op: 'updateAddress'; address: DesiredAddress }
  | { op: 'createGroup'; family: IPFamily; name: string; members: string[]; comment: string; added: string[] }
  | {
      op: 'setGroupMembers';
      family: IPFamily;
      name: string;
      members: string[];
      added: string[];
      removed: string[];
      /** New comment when fortisync releases a group it created (Orphan). */
      comment?: string;
    }
  | { op: 'deleteGroup'; family: IPFamily; name: string; removed: string[] }
  | { op: 'deleteAddress'; family: IPFamily; name: string };

export type GroupOp = Extract<PlanOp, { op: 'createGroup' | 'setGroupMembers' | 'deleteGroup' }>;
export type AddressWriteOp = Extract<PlanOp, { op: 'createAddress' | 'updateAddress' }>;

/** The operation writes a group (creates it, sets its members or deletes it). */
export function isGroupOp(op: PlanOp): op is GroupOp {
  return op.op === 'createGroup' || op.op === 'setGroupMembers' || op.op === 'deleteGroup';
}

/** The operation creates or fixes an address. */
export function isAddressWrite(op: PlanOp): op is AddressWriteOp {
  return op.op === 'createAddress' || op.op === 'updateAddress';
}

/** The key (family/name) of the address an operation creates, updates or deletes; undefined for a group's. */
export function addressOfOp(op: Exclude<PlanOp, GroupOp>): string;
export function addressOfOp(op: PlanOp): string | undefined;
export function addressOfOp(op: PlanOp): string | undefined {
  if (isAddressWrite(op)) return addressKey(op.address.family, op.address.name);
  return op.op === 'deleteAddress' ? addressKey(op.family, op.name) : undefined;
}

export interface Plan {
  ops: PlanOp[];
  /** Problems found while planning, per group key (e.g. a limit reached). */
  problems: Map<string, { reason: string; message: string }>;
  /** Problems of single mappings, per mapping key (e.g. their namespace's quota reached). */
  mappingProblems?: Map<string, { reason: string; message: string }>;
}
