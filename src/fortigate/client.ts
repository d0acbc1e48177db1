import { performance } from 'node:perf_hooks';
import pRetry from 'p-retry';
import { AuthGate, AuthHeldError, type AuthOutcome, type AuthTicket } from './auth-gate.js';
import { buildFilterParams } from './filter.js';
import { abortableDelay, DeviceHttp, TransportError } from './http.js';
import type { FilterExpr } from './filter.js';
import {
  FortiOSError,
  classifyHttpFailure,
  classifyTransportError,
  htmlTitle,
  isIdempotent,
  isRetryable,
} from './errors.js';
import type { FortiOSErrorKind, HttpMethod } from './errors.js';
import {
  parseEntries,
  parseJson,
  parseMembers,
  parseSystemStatus,
  parseTransactionId,
  readEnvelopes,
  writeResultOf,
} from './parse.js';
import type { Envelope } from './parse.js';
import { assertUsableMkey, buildPath } from './request-path.js';
import type { EntryTarget } from './request-path.js';
import type {
  WritableTable,
  CmdbTable,
  CreateBody,
  GroupTable,
  MemberRef,
  SystemStatus,
  TableEntry,
  UpdateBody,
  WriteResult,
} from './types.js';
import { parseFortiOSVersion, versionAtLeast } from './version.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  factor: number;
  /** Multiplies each delay by a random factor in [1, 2) so many clients do not retry in step. */
  randomize: boolean;
}

export interface TimeoutOptions {
  connectMs: number;
  /** Time to the first response byte. */
  responseMs: number;
  /** Whole exchange, body included. */
  requestMs: number;
}

/** One HTTP exchange (each retry attempt is its own event); metrics hang on this. */
export interface RequestEvent {
  method: HttpMethod;
  table: string;
  mkey?: string;
  status?: number;
  outcome: 'success' | FortiOSErrorKind;
  durationMs: number;
  attempt: number;
}

export interface FortiGateClientOptions {
  /** `https://fw.example:443`; a path prefix is kept. */
  baseUrl: string;
  /** Sent as `vdom=` on every call; omitted, the admin's default VDOM answers. */
  vdom?: string;
  token: string;
  /** PEM bundle trusted for the device certificate, in addition to nothing else. */
  ca?: string;
  insecureSkipVerify?: boolean;
  timeouts?: Partial<TimeoutOptions>;
  maxSockets?: number;
  retry?: Partial<RetryOptions>;
  /** Aborts every request of this client, including retry waits. */
  signal?: AbortSignal;
  onRequest?: (event: RequestEvent) => void;
  /** How `get(…, {expectExists: true})` re-reads after a 404 (FortiOS may lag right after a create). */
  readAfterWrite?: { attempts: number; delayMs: number };
  /**
   * The lockout guard every request passes (see AuthGate): shared by all clients of a process so
   * failures count per FortiGate host, as FortiOS counts them. Without one, the client has its own.
   */
  authGate?: AuthGate;
  /** With no `authGate`: how long the client's own gate waits after a 401 or 429 (default 31 s). */
  unauthorizedCooldownMs?: number;
  now?: () => number;
  /** Sent as User-Agent, so the FortiGate's logs say which replica asked (default `fortisync`). */
  userAgent?: string;
}

export interface ListOptions {
  /** Inner arrays are ORed, outer ANDed; strings are sent as already formatted filters. */
  filter?: readonly (readonly FilterExpr[])[] | readonly string[];
  /** Only these fields are returned (`format=name|comment`). */
  format?: readonly string[];
  start?: number;
  count?: number;
  /** Adds `q_ref` reference counts to each entry. */
  withMeta?: boolean;
}

export interface GetOptions {
  /** The caller just created it: re-read a few times before believing a 404. */
  expectExists?: boolean;
}

type Query = Record<string, string | string[]>;

/** PUT and DELETE only exist with an mkey: a collection DELETE purges the table. */
type RequestSpec =
  | { method: 'GET'; target: EntryTarget; query?: Query; vdoms?: string }
  | { method: 'POST'; target: EntryTarget; body: unknown; query?: Query }
  | { method: 'PUT'; target: EntryTarget & { mkey: string }; body: unknown; query?: Query }
  | {
      method: 'DELETE';
      target: EntryTarget & ({ mkey: string } | { child: { name: string; mkey: string } });
    };

interface Reply {
  status: number;
  envelopes: Envelope[];
  envelope: Envelope | undefined;
}

const DEFAULT_RETRY: RetryOptions = {
  retries: 3,
  minTimeoutMs: 200,
  maxTimeoutMs: 5_000,
  factor: 2,
  randomize: true,
};
const DEFAULT_TIMEOUTS: TimeoutOptions = { connectMs: 5_000, responseMs: 15_000, requestMs: 30_000 };

const KIND_TEXT: Record<FortiOSErrorKind, string> = {
  unreachable: 'device unreachable',
  tls: 'TLS verification failed',
  unauthorized: 'token refused (401)',
  forbidden: 'not permitted for this API admin (403)',
  'locked-out': 'source locked out after failed logins (429)',
  'not-found': 'no such entry',
  exists: 'an entry with this name already exists',
  'in-use': 'the entry is still referenced',
  'bad-reference': 'refers to an entry that does not exist',
  'table-full': 'the table is full',
  'too-long': 'a value is too long',
  invalid: 'a value was refused',
  timeout: 'timed out',
  server: 'device error',
  aborted: 'aborted',
  other: 'request failed',
};

/** A FortiOS REST API client for one device (and one VDOM). */
export class FortiGateClient {
  private readonly http: DeviceHttp;
  private readonly retry: RetryOptions;
  private readonly readAfterWrite: { attempts: number; delayMs: number };
  private readonly now: () => number;
  private readonly transactionId: number | undefined;
  private token: string;
  private readonly gate: AuthGate;
  private statusCache: Promise<SystemStatus> | undefined;

  constructor(
    private readonly options: FortiGateClientOptions,
    shared?: { http: DeviceHttp; transactionId: number; parent: FortiGateClient },
  ) {
    this.token = options.token;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.readAfterWrite = options.readAfterWrite ?? { attempts: 3, delayMs: 100 };
    this.now = options.now ?? Date.now;
    this.transactionId = shared?.transactionId;
    this.gate =
      shared?.parent.gate ??
      options.authGate ??
      new AuthGate({ retryAfterMs: options.unauthorizedCooldownMs ?? 31_000, now: this.now });
    if (shared) {
      this.http = shared.http;
      this.token = shared.parent.token;
      return;
    }
    this.http = new DeviceHttp({ ...options, timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts } });
  }

  /** Until when (clock of `now`) the lockout guard holds requests of this client; 0 when it holds none. */
  authBlockedUntilMs(): number {
    return this.gate.blockedUntilMs(this.options.baseUrl, this.token);
  }

  /**
   * The token changed (its Secret was updated): the new one is tried with a single request, as
   * soon as the host's failure budget allows (a new token does not undo a refused one's wait).
   */
  setToken(token: string): void {
    this.token = token;
  }

  /** Releases the pooled sockets. */
  close(): void {
    if (this.transactionId === undefined) this.http.close();
  }

  async systemStatus(): Promise<SystemStatus> {
    const reply = await this.send({ method: 'GET', target: { api: 'monitor', table: 'system/status' } });
    const body = reply.envelopes.length > 0 ? reply.rawFirst : undefined;
    const status = parseSystemStatus(body);
    if (!status) throw this.malformed('GET', '/api/v2/monitor/system/status');
    return status;
  }

  async list<T extends CmdbTable>(table: T, options: ListOptions = {}): Promise<TableEntry<T>[]> {
    const reply = await this.send({
      method: 'GET',
      target: { api: 'cmdb', table },
      query: listQuery(options),
    });
    const mine = reply.envelopes.find((e) => e.vdom === this.options.vdom);
    if (mine || reply.envelopes.length === 1)
      return parseEntries(table, (mine ?? reply.envelopes[0])?.results);
    return reply.envelopes.flatMap((e) => parseEntries(table, e.results));
  }

  /** One list per VDOM (`vdom=*` or `vdom=a,b`), keyed by VDOM name. */
  async listByVdom<T extends CmdbTable>(
    table: T,
    vdoms: readonly string[] | '*',
    options: ListOptions = {},
  ): Promise<Map<string, TableEntry<T>[]>> {
    const reply = await this.send({
      method: 'GET',
      target: { api: 'cmdb', table },
      query: listQuery(options),
      vdoms: vdoms === '*' ? '*' : vdoms.join(','),
    });
    return new Map(reply.envelopes.map((e) => [e.vdom ?? '', parseEntries(table, e.results)]));
  }

  async get<T extends CmdbTable>(
    table: T,
    name: string,
    options: GetOptions = {},
  ): Promise<TableEntry<T> | undefined> {
    assertUsableMkey(name);
    const attempts = options.expectExists ? Math.max(1, this.readAfterWrite.attempts + 1) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.send({ method: 'GET', target: { api: 'cmdb', table, mkey: name } });
        return parseEntries(table, reply.envelope?.results)[0];
      } catch (err) {
        if (!(err instanceof FortiOSError) || err.kind !== 'not-found') throw err;
        if (attempt >= attempts) return undefined;
        await abortableDelay(this.readAfterWrite.delayMs * attempt, this.options.signal);
      }
    }
  }

  async create<T extends WritableTable>(table: T, entry: CreateBody<T>): Promise<WriteResult> {
    assertUsableMkey(entry.name);
    const reply = await this.send({ method: 'POST', target: { api: 'cmdb', table }, body: entry });
    return writeResultOf(reply.envelope);
  }

  /** Partial update; `patch.name` renames. List attributes such as `member` are replaced whole. */
  async update<T extends WritableTable>(table: T, name: string, patch: UpdateBody<T>): Promise<WriteResult> {
    assertUsableMkey(name);
    const reply = await this.send({ method: 'PUT', target: { api: 'cmdb', table, mkey: name }, body: patch });
    return writeResultOf(reply.envelope);
  }

  async delete(table: WritableTable, name: string): Promise<WriteResult> {
    assertUsableMkey(name);
    const reply = await this.send({ method: 'DELETE', target: { api: 'cmdb', table, mkey: name } });
    return writeResultOf(reply.envelope);
  }

  async listMembers(table: GroupTable, group: string): Promise<MemberRef[]> {
    assertUsableMkey(group);
    const reply = await this.send({
      method: 'GET',
      target: { api: 'cmdb', table, mkey: group, child: { name: 'member' } },
    });
    return parseMembers(reply.envelope?.results);
  }

  /** Appends one member through the child endpoint, leaving other members untouched. */
  async addMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    assertUsableMkey(group);
    assertUsableMkey(member);
    const reply = await this.send({
      method: 'POST',
      target: { api: 'cmdb', table, mkey: group, child: { name: 'member' } },
      body: { name: member },
    });
    return writeResultOf(reply.envelope);
  }

  async removeMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    assertUsableMkey(group);
    assertUsableMkey(member);
    const reply = await this.send({
      method: 'DELETE',
      target: { api: 'cmdb', table, mkey: group, child: { name: 'member', mkey: member } },
    });
    return writeResultOf(reply.envelope);
  }

  /** Replaces the whole member list in one PUT. */
  async setMembers(table: GroupTable, group: string, members: readonly string[]): Promise<WriteResult> {
    return this.update(table, group, { member: members.map((name) => ({ name })) } as UpdateBody<
      typeof table
    >);
  }

  /** FortiOS transactions exist from 6.4 on; the answer is cached per client. */
  async supportsTransactions(): Promise<boolean> {
    this.statusCache ??= this.systemStatus().catch((err: unknown) => {
      this.statusCache = undefined;
      throw err;
    });
    const version = parseFortiOSVersion((await this.statusCache).version);
    return version !== undefined && versionAtLeast(version, 6, 4);
  }

  async startTransaction(timeoutSeconds = 60): Promise<number> {
    const reply = await this.send({
      method: 'POST',
      target: { api: 'cmdb', table: '' },
      query: { action: 'transaction-start' },
      body: { timeout: timeoutSeconds },
    });
    const id = parseTransactionId(reply.envelope?.results);
    if (id === undefined) throw this.malformed('POST', '/api/v2/cmdb');
    return id;
  }

  async commitTransaction(id: number): Promise<void> {
    await this.transactionAction('transaction-commit', id);
  }

  async abortTransaction(id: number): Promise<void> {
    await this.transactionAction('transaction-abort', id);
  }

  /** A view of this client whose requests are staged in transaction `id`. */
  inTransaction(id: number): FortiGateClient {
    return new FortiGateClient(this.options, {
      http: this.http,
      transactionId: id,
      parent: this,
    });
  }

  /**
   * Runs `fn` inside a transaction and commits; aborts when `fn` throws. Fails with kind `other`
   * on devices older than 6.4 — callers that can do without should check `supportsTransactions()`.
   */
  async withTransaction<R>(fn: (tx: FortiGateClient) => Promise<R>, timeoutSeconds = 60): Promise<R> {
    if (!(await this.supportsTransactions())) {
      throw new FortiOSError('transactions need FortiOS 6.4 or later', {
        kind: 'other',
        method: 'POST',
        path: '/api/v2/cmdb',
      });
    }
    const id = await this.startTransaction(timeoutSeconds);
    let result: R;
    try {
      result = await fn(this.inTransaction(id));
    } catch (err) {
      await this.abortTransaction(id).catch(() => undefined);
      throw err;
    }
    await this.commitTransaction(id);
    return result;
  }

  private async transactionAction(action: string, id: number): Promise<void> {
    await this.send({
      method: 'POST',
      target: { api: 'cmdb', table: '' },
      query: { action },
      body: { 'transaction-id': id },
    });
  }

  private malformed(method: HttpMethod, path: string): FortiOSError {
    return new FortiOSError(`${method} ${path}: unexpected reply shape`, { kind: 'other', method, path });
  }

  private send(spec: RequestSpec): Promise<Reply & { rawFirst: unknown }> {
    if ((spec.method === 'PUT' || spec.method === 'DELETE') && spec.target.mkey === undefined) {
      // The type forbids it; this guards callers that cast their way past the type.
      throw new TypeError(`refusing to send ${spec.method} without an mkey`);
    }
    let attempt = 0;
    return pRetry(
      () => {
        attempt++;
        return this.once(spec, attempt);
      },
      {
        retries: isIdempotent(spec.method) ? this.retry.retries : 0,
        factor: this.retry.factor,
        minTimeout: this.retry.minTimeoutMs,
        maxTimeout: this.retry.maxTimeoutMs,
        randomize: this.retry.randomize,
        signal: this.options.signal,
        shouldRetry: ({ error }) => isRetryable(error),
      },
    );
  }

  /** Sends one HTTP request; a transport failure (no answer) is thrown classified. */
  private async transmit(
    spec: RequestSpec,
    path: string,
    mkey: string | undefined,
    report: (outcome: RequestEvent['outcome'], status?: number) => void,
  ): Promise<{ status: number; text: string }> {
    const searchParams = new URLSearchParams();
    const vdoms = spec.method === 'GET' ? spec.vdoms : undefined;
    if (vdoms !== undefined) searchParams.set('vdom', vdoms);
    else if (this.options.vdom !== undefined) searchParams.set('vdom', this.options.vdom);
    for (const [key, value] of Object.entries('query' in spec ? (spec.query ?? {}) : {})) {
      for (const item of Array.isArray(value) ? value : [value]) searchParams.append(key, item);
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
      'user-agent': this.options.userAgent ?? 'fortisync',
    };
    if (this.transactionId !== undefined) headers['x-transaction-id'] = String(this.transactionId);

    try {
      return await this.http.request({
        method: spec.method,
        path,
        query: searchParams,
        headers,
        json: 'body' in spec ? spec.body : undefined,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      });
    } catch (err) {
      const code = err instanceof TransportError ? err.code : undefined;
      const kind = this.options.signal?.aborted ? 'aborted' : classifyTransportError(code, errorMessage(err));
      report(kind);
      throw new FortiOSError(`${spec.method} ${path}: ${KIND_TEXT[kind]} (${code ?? errorMessage(err)})`, {
        kind,
        method: spec.method,
        path,
        mkey,
        transportCode: code,
        cause: err,
      });
    }
  }

  /** Passes the lockout guard; a held request fails as the refusal that holds it. */
  private async admit(
    spec: RequestSpec,
    path: string,
    mkey: string | undefined,
    report: (outcome: RequestEvent['outcome'], status?: number) => void,
  ): Promise<AuthTicket> {
    try {
      return await this.gate.admit(this.options.baseUrl, this.token, this.options.signal);
    } catch (err) {
      if (!(err instanceof AuthHeldError)) {
        report('aborted');
        throw new FortiOSError(`${spec.method} ${path}: ${KIND_TEXT.aborted}`, {
          kind: 'aborted',
          method: spec.method,
          path,
          mkey,
          cause: err,
        });
      }
      report(err.kind);
      throw new FortiOSError(`${spec.method} ${path}: not sent, ${err.message}`, {
        kind: err.kind,
        method: spec.method,
        path,
        mkey,
        httpStatus: err.kind === 'locked-out' ? 429 : 401,
      });
    }
  }

  private async once(spec: RequestSpec, attempt: number): Promise<Reply & { rawFirst: unknown }> {
    const path = buildPath(spec.target);
    const mkey = spec.target.child?.mkey ?? spec.target.mkey;
    const table = spec.target.table === '' ? spec.target.api : spec.target.table;
    const started = performance.now();
    const report = (outcome: RequestEvent['outcome'], status?: number): void => {
      this.options.onRequest?.({
        method: spec.method,
        table,
        mkey,
        status,
        outcome,
        durationMs: performance.now() - started,
        attempt,
      });
    };
    const ticket = await this.admit(spec, path, mkey, report);
    let answered: { status: number; text: string };
    try {
      answered = await this.transmit(spec, path, mkey, report);
    } catch (err) {
      ticket.done('other'); // no answer says nothing about the token
      throw err;
    }
    const { status, text } = answered;
    ticket.done(authOutcomeOf(status));
    const raw = parseJson(text);
    const envelopes = readEnvelopes(raw);
    const envelope = envelopes[0];
    const failed = status >= 300 || envelopes.some((e) => e.status === 'error');
    if (!failed) {
      report('success', status);
      return { status, envelopes, envelope, rawFirst: Array.isArray(raw) ? raw[0] : raw };
    }
    const failedEnvelope = envelopes.find((e) => e.status === 'error') ?? envelope;
    const httpStatus = status >= 300 ? status : (failedEnvelope?.httpStatus ?? status);
    const kind = classifyHttpFailure({
      httpStatus,
      fortiosCode: failedEnvelope?.error,
      cliError: failedEnvelope?.cliError,
    });
    report(kind, status);
    throw new FortiOSError(describeFailure(spec.method, path, mkey, kind, httpStatus, failedEnvelope, text), {
      kind,
      method: spec.method,
      path,
      mkey,
      httpStatus,
      fortiosCode: failedEnvelope?.error,
      cliError: failedEnvelope?.cliError,
    });
  }
}

function describeFailure(
  method: HttpMethod,
  path: string,
  mkey: string | undefined,
  kind: FortiOSErrorKind,
  httpStatus: number,
  envelope: Envelope | undefined,
  body: string,
): string {
  const details = [`HTTP ${httpStatus}`];
  if (envelope?.error !== undefined) details.push(`FortiOS error ${envelope.error}`);
  const title = envelope ? undefined : htmlTitle(body);
  if (title) details.push(title);
  const cli = envelope?.cliError ? `: ${envelope.cliError.replace(/\s+/g, ' ').trim()}` : '';
  const subject = mkey === undefined ? '' : ` ${JSON.stringify(mkey)}`;
  return `${method} ${path}${subject}: ${KIND_TEXT[kind]} (${details.join(', ')})${cli}`;
}

/** What an HTTP status says about the token: only 401 and 429 are refusals. */
function authOutcomeOf(status: number): AuthOutcome {
  if (status === 401) return 'unauthorized';
  if (status === 429) return 'locked-out';
  return 'ok';
}

function listQuery(options: ListOptions): Query {
  const query: Query = {};
  if (options.filter && options.filter.length > 0) query.filter = buildFilterParams(options.filter);
  if (options.format && options.format.length > 0) query.format = options.format.join('|');
  if (options.start !== undefined) query.start = String(options.start);
  if (options.count !== undefined) query.count = String(options.count);
  if (options.withMeta) query.with_meta = '1';
  return query;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
