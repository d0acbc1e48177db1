import { classifyTransportError as classifyFortiOSTransport } from '../fortigate/errors.js';

/**
 * Every way a FortiManager call can fail that a caller handles differently. FMG answers most
 * failures with HTTP 200 and a status code per result; transport kinds come from below HTTP.
 */
export type FortiManagerErrorKind =
  | 'unreachable'
  | 'tls'
  | 'timeout'
  | 'aborted'
  | 'server'
  | 'http'
  | 'malformed'
  | 'exists'
  | 'not-found'
  | 'invalid-url'
  | 'invalid'
  | 'unauthorized'
  | 'parent-missing'
  | 'login-failed'
  | 'login-limit'
  | 'empty-group'
  | 'in-use'
  | 'bad-reference'
  | 'no-write-permission'
  | 'lock-required'
  | 'locked'
  | 'workflow-unsupported'
  | 'other';

/** FMG status codes (shared facts sheet §1) and what they mean to a caller. */
export const CODE_KINDS: ReadonlyMap<number, FortiManagerErrorKind> = new Map<number, FortiManagerErrorKind>([
  [-2, 'exists'],
  [-3, 'not-found'],
  [-6, 'invalid-url'],
  [-10, 'invalid'],
  [-11, 'unauthorized'], // bad or expired session, rpc-permit none/read, ADOM not permitted
  [-20, 'parent-missing'],
  [-22, 'login-failed'],
  [-23, 'login-limit'],
  [-9998, 'empty-group'], // ADOMs for FortiOS < 7.2 refuse empty groups
  [-10015, 'in-use'],
  [-10131, 'bad-reference'], // a member that does not exist
  [-10147, 'no-write-permission'], // workspace mode, no lock held
  [-10148, 'lock-required'],
  [-20017, 'lock-required'],
  [-20036, 'locked'],
  [-20055, 'locked'], // locked by another user
]);

export function kindOfCode(code: number): FortiManagerErrorKind {
  return CODE_KINDS.get(code) ?? 'other';
}

/** Who holds an ADOM lock, as `lockinfo` tells. */
export interface LockHolder {
  user: string;
  /** When the lock was taken (ms since the epoch), when FMG said. */
  since?: number;
}

export interface FortiManagerErrorDetails {
  kind: FortiManagerErrorKind;
  /** JSON-RPC method (`get`, `exec`, …). */
  method: string;
  /** The `url` of the call; it names objects, never a session or key. */
  url: string;
  code?: number;
  httpStatus?: number;
  transportCode?: string;
  lockedBy?: LockHolder;
}

export class FortiManagerError extends Error {
  override readonly name = 'FortiManagerError';
  readonly kind: FortiManagerErrorKind;
  readonly method: string;
  readonly url: string;
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;
  readonly transportCode: string | undefined;
  readonly lockedBy: LockHolder | undefined;

  // No `cause`: got's errors carry the request options, whose body holds the session or password.
  constructor(message: string, details: FortiManagerErrorDetails) {
    super(message);
    this.kind = details.kind;
    this.method = details.method;
    this.url = details.url;
    this.code = details.code;
    this.httpStatus = details.httpStatus;
    this.transportCode = details.transportCode;
    this.lockedBy = details.lockedBy;
  }
}

export function isFortiManagerError(err: unknown, kind?: FortiManagerErrorKind): err is FortiManagerError {
  return err instanceof FortiManagerError && (kind === undefined || err.kind === kind);
}

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Whether repeating the same call may succeed: transport failures and gateway errors. Never a
 * status code from FMG (it answered; repeating gives the same answer). Whether the call is safe
 * to repeat is the caller's second question.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof FortiManagerError)) return false;
  if (err.kind === 'unreachable' || err.kind === 'timeout') return true;
  return err.kind === 'server' && err.httpStatus !== undefined && RETRYABLE_STATUSES.has(err.httpStatus);
}

/** The kind of a failure below HTTP, from Node's error code (the FortiOS client's rules). */
export function classifyTransportError(code: string | undefined, message = ''): FortiManagerErrorKind {
  // The FortiOS classifier only ever answers aborted, timeout, tls or unreachable.
  return classifyFortiOSTransport(code, message) as 'aborted' | 'timeout' | 'tls' | 'unreachable';
}

/** The kind of a non-200 HTTP answer (FMG's web server, a proxy in front of it). */
export function classifyHttpStatus(status: number): FortiManagerErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'http';
}
