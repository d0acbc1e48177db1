import { FortiManagerError, isFortiManagerError } from './errors.js';
import { abortableDelay } from '../fortigate/http.js';
import { Mutex } from './mutex.js';
import {
  parseAdom,
  parseLockInfo,
  parseMembers,
  parsePackage,
  parseSystemStatus,
  parseTask,
  parseWhereUsed,
  parseWorkspaceMode,
} from './parse.js';
import { JsonRpcTransport } from './transport.js';
import type { CallOptions, RpcAnswer, TransportOptions } from './transport.js';
import type {
  AdomInfo,
  FmgSystemStatus,
  GroupTable,
  ListOptions,
  LockInfo,
  ObjectEntry,
  ObjectTable,
  PolicyPackage,
  TaskStatus,
  Usage,
  WorkspaceMode,
} from './types.js';
import { adomUrl, memberUrl, objectUrl, packageUrl, policyUrl, whereUsedObj, workspaceUrl } from './urls.js';

export interface FortiManagerClientOptions extends TransportOptions {
  /** The ADOM whose objects this client manages (`global` for the global database). */
  adom: string;
}

export interface WaitOptions {
  timeoutMs: number;
  /** First poll delay; doubles up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  onProgress?: (task: TaskStatus) => void;
}

const READ: CallOptions = { idempotent: true };
const ONCE: CallOptions = { idempotent: false };

/**
 * A FortiManager JSON-RPC client for one ADOM: objects, member edits, workspace locks, installs.
 * Never logs; errors and request events hold urls and codes, never a session, key or password.
 */
export class FortiManagerClient {
  readonly adom: string;
  private readonly transport: JsonRpcTransport;
  private readonly workspaceLock = new Mutex();
  private inWorkspace = false;

  constructor(private readonly options: FortiManagerClientOptions) {
    this.adom = options.adom;
    this.transport = new JsonRpcTransport(options);
  }

  /** Logs out (FMG releases the session's locks) and releases the sockets. */
  close(): Promise<void> {
    return this.transport.close();
  }

  async systemStatus(): Promise<FmgSystemStatus> {
    const answer = await this.call('get', { url: 'sys/status' }, READ);
    return parseSystemStatus(answer.data) ?? this.malformed('get', 'sys/status');
  }

  async adomInfo(): Promise<AdomInfo> {
    const url = adomUrl(this.adom);
    const answer = await this.call('get', { url }, READ);
    return parseAdom(answer.data) ?? this.malformed('get', url);
  }

  /** The workspace mode that applies to this ADOM (`per-adom` resolved through the ADOM). */
  async workspaceMode(): Promise<WorkspaceMode> {
    const url = 'cli/global/system/global';
    const answer = await this.call('get', { url, fields: ['workspace-mode', 'adom-status'] }, READ);
    const global = parseWorkspaceMode(
      (answer.data as Record<string, unknown> | undefined)?.['workspace-mode'],
    );
    if (global === undefined) return this.malformed('get', url);
    if (global !== 'per-adom') return global;
    const adom = await this.call('get', { url: adomUrl(this.adom), fields: ['workspace_mode'] }, READ);
    const mode = parseWorkspaceMode((adom.data as Record<string, unknown> | undefined)?.workspace_mode);
    return mode === 'per-adom' || mode === undefined ? this.malformed('get', adomUrl(this.adom)) : mode;
  }

  // ---- objects ----

  async list<T extends ObjectTable>(table: T, options: ListOptions = {}): Promise<ObjectEntry<T>[]> {
    const params: Record<string, unknown> = { url: objectUrl(this.adom, table) };
    if (options.filter) params.filter = options.filter;
    if (options.fields) params.fields = options.fields;
    if (options.range) params.range = options.range;
    const answer = await this.call('get', params, READ);
    return Array.isArray(answer.data) ? (answer.data as ObjectEntry<T>[]) : [];
  }

  /** One object, or undefined when it does not exist. */
  async get<T extends ObjectTable>(table: T, name: string): Promise<ObjectEntry<T> | undefined> {
    try {
      const answer = await this.call('get', { url: objectUrl(this.adom, table, name) }, READ);
      return answer.data as ObjectEntry<T>;
    } catch (err) {
      if (isFortiManagerError(err, 'not-found')) return undefined;
      throw err;
    }
  }

  /** Creates; `exists` when the name is taken (addresses and groups share one name space). */
  async add<T extends ObjectTable>(table: T, entry: ObjectEntry<T>): Promise<void> {
    await this.call('add', { url: objectUrl(this.adom, table), data: entry }, ONCE);
  }

  /** Creates or overwrites as a whole (safe to repeat). */
  async set<T extends ObjectTable>(table: T, entry: ObjectEntry<T>): Promise<void> {
    await this.call('set', { url: objectUrl(this.adom, table), data: entry }, READ);
  }

  /** Changes the fields given; `patch.name` renames (references follow). */
  async update<T extends ObjectTable>(table: T, name: string, patch: Partial<ObjectEntry<T>>): Promise<void> {
    await this.call('update', { url: objectUrl(this.adom, table, name), data: patch }, READ);
  }

  /** `in-use` while a group or policy references it. Not repeated: a repeat would answer not-found. */
  async delete(table: ObjectTable, name: string): Promise<void> {
    await this.call('delete', { url: objectUrl(this.adom, table, name) }, ONCE);
  }

  async listMembers(table: GroupTable, group: string): Promise<string[]> {
    const answer = await this.call('get', { url: memberUrl(this.adom, table, group) }, READ);
    return parseMembers(answer.data);
  }

  /** Appends members through `…/member`, leaving the others alone (no read-modify-write). */
  async addMembers(table: GroupTable, group: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.call('add', { url: memberUrl(this.adom, table, group), data: [...names] }, ONCE);
  }

  async removeMembers(table: GroupTable, group: string, names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.call('delete', { url: memberUrl(this.adom, table, group), data: [...names] }, ONCE);
  }

  /** Replaces the whole member list in one write (when that is smaller than the edits). */
  async setMembers(table: GroupTable, group: string, names: readonly string[]): Promise<void> {
    await this.update(table, group, { member: [...names] } as Partial<ObjectEntry<typeof table>>);
  }

  /** Who uses the object (groups, policies of every package), through FMG's where-used search. */
  async whereUsed(table: ObjectTable, name: string, pollMs = 200, attempts = 50): Promise<Usage[]> {
    const start = await this.call(
      'exec',
      {
        url: 'cache/search/where/used/start',
        data: { mkey: name, obj: whereUsedObj(this.adom, table), flags: ['direct used'] },
      },
      ONCE,
    );
    const token = (start.data as { token?: unknown } | undefined)?.token;
    if (token === undefined) return this.malformed('exec', 'cache/search/where/used/start');
    for (let i = 0; i < attempts; i++) {
      const summary = await this.call(
        'exec',
        { url: 'cache/search/where/used/get/summary', data: { token } },
        READ,
      );
      if (Number((summary.data as { percent?: unknown } | undefined)?.percent) >= 100) break;
      await abortableDelay(pollMs, this.options.signal);
    }
    const detail = await this.call(
      'exec',
      { url: 'cache/search/where/used/get/detail', data: { token } },
      READ,
    );
    return parseWhereUsed(detail.data);
  }

  // ---- workspace ----

  async lockInfo(): Promise<LockInfo | undefined> {
    const answer = await this.call('get', { url: workspaceUrl(this.adom, 'lockinfo') }, READ);
    return parseLockInfo(answer.data);
  }

  async lock(): Promise<void> {
    try {
      await this.call('exec', { url: workspaceUrl(this.adom, 'lock') }, ONCE);
    } catch (err) {
      if (!isFortiManagerError(err, 'locked')) throw err;
      const holder = await this.lockInfo().catch(() => undefined);
      throw new FortiManagerError(
        `ADOM ${this.adom} is locked by ${holder?.user ?? 'another administrator'}` +
          (holder?.since ? ` since ${new Date(holder.since).toISOString()}` : ''),
        { ...err, kind: 'locked', lockedBy: holder && { user: holder.user, since: holder.since } },
      );
    }
  }

  async commit(): Promise<void> {
    await this.call('exec', { url: workspaceUrl(this.adom, 'commit') }, ONCE);
  }

  /** Unlocking twice is harmless, so a transport failure is retried. */
  async unlock(): Promise<void> {
    await this.call('exec', { url: workspaceUrl(this.adom, 'unlock') }, READ);
  }

  /**
   * Runs `fn` as one change: in `normal` mode lock → fn → commit → unlock, the unlock in a
   * `finally` (a failure discards the uncommitted writes); in `disabled` mode just fn. Calls of
   * one client never overlap here (a lock belongs to the session, which they share). `workflow`
   * mode is refused: it needs an approver for every change.
   */
  withWorkspace<R>(fn: () => Promise<R>, mode?: WorkspaceMode): Promise<R> {
    return this.withLazyWorkspace(async (begin) => {
      await begin();
      return fn();
    }, mode);
  }

  /**
   * As withWorkspace, but the lock is taken only when `fn` calls `begin` (before its first write;
   * repeated calls share the one lock), and committed only if it was taken: a change that turns
   * out to write nothing never locks the ADOM.
   */
  async withLazyWorkspace<R>(
    fn: (begin: () => Promise<void>) => Promise<R>,
    mode?: WorkspaceMode,
  ): Promise<R> {
    return this.workspaceLock.run(async () => {
      const current = mode ?? (await this.workspaceMode());
      if (current === 'disabled') return fn(() => Promise.resolve());
      if (current === 'workflow') {
        throw new FortiManagerError(
          `ADOM ${this.adom} is in workflow mode; fortisync does not start workflow sessions`,
          {
            kind: 'workflow-unsupported',
            method: 'exec',
            url: workspaceUrl(this.adom, 'lock'),
          },
        );
      }
      let locked: Promise<void> | undefined;
      const begin = (): Promise<void> =>
        (locked ??= this.lock().then(() => {
          this.inWorkspace = true;
        }));
      try {
        const result = await fn(begin);
        if (locked) await this.commit();
        return result;
      } finally {
        if (this.inWorkspace) {
          this.inWorkspace = false;
          await this.unlock().catch(() => undefined);
        }
      }
    });
  }

  /**
   * After a crash between lock and commit: releases a lock that `ownUser` (this cluster's own
   * API admin) holds. Answers whether a lock was released; someone else's lock is left alone.
   */
  async releaseStaleLock(ownUser: string): Promise<boolean> {
    const info = await this.lockInfo();
    if (!info || info.user !== ownUser) return false;
    await this.unlock();
    return true;
  }

  /** Logs out a session left behind by a crashed process; FMG drops its locks and changes. */
  logoutStaleSession(session: string): Promise<void> {
    return this.transport.logoutSession(session);
  }

  // ---- packages and installs ----

  async packages(): Promise<PolicyPackage[]> {
    const answer = await this.call('get', { url: packageUrl(this.adom) }, READ);
    return (Array.isArray(answer.data) ? answer.data : []).map(parsePackage).filter((p) => p !== undefined);
  }

  async policies(pkg: string): Promise<Record<string, unknown>[]> {
    const answer = await this.call('get', { url: policyUrl(this.adom, pkg) }, READ);
    return Array.isArray(answer.data) ? (answer.data as Record<string, unknown>[]) : [];
  }

  /** Starts an install of `pkg` (to `scope`, or all its targets) and answers the task id. */
  async installPackage(
    pkg: string,
    scope?: readonly { name: string; vdom: string }[],
    flags: readonly string[] = ['none'],
  ): Promise<number> {
    const data: Record<string, unknown> = { adom: this.adom, pkg, flags: [...flags] };
    if (scope) data.scope = scope.map((s) => ({ ...s }));
    const answer = await this.call('exec', { url: 'securityconsole/install/package', data }, ONCE);
    const task = Number((answer.data as { task?: unknown } | undefined)?.task);
    return Number.isInteger(task) ? task : this.malformed('exec', 'securityconsole/install/package');
  }

  async task(id: number): Promise<TaskStatus> {
    const url = `task/task/${id}`;
    const answer = await this.call('get', { url }, READ);
    return parseTask(id, answer.data) ?? this.malformed('get', url);
  }

  /** Polls the task until `percent` reaches 100; `timeout` when it takes longer than `timeoutMs`. */
  async waitForTask(id: number, options: WaitOptions): Promise<TaskStatus> {
    const now = this.options.now ?? Date.now;
    const deadline = now() + options.timeoutMs;
    let pause = options.pollMs ?? 2_000;
    for (;;) {
      const status = await this.task(id);
      options.onProgress?.(status);
      if (status.finished) return status;
      if (now() + pause > deadline) {
        throw new FortiManagerError(
          `task ${id} did not finish within ${options.timeoutMs} ms (at ${status.percent} %)`,
          {
            kind: 'timeout',
            method: 'get',
            url: `task/task/${id}`,
          },
        );
      }
      await abortableDelay(pause, this.options.signal);
      pause = Math.min(pause * 2, options.maxPollMs ?? 10_000);
    }
  }

  private call(method: string, params: Record<string, unknown>, options: CallOptions): Promise<RpcAnswer> {
    // Inside a lock a fresh session would not hold it: -11 then ends the change instead.
    return this.transport.call(method, params, this.inWorkspace ? { ...options, noRelogin: true } : options);
  }

  private malformed(method: string, url: string): never {
    throw new FortiManagerError(`${method} ${url}: unexpected answer shape`, {
      kind: 'malformed',
      method,
      url,
    });
  }
}
