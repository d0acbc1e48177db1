import { performance } from 'node:perf_hooks';
import pRetry from 'p-retry';
import {
  FortiManagerError,
  classifyHttpStatus,
  classifyTransportError,
  isRetryable,
  kindOfCode,
} from './errors.js';
import type { FortiManagerErrorKind } from './errors.js';
// The same retry and timeout knobs as the FortiOS client: one definition for both.
import type { RetryOptions, TimeoutOptions } from '../fortigate/client.js';
import { DeviceHttp, TransportError } from '../fortigate/http.js';

export type { RetryOptions, TimeoutOptions };

export type FmgAuth =
  /** FMG ≥ 7.2.2 API admin: `Authorization: Bearer`, no login. */
  | { apiKey: string }
  /** Session login (`sys/login/user`), re-login on -11, logout on close. */
  | { username: string; password: string };

/** One JSON-RPC exchange (each attempt is its own event). Never holds a session or a key. */
export interface RpcEvent {
  method: string;
  url: string;
  code?: number;
  outcome: 'success' | FortiManagerErrorKind;
  durationMs: number;
  attempt: number;
}

export interface TransportOptions {
  baseUrl: string;
  auth: FmgAuth;
  ca?: string;
  insecureSkipVerify?: boolean;
  timeouts?: Partial<TimeoutOptions>;
  maxSockets?: number;
  retry?: Partial<RetryOptions>;
  signal?: AbortSignal;
  onRequest?: (event: RpcEvent) => void;
  /**
   * After a refused login (-22), logins fail fast for this long without reaching FMG, so a wrong
   * password never trips the admin lockout. 0 disables.
   */
  loginCooldownMs?: number;
  /** Told about each new session string and its end (undefined), e.g. to persist it for crash recovery. */
  onSession?: (session: string | undefined) => void;
  now?: () => number;
}

export interface CallOptions {
  /** Safe to repeat after a transport failure (reads, set, update, unlock). */
  idempotent: boolean;
  /** Do not log in again on -11 (inside a workspace lock, a new session would not hold it). */
  noRelogin?: boolean;
}

/** The answer of one call: `data` of `result[0]`. */
export interface RpcAnswer {
  code: number;
  message: string;
  data: unknown;
}

const DEFAULT_RETRY: RetryOptions = {
  retries: 3,
  minTimeoutMs: 200,
  maxTimeoutMs: 5_000,
  factor: 2,
  randomize: true,
};
const DEFAULT_TIMEOUTS: TimeoutOptions = { connectMs: 5_000, responseMs: 30_000, requestMs: 60_000 };
const LOGIN_URL = 'sys/login/user';

/**
 * JSON-RPC over HTTPS to one FortiManager: authentication (API key or session), retries of
 * transport failures for calls that are safe to repeat, and typed errors for every status code.
 */
export class JsonRpcTransport {
  private readonly http: DeviceHttp;
  private readonly retry: RetryOptions;
  private readonly now: () => number;
  private session: string | undefined;
  private loggingIn: Promise<string> | undefined;
  private loginBlockedUntil = 0;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: TransportOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.now = options.now ?? Date.now;
    this.http = new DeviceHttp({ ...options, timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts } });
  }

  get usesSessions(): boolean {
    return 'username' in this.options.auth;
  }

  /** The admin this transport acts as (an API admin's name is not known to the client). */
  get username(): string | undefined {
    return 'username' in this.options.auth ? this.options.auth.username : undefined;
  }

  /** One call; throws FortiManagerError unless FMG answered code 0. */
  async call(method: string, params: Record<string, unknown>, options: CallOptions): Promise<RpcAnswer> {
    if (this.closed) throw this.error('aborted', method, String(params.url), 'the client is closed');
    if (!this.usesSessions) return this.send(method, params, undefined, options);
    const session = await this.ensureSession();
    try {
      return await this.send(method, params, session, options);
    } catch (err) {
      if (!(err instanceof FortiManagerError) || err.code !== -11 || options.noRelogin) throw err;
      // -11 means FMG executed nothing: expired session (idle_timeout_api) or no permission.
      // One fresh login and one repeat tell the two apart. The old session is logged out first:
      // when it was still alive (-11 for rights), it would otherwise stay open until it expires.
      if (this.session === session) {
        this.forgetSession();
        await this.send('exec', { url: 'sys/logout' }, session, { idempotent: false }).catch(() => undefined);
      }
      return this.send(method, params, await this.ensureSession(), options);
    }
  }

  /** Logs the session out (its locks are released by FMG) and releases the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.logout();
    } finally {
      this.closed = true;
      this.http.close();
    }
  }

  /** Ends the current session, if any; the next call logs in again. */
  async logout(): Promise<void> {
    const session = this.session;
    if (session === undefined) return;
    this.forgetSession();
    await this.send('exec', { url: 'sys/logout' }, session, { idempotent: false }).catch(() => undefined);
  }

  /** Logs out a session this client no longer holds (left behind by a crashed process). */
  async logoutSession(session: string): Promise<void> {
    await this.send('exec', { url: 'sys/logout' }, session, { idempotent: false });
  }

  private forgetSession(): void {
    this.session = undefined;
    this.options.onSession?.(undefined);
  }

  private ensureSession(): Promise<string> {
    if (this.session !== undefined) return Promise.resolve(this.session);
    this.loggingIn ??= this.login().finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async login(): Promise<string> {
    const auth = this.options.auth as { username: string; password: string };
    if (this.now() < this.loginBlockedUntil) {
      throw this.error(
        'login-failed',
        'exec',
        LOGIN_URL,
        'not sent: the password was refused moments ago',
        -22,
      );
    }
    const data = { user: auth.username, passwd: auth.password };
    let reply: { session?: unknown };
    try {
      reply = await this.exchange('exec', { url: LOGIN_URL, data }, undefined, { idempotent: false });
    } catch (err) {
      if (err instanceof FortiManagerError && err.kind === 'login-failed')
        this.loginBlockedUntil = this.now() + (this.options.loginCooldownMs ?? 31_000);
      throw err;
    }
    if (typeof reply.session !== 'string' || reply.session === '')
      throw this.error('malformed', 'exec', LOGIN_URL, 'login answered without a session');
    this.session = reply.session;
    this.options.onSession?.(reply.session);
    return reply.session;
  }

  private async send(
    method: string,
    params: Record<string, unknown>,
    session: string | undefined,
    options: CallOptions,
  ): Promise<RpcAnswer> {
    const reply = await this.exchange(method, params, session, options);
    return reply.answer;
  }

  /** POST /jsonrpc with retries of transport failures when the call is safe to repeat. */
  private exchange(
    method: string,
    params: Record<string, unknown>,
    session: string | undefined,
    options: CallOptions,
  ): Promise<{ answer: RpcAnswer; session?: unknown }> {
    let attempt = 0;
    return pRetry(() => this.once(method, params, session, ++attempt), {
      retries: options.idempotent ? this.retry.retries : 0,
      factor: this.retry.factor,
      minTimeout: this.retry.minTimeoutMs,
      maxTimeout: this.retry.maxTimeoutMs,
      randomize: this.retry.randomize,
      signal: this.options.signal,
      shouldRetry: ({ error }) => isRetryable(error),
    });
  }

  private async once(
    method: string,
    params: Record<string, unknown>,
    session: string | undefined,
    attempt: number,
  ): Promise<{ answer: RpcAnswer; session?: unknown }> {
    const url = String(params.url ?? '');
    const started = performance.now();
    const report = (outcome: RpcEvent['outcome'], code?: number): void =>
      this.options.onRequest?.({
        method,
        url,
        code,
        outcome,
        durationMs: performance.now() - started,
        attempt,
      });
    const body = { id: this.nextId++, method, params: [params], session: session ?? null, verbose: 1 };
    const headers: Record<string, string> = { accept: 'application/json' };
    if ('apiKey' in this.options.auth) headers.authorization = `Bearer ${this.options.auth.apiKey}`;
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.http.request({
        method: 'POST',
        path: '/jsonrpc',
        headers,
        json: body,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      }));
    } catch (err) {
      const code = err instanceof TransportError ? err.code : undefined;
      const message = err instanceof Error ? err.message : String(err);
      const kind = this.options.signal?.aborted ? 'aborted' : classifyTransportError(code, message);
      report(kind);
      throw this.error(kind, method, url, `${code ?? message}`, undefined, { transportCode: code });
    }
    if (status !== 200) {
      const kind = classifyHttpStatus(status);
      report(kind);
      throw this.error(kind, method, url, `HTTP ${status}`, undefined, { httpStatus: status });
    }
    const parsed = readReply(text);
    if (!parsed) {
      report('malformed');
      throw this.error('malformed', method, url, 'the answer is not a JSON-RPC result');
    }
    const { answer } = parsed;
    if (answer.code !== 0) {
      const kind = kindOfCode(answer.code);
      report(kind, answer.code);
      throw this.error(kind, method, url, `FMG ${answer.code} ${answer.message}`, answer.code);
    }
    report('success', 0);
    return parsed;
  }

  private error(
    kind: FortiManagerErrorKind,
    method: string,
    url: string,
    detail: string,
    code?: number,
    extra: { httpStatus?: number; transportCode?: string } = {},
  ): FortiManagerError {
    return new FortiManagerError(`${method} ${url}: ${KIND_TEXT[kind]} (${detail})`, {
      kind,
      method,
      url,
      code,
      ...extra,
    });
  }
}

function readReply(text: string): { answer: RpcAnswer; session?: unknown } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const reply = json as { result?: unknown; session?: unknown };
  const first: unknown = Array.isArray(reply.result) ? reply.result[0] : reply.result;
  if (typeof first !== 'object' || first === null) return undefined;
  const { status, data } = first as { status?: { code?: unknown; message?: unknown }; data?: unknown };
  if (typeof status?.code !== 'number') return undefined;
  return {
    answer: { code: status.code, message: typeof status.message === 'string' ? status.message : '', data },
    session: reply.session,
  };
}

const KIND_TEXT: Record<FortiManagerErrorKind, string> = {
  unreachable: 'FortiManager unreachable',
  tls: 'TLS verification failed',
  timeout: 'timed out',
  aborted: 'aborted',
  server: 'FortiManager server error',
  http: 'unexpected HTTP answer',
  malformed: 'unexpected answer shape',
  exists: 'the object already exists',
  'not-found': 'no such object',
  'invalid-url': 'FortiManager does not know this url',
  invalid: 'a value was refused',
  unauthorized: 'no permission (session expired, key or rights refused, or ADOM not permitted)',
  'parent-missing': 'the parent object does not exist',
  'login-failed': 'login refused',
  'login-limit': 'too many sessions open (login-max)',
  'empty-group': 'this ADOM refuses empty address groups',
  'in-use': 'the object is still used',
  'bad-reference': 'refers to an object that does not exist',
  'no-write-permission': 'no write permission (workspace mode: lock the ADOM first)',
  'lock-required': 'the ADOM must be locked first',
  locked: 'the ADOM is locked by someone else',
  'workflow-unsupported': 'the ADOM is in workflow mode',
  other: 'request failed',
};
