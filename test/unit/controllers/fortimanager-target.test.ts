import { describe, expect, it } from '@jest/globals';
import { FortiOSError } from '../../../src/fortigate/errors.js';
import { FortiManagerError } from '../../../src/fortimanager/index.js';
import {
  AdomObjects,
  asFortiOSError,
  type AdomClient,
} from '../../../src/controllers/fortimanager/adom-objects.js';
import {
  classifyTargetFailure,
  LOCK_RETRY_BASE_MS,
  LOCK_RETRY_MAX_MS,
  lockRetryMs,
} from '../../../src/controllers/fortimanager/failure.js';
import { installedCondition, targetStatus } from '../../../src/controllers/fortimanager/target-status.js';
import {
  INSTALL_RETRY_MAX_MS,
  nextInstallAt,
} from '../../../src/controllers/fortimanager/install-schedule.js';
import { ReferenceProblem } from '../../../src/controllers/device/referenced-objects.js';

const fmgError = (kind: ConstructorParameters<typeof FortiManagerError>[1]['kind'], extra = {}) =>
  new FortiManagerError(`failed (${kind})`, {
    kind,
    method: 'exec',
    url: 'dvmdb/adom/root/workspace/lock',
    ...extra,
  });

describe('classifyTargetFailure', () => {
  it.each([
    ['locked', 'ADOMLocked', 'backoff'],
    ['workflow-unsupported', 'WorkflowModeUnsupported', 'on-change'],
    ['lock-required', 'LockRequired', 'backoff'],
    ['unauthorized', 'Unauthorized', 'backoff'],
    ['login-failed', 'Unauthorized', 'backoff'],
    ['login-limit', 'LoginLimit', 'backoff'],
    ['no-write-permission', 'Forbidden', 'backoff'],
    ['invalid-url', 'ADOMNotFound', 'backoff'],
  ] as const)('%s → %s, retried %s', (kind, reason, retry) => {
    const direct = classifyTargetFailure(fmgError(kind));
    expect(direct).toMatchObject({ problem: { reason }, retry });
    // The same through the FortiOS port the executor uses (the cause is kept).
    expect(classifyTargetFailure(asFortiOSError(fmgError(kind)))).toMatchObject({ problem: { reason } });
  });

  it('keeps the holder in the message of a lock', () => {
    const err = fmgError('locked', { lockedBy: { user: 'alice', since: 0 } });
    const f = classifyTargetFailure(
      new FortiManagerError('ADOM root is locked by alice since 1970-01-01T00:00:00.000Z', err),
    );
    expect(f.problem.message).toContain('locked by alice');
    expect(f.problem.message).toContain('never breaks');
  });

  it('falls back to the device rules: transport kinds and Secret problems', () => {
    expect(classifyTargetFailure(asFortiOSError(fmgError('unreachable'))).problem.reason).toBe('Unreachable');
    expect(classifyTargetFailure(asFortiOSError(fmgError('tls'))).problem.reason).toBe('TLSError');
    const missing = new ReferenceProblem('SecretKeyMissing', 'Secret ns/fmg has no key "apiKey"');
    expect(classifyTargetFailure(missing)).toMatchObject({
      problem: { reason: 'SecretKeyMissing' },
      retry: 'on-change',
    });
  });
});

describe('lockRetryMs', () => {
  it('doubles from 5 s to at most 5 min, with jitter in [½, 1] of the step', () => {
    const top = () => 1;
    const bottom = () => 0;
    expect(lockRetryMs(1, top)).toBe(LOCK_RETRY_BASE_MS);
    expect(lockRetryMs(2, top)).toBe(2 * LOCK_RETRY_BASE_MS);
    expect(lockRetryMs(1, bottom)).toBe(LOCK_RETRY_BASE_MS / 2);
    expect(lockRetryMs(30, top)).toBe(LOCK_RETRY_MAX_MS);
    expect(lockRetryMs(30, bottom)).toBe(LOCK_RETRY_MAX_MS / 2);
  });
});

describe('targetStatus', () => {
  const now = Date.parse('2026-12-02T10:00:00Z');
  const groups = new Map([['IPv4/K8S-DMZ', { ok: true }]]);
  const conditions = (s: ReturnType<typeof targetStatus>) =>
    Object.fromEntries((s.conditions ?? []).map((c) => [c.type, `${c.status}/${c.reason}`]));

  it('in sync: Ready and Synced True, Stalled and Reconciling False, mode and identity shown', () => {
    const s = targetStatus(
      {
        connected: true,
        identity: { hostname: 'fmg1', version: { major: 7, minor: 4, patch: 5 }, serial: 'FMG-1' },
        workspaceMode: 'normal',
        groups,
        managedAddresses: 3,
      },
      undefined,
      2,
      now,
    );
    expect(conditions(s)).toEqual({
      Connected: 'True/Connected',
      Ready: 'True/Synced',
      Synced: 'True/Synced',
      Reconciling: 'False/Ready',
      Stalled: 'False/Ready',
    });
    expect(s).toMatchObject({
      observedGeneration: 2,
      workspaceMode: 'normal',
      fortimanager: { version: '7.4.5', hostname: 'fmg1', serial: 'FMG-1' },
      managedAddresses: 3,
      managedGroups: 1,
    });
    expect(s.lockedBy).toBeUndefined();
  });

  it('locked by someone else: Reconciling with the holder, lockedBy in status', () => {
    const problem = { reason: 'ADOMLocked', message: 'ADOM root is locked by alice' };
    const s = targetStatus(
      { connected: true, problem, lockedBy: { user: 'alice', since: now - 60_000 }, groups },
      undefined,
      1,
      now,
    );
    expect(conditions(s)).toMatchObject({
      Ready: 'False/ADOMLocked',
      Synced: 'False/ADOMLocked',
      Reconciling: 'True/ADOMLocked',
      Stalled: 'False/ADOMLocked',
    });
    expect(s.lockedBy).toEqual({ user: 'alice', since: '2026-12-02T09:59:00Z' });
  });

  it('workflow mode: Stalled', () => {
    const problem = { reason: 'WorkflowModeUnsupported', message: 'ADOM root is in workspace mode workflow' };
    const s = targetStatus(
      { connected: true, problem, workspaceMode: 'workflow', groups },
      undefined,
      1,
      now,
    );
    expect(conditions(s)).toMatchObject({
      Stalled: 'True/WorkflowModeUnsupported',
      Reconciling: 'False/WorkflowModeUnsupported',
    });
  });

  it('suspended: Synced Unknown, Connected Unknown', () => {
    const problem = { reason: 'Suspended', message: 'spec.suspend is true' };
    const s = targetStatus({ connected: false, problem, groups }, undefined, 1, now);
    expect(conditions(s)).toMatchObject({ Synced: 'Unknown/Suspended', Connected: 'Unknown/Suspended' });
  });
});

describe('AdomObjects: the ADOM behind the FortiOS port', () => {
  function fake(tables: Record<string, Record<string, unknown>[]>): { client: AdomClient; calls: string[] } {
    const calls: string[] = [];
    const client = {
      adom: 'root',
      list: async (table: string) => tables[table] ?? [],
      get: async (table: string, name: string) => (tables[table] ?? []).find((e) => e.name === name),
      add: async (table: string, entry: unknown) => void calls.push(`add ${table} ${JSON.stringify(entry)}`),
      update: async (table: string, name: string, patch: unknown) =>
        void calls.push(`update ${table} ${name} ${JSON.stringify(patch)}`),
      delete: async (table: string, name: string) => {
        calls.push(`delete ${table} ${name}`);
        throw fmgError('in-use', { method: 'delete' });
      },
      addMembers: async (table: string, group: string, names: readonly string[]) =>
        void calls.push(`add-member ${table} ${group} ${names.join(',')}`),
      removeMembers: async (table: string, group: string, names: readonly string[]) =>
        void calls.push(`remove-member ${table} ${group} ${names.join(',')}`),
      close: async () => undefined,
    } as unknown as AdomClient;
    return { client, calls };
  }

  it('reads FortiManager shapes as FortiOS ones: [ip, mask] subnets, member name lists', async () => {
    const { client } = fake({
      'firewall/address': [{ name: 'a', subnet: ['192.0.2.1', '255.255.255.255'], comment: 'x' }],
      'firewall/addrgrp': [{ name: 'G', member: ['a', 'none'] }],
    });
    const o = new AdomObjects(client);
    expect(await o.list('firewall/address')).toEqual([
      { name: 'a', subnet: '192.0.2.1 255.255.255.255', comment: 'x' },
    ]);
    expect(await o.get('firewall/addrgrp', 'G')).toEqual({
      name: 'G',
      comment: '',
      member: [{ name: 'a' }, { name: 'none' }],
    });
    expect(await o.list('firewall/policy')).toEqual([]);
  });

  it('writes FortiOS bodies in FortiManager shape; member edits use the member sub-table', async () => {
    const { client, calls } = fake({});
    const o = new AdomObjects(client);
    await o.create('firewall/addrgrp', { name: 'G', member: [{ name: 'a' }], comment: 'c' });
    await o.update('firewall/addrgrp', 'G', { member: [{ name: 'b' }] });
    await o.addMember('firewall/addrgrp', 'G', 'c');
    await o.removeMember('firewall/addrgrp', 'G', 'a');
    expect(calls).toEqual([
      'add firewall/addrgrp {"name":"G","member":["a"],"comment":"c"}',
      'update firewall/addrgrp G {"member":["b"]}',
      'add-member firewall/addrgrp G c',
      'remove-member firewall/addrgrp G a',
    ]);
  });

  it('failures come out as FortiOSErrors of the matching kind (the executor handles in-use as on a FortiGate)', async () => {
    const { client } = fake({});
    const err = await new AdomObjects(client).delete('firewall/address', 'a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FortiOSError);
    expect((err as FortiOSError).kind).toBe('in-use');
    expect((err as FortiOSError).cause).toBeInstanceOf(FortiManagerError);
  });
});

describe('nextInstallAt: coalesced installs with backoff after failures', () => {
  const now = 1_000_000;
  const W = 30_000;
  it.each([
    ['nothing pending', { pending: false, running: false, failures: 0 }, undefined],
    [
      'running: changes wait for the next',
      { pending: true, running: true, failures: 0, lastStartMs: now },
      undefined,
    ],
    ['first install starts at once', { pending: true, running: false, failures: 0 }, now],
    [
      'inside the window: at its end',
      { pending: true, running: false, failures: 0, lastStartMs: now - 10_000 },
      now + 20_000,
    ],
    ['window over: now', { pending: true, running: false, failures: 0, lastStartMs: now - 40_000 }, now],
    [
      'one failure: 1 min after its start',
      { pending: true, running: false, failures: 1, lastStartMs: now - 40_000 },
      now + 20_000,
    ],
    [
      'three failures: 4 min',
      { pending: true, running: false, failures: 3, lastStartMs: now },
      now + 240_000,
    ],
    [
      'many failures: at most 1 h',
      { pending: true, running: false, failures: 20, lastStartMs: now },
      now + INSTALL_RETRY_MAX_MS,
    ],
  ] as const)('%s', (_what, state, at) => {
    expect(nextInstallAt(state, W, now)).toBe(at);
  });
});

describe('installedCondition', () => {
  it('policy None: Unknown, the admins install', () => {
    expect(installedCondition({ policy: 'None', records: [], busy: false })).toMatchObject({
      status: 'Unknown',
      reason: 'InstallPolicyNone',
    });
  });
  it('a failed line: InstallFailed naming the device and FortiManager detail', () => {
    const c = installedCondition({
      policy: 'Packages',
      busy: false,
      records: [
        {
          package: 'web',
          taskId: 7,
          state: 'error',
          devices: [
            { name: 'fgt-a', vdom: 'root', state: 'done' },
            { name: 'fgt-b', vdom: 'root', state: 'error', detail: 'device unreachable' },
          ],
        },
      ],
    });
    expect(c).toMatchObject({ status: 'False', reason: 'InstallFailed' });
    expect(c.message).toBe('install of web (task 7) failed: fgt-b/root: device unreachable');
  });
  it('installed: True, and says unused objects do not reach the FortiGate', () => {
    const c = installedCondition({
      policy: 'Packages',
      busy: false,
      records: [{ package: 'web', state: 'done' }],
    });
    expect(c).toMatchObject({ status: 'True', reason: 'Installed' });
    expect(c.message).toContain('does not reach the FortiGate');
  });
  it('a group no listed package uses: NotUsedByPackage naming it (a failure still comes first)', () => {
    const c = installedCondition({ policy: 'Packages', busy: false, records: [], unused: ['K8S-LONELY'] });
    expect(c).toMatchObject({ status: 'False', reason: 'NotUsedByPackage' });
    expect(c.message).toContain('K8S-LONELY');
    const failed = installedCondition({
      policy: 'Packages',
      busy: false,
      unused: ['K8S-LONELY'],
      records: [{ package: 'web', state: 'error', devices: [{ name: 'fgt', state: 'error', detail: 'x' }] }],
    });
    expect(failed.reason).toBe('InstallFailed');
  });
  it('pending or running: Installing', () => {
    expect(installedCondition({ policy: 'Packages', busy: true, records: [] }).reason).toBe('Installing');
  });
});
