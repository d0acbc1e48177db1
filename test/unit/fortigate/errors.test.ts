import { describe, expect, it } from '@jest/globals';
import {
  FortiOSError,
  classifyHttpFailure,
  classifyTransportError,
  htmlTitle,
  isIdempotent,
  isRetryable,
} from '../../../src/fortigate/errors.js';
import type { FortiOSErrorKind } from '../../../src/fortigate/errors.js';

const error = (kind: FortiOSErrorKind, httpStatus?: number) =>
  new FortiOSError('x', { kind, method: 'GET', path: '/api/v2/cmdb/firewall/address', httpStatus });

describe('error classification', () => {
  it.each([
    [401, undefined, 'unauthorized'],
    [403, undefined, 'forbidden'],
    [429, undefined, 'locked-out'],
    [404, undefined, 'not-found'],
    [404, -3, 'not-found'],
    [400, undefined, 'invalid'],
    [413, undefined, 'too-long'],
    [500, -5, 'exists'],
    [500, -163, 'exists'],
    [500, -23, 'in-use'],
    [500, -651, 'bad-reference'],
    [500, -4, 'table-full'],
    [500, -72, 'too-long'],
    [500, -1, 'too-long'],
    [500, -56, 'invalid'],
    [500, -8, 'invalid'],
    [500, -9, 'invalid'],
    [500, -3, 'not-found'],
    [500, -12345, 'other'],
    [500, undefined, 'server'],
    [502, undefined, 'server'],
    [503, undefined, 'server'],
    [418, undefined, 'other'],
  ] as const)('HTTP %i with error %p is %s', (httpStatus, fortiosCode, kind) => {
    expect(classifyHttpFailure({ httpStatus, fortiosCode })).toBe(kind);
  });

  it.each([
    ['ECONNREFUSED', 'unreachable'],
    ['ECONNRESET', 'unreachable'],
    ['ENOTFOUND', 'unreachable'],
    ['ETIMEDOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_ABORTED', 'aborted'],
  ] as const)('transport code %s is %s', (code, kind) => {
    expect(classifyTransportError(code)).toBe(kind);
  });

  it('retries transport failures and gateway errors only', () => {
    expect(isRetryable(error('unreachable'))).toBe(true);
    expect(isRetryable(error('timeout'))).toBe(true);
    for (const status of [502, 503, 504]) expect(isRetryable(error('server', status))).toBe(true);
    expect(isRetryable(error('server', 500))).toBe(false);
    for (const kind of [
      'unauthorized',
      'locked-out',
      'forbidden',
      'not-found',
      'exists',
      'in-use',
      'tls',
      'other',
      'aborted',
    ] as const) {
      expect(isRetryable(error(kind, 400))).toBe(false);
    }
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('never treats POST as idempotent', () => {
    expect(isIdempotent('POST')).toBe(false);
    expect(['GET', 'PUT', 'DELETE'].every((m) => isIdempotent(m as 'GET'))).toBe(true);
  });

  it('reads the title of the HTML pages FortiOS answers 401 and 429 with', () => {
    expect(htmlTitle('<html><head><title>429 Too Many Requests</title></head></html>')).toBe(
      '429 Too Many Requests',
    );
    expect(htmlTitle('{"status":"error"}')).toBeUndefined();
  });
});
