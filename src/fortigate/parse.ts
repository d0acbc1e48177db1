import type {
  CmdbTable,
  FortiAddress,
  FortiAddress6,
  FortiAddressGroup,
  FortiPolicy,
  MemberRef,
  SystemStatus,
  TableEntry,
  EntryMeta,
  WriteResult,
} from './types.js';

/** The fields of a FortiOS reply envelope the client uses; every one may be missing. */
export interface Envelope {
  status?: string;
  httpStatus?: number;
  vdom?: string;
  results?: unknown;
  mkey?: string | number;
  revision?: string;
  oldRevision?: string;
  revisionChanged?: boolean;
  error?: number;
  cliError?: string;
  version?: string;
  build?: number;
  serial?: string;
  size?: number;
  matchedCount?: number;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function readEnvelope(value: unknown): Envelope | undefined {
  if (!isRecord(value)) return undefined;
  const mkey = value.mkey;
  return {
    status: str(value.status),
    httpStatus: num(value.http_status),
    vdom: str(value.vdom),
    results: value.results,
    mkey: typeof mkey === 'string' || typeof mkey === 'number' ? mkey : undefined,
    revision: str(value.revision),
    oldRevision: str(value.old_revision),
    revisionChanged: typeof value.revision_changed === 'boolean' ? value.revision_changed : undefined,
    error: num(value.error),
    cliError: str(value.cli_error),
    version: str(value.version),
    build: num(value.build),
    serial: str(value.serial),
    size: num(value.size),
    matchedCount: num(value.matched_count),
  };
}

/** A body may be one envelope or, for `vdom=*` / `vdom=a,b`, an array of one per VDOM. */
export function readEnvelopes(value: unknown): Envelope[] {
  if (Array.isArray(value)) return value.map(readEnvelope).filter((e): e is Envelope => e !== undefined);
  const one = readEnvelope(value);
  return one ? [one] : [];
}

export function writeResultOf(envelope: Envelope | undefined): WriteResult {
  return {
    mkey: envelope?.mkey,
    revision: envelope?.revision,
    oldRevision: envelope?.oldRevision,
    revisionChanged: envelope?.revisionChanged,
  };
}

function members(value: unknown): MemberRef[] {
  // 6.x answered a single object where an array was expected in some builds.
  const list = Array.isArray(value) ? value : isRecord(value) ? [value] : [];
  return list.flatMap((item) => {
    const name = isRecord(item) ? str(item.name) : str(item);
    return name === undefined ? [] : [{ name }];
  });
}

function meta(raw: Json): EntryMeta {
  const out: EntryMeta = {};
  const origin = str(raw.q_origin_key);
  if (origin !== undefined) out.q_origin_key = origin;
  const ref = num(raw.q_ref);
  if (ref !== undefined) out.q_ref = ref;
  if (typeof raw.q_static === 'boolean') out.q_static = raw.q_static;
  return out;
}

function optional<T extends object>(target: T, key: keyof T & string, value: unknown): void {
  if (value !== undefined) (target as Record<string, unknown>)[key] = value;
}

export function parseAddress(raw: unknown): FortiAddress | undefined {
  if (!isRecord(raw)) return undefined;
  const name = str(raw.name) ?? str(raw.q_origin_key);
  if (name === undefined) return undefined;
  const out: FortiAddress = {
    ...meta(raw),
    name,
    type: str(raw.type) ?? 'ipmask',
    comment: str(raw.comment) ?? '',
    color: num(raw.color) ?? 0,
  };
  optional(out, 'subnet', str(raw.subnet));
  optional(out, 'start-ip', str(raw['start-ip']));
  optional(out, 'end-ip', str(raw['end-ip']));
  optional(out, 'fqdn', str(raw.fqdn));
  optional(out, 'uuid', str(raw.uuid));
  optional(out, 'associated-interface', str(raw['associated-interface']));
  optional(out, 'allow-routing', str(raw['allow-routing']));
  return out;
}

export function parseAddress6(raw: unknown): FortiAddress6 | undefined {
  if (!isRecord(raw)) return undefined;
  const name = str(raw.name) ?? str(raw.q_origin_key);
  if (name === undefined) return undefined;
  const out: FortiAddress6 = {
    ...meta(raw),
    name,
    type: str(raw.type) ?? 'ipprefix',
    comment: str(raw.comment) ?? '',
    color: num(raw.color) ?? 0,
  };
  optional(out, 'ip6', str(raw.ip6));
  optional(out, 'start-ip', str(raw['start-ip']));
  optional(out, 'end-ip', str(raw['end-ip']));
  optional(out, 'fqdn', str(raw.fqdn));
  optional(out, 'uuid', str(raw.uuid));
  return out;
}

export function parseAddressGroup(raw: unknown): FortiAddressGroup | undefined {
  if (!isRecord(raw)) return undefined;
  const name = str(raw.name) ?? str(raw.q_origin_key);
  if (name === undefined) return undefined;
  const out: FortiAddressGroup = {
    ...meta(raw),
    name,
    member: members(raw.member),
    comment: str(raw.comment) ?? '',
    color: num(raw.color) ?? 0,
  };
  optional(out, 'uuid', str(raw.uuid));
  optional(out, 'exclude', str(raw.exclude));
  if (raw['exclude-member'] !== undefined) out['exclude-member'] = members(raw['exclude-member']);
  return out;
}

export function parsePolicy(raw: unknown): FortiPolicy | undefined {
  if (!isRecord(raw)) return undefined;
  const policyid = num(raw.policyid) ?? num(raw.q_origin_key);
  if (policyid === undefined) return undefined;
  return {
    ...meta(raw),
    policyid,
    name: str(raw.name) ?? '',
    srcaddr: members(raw.srcaddr),
    dstaddr: members(raw.dstaddr),
    srcaddr6: members(raw.srcaddr6),
    dstaddr6: members(raw.dstaddr6),
    action: str(raw.action) ?? '',
    status: str(raw.status) ?? '',
    comments: str(raw.comments) ?? '',
  };
}

export function parseEntry<T extends CmdbTable>(table: T, raw: unknown): TableEntry<T> | undefined {
  switch (table) {
    case 'firewall/address':
      return parseAddress(raw) as TableEntry<T> | undefined;
    case 'firewall/address6':
      return parseAddress6(raw) as TableEntry<T> | undefined;
    case 'firewall/addrgrp':
    case 'firewall/addrgrp6':
      return parseAddressGroup(raw) as TableEntry<T> | undefined;
    default:
      return parsePolicy(raw) as TableEntry<T> | undefined;
  }
}

/** `results` is an array for lists and single GETs alike; tolerate a bare object too. */
export function parseEntries<T extends CmdbTable>(table: T, results: unknown): TableEntry<T>[] {
  const list = Array.isArray(results) ? results : results === undefined || results === null ? [] : [results];
  return list.map((raw) => parseEntry(table, raw)).filter((e): e is TableEntry<T> => e !== undefined);
}

export function parseMembers(results: unknown): MemberRef[] {
  return members(results);
}

/** A monitor reply: version, serial and build at the top, model and hostname under `results`. */
export function parseSystemStatus(value: unknown): SystemStatus | undefined {
  if (!isRecord(value)) return undefined;
  const results = isRecord(value.results) ? value.results : {};
  const version = str(value.version);
  if (version === undefined) return undefined;
  return {
    version,
    build: num(value.build) ?? 0,
    serial: str(value.serial) ?? '',
    ...(str(value.vdom) !== undefined ? { vdom: str(value.vdom) } : {}),
    hostname: str(results.hostname) ?? '',
    model: str(results.model) ?? '',
    modelName: str(results.model_name) ?? '',
    modelNumber: str(results.model_number) ?? '',
  };
}

export function parseTransactionId(results: unknown): number | undefined {
  if (isRecord(results)) return num(results['transaction-id']) ?? num(results.transaction_id);
  return num(results);
}
