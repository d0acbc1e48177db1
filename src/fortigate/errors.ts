/**
 * Every way a FortiOS call can fail that a caller handles differently. `invalid` covers values
 * FortiOS refuses (bad IP or mask, empty group, malformed request); `aborted` is the caller's signal.
 */
export type FortiOSErrorKind =
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'forbidden'
  | 'locked-out'
  | 'not-found'
  | 'exists'
  | 'in-use'
  | 'bad-reference'
  | 'table-full'
  | 'too-long'
  | 'invalid'
  | 'timeout'
  | 'server'
  | 'aborted'
  | 'other';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface FortiOSErrorDetails {
  kind: FortiOSErrorKind;
  method: HttpMethod;
  /** The URL path without query string; it never holds the token. */
  path: string;
  mkey?: string;
  httpStatus?: number;
  fortiosCode?: number;
  cliError?: string;
  /** Transport error code from Node (ECONNREFUSED, CERT_HAS_EXPIRED, …). */
  transportCode?: string;
  cause?: unknown;
}

export class FortiOSError extends Error {
  override readonly name = 'FortiOSError';
  readonly kind: FortiOSErrorKind;
  readonly method: HttpMethod;
  readonly path: string;
  readonly mkey: string | undefined;
  readonly httpStatus: number | undefined;
  readonly fortiosCode: number | undefined;
  readonly cliError: string | undefined;
  readonly transportCode: string | undefined;

  constructor(message: string, details: FortiOSErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = details.kind;
    this.method = details.method;
    this.path = details.path;
    this.mkey = details.mkey;
    this.httpStatus = details.httpStatus;
    this.fortiosCode = details.fortiosCode;
    this.cliError = details.cliError;
    this.transportCode = details.transportCode;
  }
}

export function isFortiOSError(err: unknown, kind?: FortiOSErrorKind): err is FortiOSError {
  return err instanceof FortiOSError && (kind === undefined || err.kind === kind);
}

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Whether repeating the same request may succeed: transport failures and gateway errors. Never a
 * 401 (three of them lock the client out), a 429, another 4xx, or a CLI error (500 with a code).
 * Whether the method is idempotent is the caller's second question.
 */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof FortiOSError)) return false;
  if (err.kind === 'unreachable' || err.kind === 'timeout') return true;
  return err.kind === 'server' && err.httpStatus !== undefined && RETRYABLE_STATUSES.has(err.httpStatus);
}

export function isIdempotent(method: HttpMethod): boolean {
  return method !== 'POST';
}

/** FortiOS CLI return codes and what they mean to a caller. */
const CODE_KINDS = new Map<number, FortiOSErrorKind>([
  [-1, 'too-long'], // "invalid length of value"
  [-3, 'not-found'],
  [-4, 'table-full'],
  [-5, 'exists'],
  [-8, 'invalid'], // invalid IP address
  [-9, 'invalid'], // invalid netmask
  [-15, 'invalid'], // invalid value
  [-23, 'in-use'],
  [-56, 'invalid'], // empty value not allowed
  [-72, 'too-long'],
  [-163, 'exists'], // the name is taken by an entry of the other type (address vs group)
  [-651, 'bad-reference'],
]);

const STATUS_KINDS = new Map<number, FortiOSErrorKind>([
  [400, 'invalid'],
  [401, 'unauthorized'],
  [403, 'forbidden'],
  [404, 'not-found'],
  [408, 'timeout'],
  [413, 'too-long'],
  [429, 'locked-out'],
]);

export interface HttpFailure {
  httpStatus: number;
  fortiosCode?: number;
  cliError?: string;
}

/** The kind of a failed HTTP exchange, from the status first and the FortiOS code second. */
export function classifyHttpFailure(failure: HttpFailure): FortiOSErrorKind {
  const byStatus = STATUS_KINDS.get(failure.httpStatus);
  if (byStatus) return byStatus;
  if (failure.fortiosCode !== undefined) return CODE_KINDS.get(failure.fortiosCode) ?? 'other';
  if (failure.httpStatus >= 500) return 'server';
  return 'other';
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** The kind of a failure below HTTP, from Node's error code. */
export function classifyTransportError(code: string | undefined, message = ''): FortiOSErrorKind {
  if (code === 'ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
  ) {
    return 'tls';
  }
  if (/certificate|SSL routines|TLS/i.test(message)) return 'tls';
  return 'unreachable';
}

/** Pulls the title out of the HTML page FortiOS answers 401 and 429 with. */
export function htmlTitle(body: string): string | undefined {
  return /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
}
