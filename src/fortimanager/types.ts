/** ADOM object tables fortisync works with. */
export type ObjectTable = 'firewall/address' | 'firewall/address6' | 'firewall/addrgrp' | 'firewall/addrgrp6';
export type GroupTable = 'firewall/addrgrp' | 'firewall/addrgrp6';

export interface FmgAddress {
  name: string;
  type?: string;
  /** `[ip, mask]` as FMG answers; `a.b.c.d/nn` is accepted on input. */
  subnet?: [string, string] | string;
  comment?: string;
  color?: number;
  uuid?: string;
  [field: string]: unknown;
}

export interface FmgAddress6 {
  name: string;
  ip6?: string;
  comment?: string;
  [field: string]: unknown;
}

export interface FmgGroup {
  name: string;
  member: string[];
  comment?: string;
  [field: string]: unknown;
}

export type ObjectEntry<T extends ObjectTable> = T extends 'firewall/address'
  ? FmgAddress
  : T extends 'firewall/address6'
    ? FmgAddress6
    : FmgGroup;

export interface FmgSystemStatus {
  hostname: string;
  version: { major: number; minor: number; patch: number };
  build?: number;
  serial?: string;
  platform?: string;
}

export type WorkspaceMode = 'disabled' | 'normal' | 'workflow';

export interface AdomInfo {
  name: string;
  /** The FortiOS version the ADOM manages, e.g. `{major: 7, minor: 2}`. */
  version: { major: number; minor: number } | undefined;
}

export interface LockInfo {
  user: string;
  sid?: number;
  /** ms since the epoch. */
  since?: number;
  dirty: boolean;
}

export type FilterCondition = readonly [string, string, ...unknown[]];
/** One condition, or conditions joined by `&&` / `||` (e.g. `[c1, '&&', c2]`). */
export type Filter = FilterCondition | readonly (FilterCondition | '&&' | '||')[];

export interface ListOptions {
  filter?: Filter;
  fields?: readonly string[];
  /** `[offset, count]`. */
  range?: readonly [number, number];
}

export interface Usage {
  attr: string;
  /** `firewall policy`, `firewall addrgrp`, … */
  mappingName: string;
  mkey: string | number;
  pkg?: string;
}

export interface PolicyPackage {
  name: string;
  scope: { name: string; vdom: string }[];
}

export type TaskState =
  | 'pending'
  | 'running'
  | 'cancelling'
  | 'cancelled'
  | 'done'
  | 'error'
  | 'aborting'
  | 'aborted'
  | 'warning'
  | 'to_continue'
  | 'unknown';

export interface TaskLine {
  name: string;
  vdom?: string;
  state: TaskState;
  err: number;
  detail: string;
}

export interface TaskStatus {
  id: number;
  percent: number;
  state: TaskState;
  numErrors: number;
  numWarnings: number;
  lines: TaskLine[];
  /** `percent` reached 100. */
  finished: boolean;
  /** Finished without an error line. */
  succeeded: boolean;
}
