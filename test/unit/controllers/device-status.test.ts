import { describe, expect, it } from '@jest/globals';
import { deviceStatus, type DeviceStatusInput } from '../../../src/controllers/device/device-status.js';
import { classifyFailure } from '../../../src/controllers/device/failure.js';
import { ReferenceProblem } from '../../../src/controllers/device/referenced-objects.js';
import { FortiOSError, type FortiOSErrorKind } from '../../../src/fortigate/errors.js';
import { formatTime } from '../../../src/runtime/conditions.js';

const NOW = 1_700_000_000_000;
const identity = { version: 'v7.4.3', build: 2573, serial: 'FGVM01', hostname: 'fw1', model: 'FGVM64' };
const base: DeviceStatusInput = { connected: true, groups: new Map(), insecureSkipVerify: false };

const cond = (input: Partial<DeviceStatusInput>, type: string) =>
  deviceStatus({ ...base, ...input }, undefined, 3, NOW).conditions?.find((c) => c.type === type);

describe('deviceStatus', () => {
  it.each<[string, Partial<DeviceStatusInput>, string, string, string]>([
    ['connected, no groups', { identity }, 'Connected', 'True', 'Connected'],
    ['connected, in sync', { groups: new Map([['IPv4/G', { ok: true }]]) }, 'Ready', 'True', 'Synced'],
    ['not contacted yet', { connected: false }, 'Connected', 'False', 'Connecting'],
    [
      'unreachable',
      { connected: false, problem: { reason: 'Unreachable', message: 'x' } },
      'Connected',
      'False',
      'Unreachable',
    ],
    [
      'invalid spec says nothing of reachability',
      { connected: false, problem: { reason: 'InvalidSpec', message: 'x' } },
      'Connected',
      'Unknown',
      'InvalidSpec',
    ],
    [
      'suspended says nothing of reachability',
      { connected: false, problem: { reason: 'Suspended', message: 'x' } },
      'Connected',
      'Unknown',
      'Suspended',
    ],
    [
      'a device problem makes it not ready',
      { connected: false, problem: { reason: 'Unauthorized', message: 'x' } },
      'Ready',
      'False',
      'Unauthorized',
    ],
    [
      'a failing group makes it not ready, with its reason',
      {
        groups: new Map([
          ['IPv4/A', { ok: true }],
          ['IPv4/B', { ok: false, problem: { reason: 'TableFull', message: 'full' } }],
        ]),
      },
      'Ready',
      'False',
      'TableFull',
    ],
    [
      'a failing group without a problem',
      { groups: new Map([['IPv4/B', { ok: false }]]) },
      'Ready',
      'False',
      'SyncFailed',
    ],
    [
      'insecure TLS is flagged',
      { insecureSkipVerify: true },
      'InsecureTLS',
      'True',
      'CertificateNotVerified',
    ],
    ['plain http:// is flagged', { plainHTTP: true }, 'InsecureTransport', 'True', 'PlainHTTP'],
  ])('%s', (_name, input, type, status, reason) => {
    expect(cond(input, type)).toMatchObject({ status, reason });
    if (!type.startsWith('Insecure')) expect(cond(input, type)?.observedGeneration).toBe(3);
  });

  it('lists every failing group in the Ready message, at most 2000 characters', () => {
    const groups = new Map(
      Array.from({ length: 100 }, (_, i) => [
        `IPv4/G${i}`,
        { ok: false, problem: { reason: 'R', message: 'm'.repeat(50) } },
      ]),
    );
    const ready = cond({ groups }, 'Ready');
    expect(ready?.message.startsWith('IPv4/G0: mmm')).toBe(true);
    expect(ready?.message).toHaveLength(2000);
    expect(cond({ groups: new Map([['IPv4/G', { ok: true }]]) }, 'Ready')?.message).toBe(
      '1 group(s) in sync',
    );
  });

  it('counts, times and identity; keeps what the previous status had when the session has none', () => {
    const s = deviceStatus(
      {
        ...base,
        identity,
        managedAddresses: 7,
        groups: new Map([['IPv4/G', { ok: true }]]),
        lastSyncTime: 't1',
        lastFullReadMs: NOW,
      },
      undefined,
      undefined,
      NOW,
    );
    expect(s).toMatchObject({
      fortios: identity,
      managedAddresses: 7,
      managedGroups: 1,
      lastSyncTime: 't1',
      lastDriftCheckTime: formatTime(NOW),
    });
    expect(s.observedGeneration).toBeUndefined();
    const kept = deviceStatus({ ...base, connected: false }, s, 4, NOW);
    expect(kept).toMatchObject({ fortios: identity, lastSyncTime: 't1', observedGeneration: 4 });
    expect(kept.managedAddresses).toBeUndefined(); // not read in this session: not claimed
  });

  it('keeps a condition transition time while its status stays, and drops InsecureTLS when unset', () => {
    const first = deviceStatus({ ...base, insecureSkipVerify: true }, undefined, 1, NOW);
    const later = deviceStatus(base, first, 1, NOW + 60_000);
    const t = (st: typeof first, type: string) =>
      st.conditions?.find((c) => c.type === type)?.lastTransitionTime;
    expect(t(later, 'Ready')).toBe(t(first, 'Ready'));
    expect(t(later, 'InsecureTLS')).toBeUndefined();
    const broken = deviceStatus({ ...base, connected: false }, later, 1, NOW + 120_000);
    expect(t(broken, 'Connected')).toBe(formatTime(NOW + 120_000));
  });
});

describe('classifyFailure', () => {
  const fortios = (kind: FortiOSErrorKind) =>
    new FortiOSError(`GET x: ${kind}`, { kind, method: 'GET', path: '/x' });
  it.each<[string, unknown, string, string]>([
    ['401 waits for the lockout guard', fortios('unauthorized'), 'Unauthorized', 'after-lockout-wait'],
    ['429 waits for the lockout guard', fortios('locked-out'), 'LockedOut', 'after-lockout-wait'],
    ['unreachable backs off', fortios('unreachable'), 'Unreachable', 'backoff'],
    ['TLS backs off', fortios('tls'), 'TLSError', 'backoff'],
    ['timeout backs off', fortios('timeout'), 'Timeout', 'backoff'],
    ['a per-object error that escaped backs off', fortios('table-full'), 'TableFull', 'backoff'],
    [
      'a missing Secret waits for its watch',
      new ReferenceProblem('SecretNotFound', 'Secret ns/s not found'),
      'SecretNotFound',
      'on-change',
    ],
    [
      'a refused read (RBAC) is retried on its own: a later grant sends no watch event',
      new ReferenceProblem('SecretUnreadable', 'the operator may not read Secret ns/s'),
      'SecretUnreadable',
      'backoff',
    ],
    ['anything else backs off', new Error('boom'), 'SyncFailed', 'backoff'],
  ])('%s', (_name, err, reason, retry) => {
    expect(classifyFailure(err)).toMatchObject({ problem: { reason }, retry });
  });

  it('gives advice for device-wide reasons and says what to fix for a reference', () => {
    expect(classifyFailure(fortios('unauthorized')).problem.message).toContain('trusted hosts');
    expect(classifyFailure(new ReferenceProblem('SecretNotFound', 'gone')).problem.message).toContain(
      'spec.credentialsSecretRef',
    );
  });
});
