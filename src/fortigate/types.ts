/** The CMDB tables the operator writes (addresses and address groups); all four use `name` as their mkey. */
export type WritableTable =
  'firewall/address' | 'firewall/address6' | 'firewall/addrgrp' | 'firewall/addrgrp6';
export type AddressTable = 'firewall/address' | 'firewall/address6';
export type GroupTable = 'firewall/addrgrp' | 'firewall/addrgrp6';
/** `firewall/policy` is only ever read by the operator (it must never write policies). */
export type CmdbTable = WritableTable | 'firewall/policy';

/** The address family of a table (the same strings as the CRDs' IPFamily). */
export type TableFamily = 'IPv4' | 'IPv6';
export const addressTable = (f: TableFamily): AddressTable =>
  f === 'IPv6' ? 'firewall/address6' : 'firewall/address';
export const groupTable = (f: TableFamily): GroupTable =>
  f === 'IPv6' ? 'firewall/addrgrp6' : 'firewall/addrgrp';

export const WRITABLE_TABLES: readonly WritableTable[] = [
  'firewall/address',
  'firewall/address6',
  'firewall/addrgrp',
  'firewall/addrgrp6',
];

export interface MemberRef {
  name: string;
}

/** Fields FortiOS adds to entries when asked with `with_meta=1`. */
export interface EntryMeta {
  q_origin_key?: string;
  q_ref?: number;
  q_static?: boolean;
}

export interface FortiAddress extends EntryMeta {
  name: string;
  type: string;
  /** `"a.b.c.d m.m.m.m"` as FortiOS returns it. */
  subnet?: string;
  'start-ip'?: string;
  'end-ip'?: string;
  fqdn?: string;
  comment: string;
  color: number;
  uuid?: string;
  'associated-interface'?: string;
  'allow-routing'?: string;
}

export interface FortiAddress6 extends EntryMeta {
  name: string;
  type: string;
  /** `"2001:db8::1/128"`. */
  ip6?: string;
  'start-ip'?: string;
  'end-ip'?: string;
  fqdn?: string;
  comment: string;
  color: number;
  uuid?: string;
}

export interface FortiAddressGroup extends EntryMeta {
  name: string;
  member: MemberRef[];
  comment: string;
  color: number;
  uuid?: string;
  exclude?: string;
  'exclude-member'?: MemberRef[];
}

export interface FortiPolicy extends EntryMeta {
  policyid: number;
  name: string;
  srcaddr: MemberRef[];
  dstaddr: MemberRef[];
  srcaddr6: MemberRef[];
  dstaddr6: MemberRef[];
  action: string;
  status: string;
  comments: string;
}

/** The entry shape a read of each table yields. */
export type TableEntry<T extends CmdbTable> = T extends 'firewall/address'
  ? FortiAddress
  : T extends 'firewall/address6'
    ? FortiAddress6
    : T extends GroupTable
      ? FortiAddressGroup
      : FortiPolicy;

/** What a create sends: the name plus any attribute FortiOS accepts for the table. */
export type CreateBody<T extends WritableTable> = T extends 'firewall/address'
  ? {
      name: string;
      type?: string;
      subnet?: string;
      'start-ip'?: string;
      'end-ip'?: string;
      fqdn?: string;
      comment?: string;
      color?: number;
    }
  : T extends 'firewall/address6'
    ? {
        name: string;
        type?: string;
        ip6?: string;
        'start-ip'?: string;
        'end-ip'?: string;
        fqdn?: string;
        comment?: string;
        color?: number;
      }
    : { name: string; member: MemberRef[]; comment?: string; color?: number };

/** A partial update; a `name` renames the entry. List attributes are replaced wholesale. */
export type UpdateBody<T extends WritableTable> = Partial<CreateBody<T>>;

export interface SystemStatus {
  version: string;
  build: number;
  serial: string;
  /** The VDOM that answered (the envelope's `vdom`), when the device says. */
  vdom?: string;
  hostname: string;
  model: string;
  modelName: string;
  modelNumber: string;
}

/** What a write answers: FortiOS' revision bookkeeping. */
export interface WriteResult {
  mkey?: string | number;
  revision?: string;
  oldRevision?: string;
  revisionChanged?: boolean;
}
