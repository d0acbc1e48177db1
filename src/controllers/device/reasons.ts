import type { FortiOSErrorKind } from '../../fortigate/errors.js';

/** Condition reasons a person can act on, one per FortiOS error class. */
export const REASON_BY_KIND: Record<FortiOSErrorKind, string> = {
  unreachable: 'Unreachable',
  tls: 'TLSError',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'locked-out': 'LockedOut',
  'not-found': 'NotFound',
  exists: 'NameConflict',
  'in-use': 'InUse',
  'bad-reference': 'BadReference',
  'table-full': 'TableFull',
  'too-long': 'NameTooLong',
  invalid: 'InvalidValue',
  timeout: 'Timeout',
  server: 'DeviceError',
  aborted: 'Aborted',
  other: 'DeviceError',
};

/** Errors that concern the device as a whole: stop the sync, report on the device. */
export const DEVICE_WIDE_KINDS: ReadonlySet<FortiOSErrorKind> = new Set([
  'unreachable',
  'tls',
  'unauthorized',
  'forbidden',
  'locked-out',
  'timeout',
  'aborted',
]);

/** What to tell a person for each device-wide reason. */
export const ADVICE: Record<string, string> = {
  Unreachable:
    'check spec.url, DNS, routing and that the FortiGate admin HTTPS port is reachable from the operator pod',
  TLSError:
    'the certificate is not trusted: set spec.tls.caBundle (or caSecretRef/caConfigMapRef) to the CA that signed it',
  Unauthorized:
    'the token was refused: check the Secret, that the REST API admin exists and that the operator pod address is in its trusted hosts; retries are spaced to avoid the FortiGate lockout',
  Forbidden: "the REST API admin's profile lacks read/write permission on firewall addresses",
  LockedOut: 'the FortiGate locked this source out after failed logins; fortisync waits before trying again',
  Timeout: 'the FortiGate did not answer in time',
};
