import { FortiOSError, type FortiOSErrorKind, type HttpMethod } from '../../fortigate/errors.js';
import type { ListOptions } from '../../fortigate/client.js';
import type {
  CmdbTable,
  CreateBody,
  GroupTable,
  SystemStatus,
  TableEntry,
  UpdateBody,
  WritableTable,
  WriteResult,
} from '../../fortigate/types.js';
import {
  isFortiManagerError,
  type FortiManagerClient,
  type FortiManagerErrorKind,
  type ObjectTable,
} from '../../fortimanager/index.js';
import type { FortiOSApi } from '../device/fortios-api.js';
import { fmgListOptions } from './list-options.js';

/** The part of the FortiManager client the ADOM port uses (a fake fills it in unit tests). */
export type AdomClient = Pick<
  FortiManagerClient,
  'adom' | 'list' | 'get' | 'add' | 'update' | 'delete' | 'addMembers' | 'removeMembers' | 'close'
>;

/** FMG error kinds as the plan executor knows them (FortiOS's); the rest are device-wide or `other`. */
const KIND_MAP: Partial<Record<FortiManagerErrorKind, FortiOSErrorKind>> = {
  unreachable: 'unreachable',
  tls: 'tls',
  timeout: 'timeout',
  aborted: 'aborted',
  server: 'server',
  unauthorized: 'unauthorized',
  'login-failed': 'unauthorized',
  'login-limit': 'locked-out',
  'no-write-permission': 'forbidden',
  exists: 'exists',
  'not-found': 'not-found',
  'in-use': 'in-use',
  'bad-reference': 'bad-reference',
  'parent-missing': 'not-found',
  invalid: 'invalid',
  'empty-group': 'invalid',
};

const METHOD_OF: Record<string, HttpMethod> = { get: 'GET', add: 'POST', delete: 'DELETE' };

/**
 * FortiManager failures as FortiOSErrors, so the plan executor (shared with the FortiGate sync)
 * handles exists / not-found / in-use the same way; the original stays as `cause` for the
 * reconciler (lock holder, workflow mode).
 */
export function asFortiOSError(err: unknown): unknown {
  if (!isFortiManagerError(err)) return err;
  return new FortiOSError(err.message, {
    kind: KIND_MAP[err.kind] ?? 'other',
    method: METHOD_OF[err.method] ?? 'PUT',
    path: err.url,
    ...(err.code !== undefined ? { fortiosCode: err.code } : {}),
    ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
    cause: err,
  });
}

async function translated<R>(call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (err) {
    throw asFortiOSError(err);
  }
}

/** FMG answers an IPv4 subnet as `[ip, mask]`; FortiOS (and the executor) as `"ip mask"`. */
function subnetText(subnet: unknown): string | undefined {
  if (Array.isArray(subnet) && subnet.length === 2) return `${String(subnet[0])} ${String(subnet[1])}`;
  return typeof subnet === 'string' ? subnet.replace('/', ' ') : undefined;
}

function toFortiOS(table: ObjectTable, entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...entry, comment: entry.comment ?? '' };
  if (table === 'firewall/address') out.subnet = subnetText(entry.subnet);
  if (table === 'firewall/addrgrp' || table === 'firewall/addrgrp6') {
    const members = Array.isArray(entry.member) ? (entry.member as unknown[]) : [];
    out.member = members.map((m) => ({ name: String(m) }));
  }
  return out;
}

function toFmg(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  if (Array.isArray(body.member)) out.member = (body.member as { name: string }[]).map((m) => m.name);
  return out;
}

/**
 * An ADOM's object database behind the FortiOSApi port the device sync uses (ADR 0003: one
 * desired state, one plan, one executor for both kinds). Only the address and group tables exist
 * here: firewall policies live in policy packages, so policy reads answer empty.
 */
export class AdomObjects implements FortiOSApi {
  constructor(private readonly client: AdomClient) {}

  systemStatus(): Promise<SystemStatus> {
    return Promise.reject(new Error('systemStatus is read from FortiManager by the target reconciler'));
  }

  async list<T extends CmdbTable>(table: T, options: ListOptions = {}): Promise<TableEntry<T>[]> {
    if (table === 'firewall/policy') return [];
    // Filtered and narrowed on FMG where it can be; ownership is still decided on the exact marker.
    const entries = await translated(() => this.client.list(table as ObjectTable, fmgListOptions(options)));
    return entries.map((e) => toFortiOS(table as ObjectTable, e) as unknown as TableEntry<T>);
  }

  async get<T extends CmdbTable>(table: T, name: string): Promise<TableEntry<T> | undefined> {
    if (table === 'firewall/policy') return undefined;
    const entry = await translated(() => this.client.get(table as ObjectTable, name));
    return entry && (toFortiOS(table as ObjectTable, entry) as unknown as TableEntry<T>);
  }

  async create<T extends WritableTable>(table: T, entry: CreateBody<T>): Promise<WriteResult> {
    const body = toFmg(entry as Record<string, unknown>);
    await translated(() => this.client.add(table, body as never));
    return {};
  }

  async update<T extends WritableTable>(table: T, name: string, patch: UpdateBody<T>): Promise<WriteResult> {
    const body = toFmg(patch as Record<string, unknown>);
    await translated(() => this.client.update(table, name, body as never));
    return {};
  }

  async delete(table: WritableTable, name: string): Promise<WriteResult> {
    await translated(() => this.client.delete(table, name));
    return {};
  }

  async addMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    await translated(() => this.client.addMembers(table, group, [member]));
    return {};
  }

  async removeMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    await translated(() => this.client.removeMembers(table, group, [member]));
    return {};
  }

  /** FortiManager has no FortiOS-style lockout guard; failed logins cool down in the transport. */
  authBlockedUntilMs(): number {
    return 0;
  }

  close(): void {
    void this.client.close().catch(() => undefined);
  }
}

/** The FortiManager error behind a translated one (lock holder, workflow mode), if any. */
export function fmgCause(err: unknown): { kind: FortiManagerErrorKind; message: string } | undefined {
  if (isFortiManagerError(err)) return err;
  if (err instanceof FortiOSError && isFortiManagerError(err.cause)) return err.cause;
  return undefined;
}
