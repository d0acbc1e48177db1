import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type {
  FortiManagerTarget,
  FortiManagerTargetSpec,
} from '../../../src/api/v1alpha1/fortimanager-target.js';
import { FortiManagerClient } from '../../../src/fortimanager/index.js';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import {
  createFortiManagerTarget,
  deleteFortiManagerTarget,
  findFortiManagerTarget,
} from '../../support/fortimanager-target.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, VERSION } from '../../support/operator-harness.js';
import { call, login } from '../../fortimanager/helpers.js';

// Issue 16: the operator acting on a FortiManagerTarget, against the real API server and the
// FortiManager simulator: every workspace mode, a lock held by another admin, an expired session,
// a crash between lock and commit, the shared grants, and the finalizers.

const API_KEY = 'k8s-fmg-api-key-0123456789';
const PASSWORD = 'pw-Secret-1';
const PLURAL = 'fortimanagertargets';
const SESSION_SECRET = 'fortisync-fmg-sessions';

describe('FortiManagerTarget: the operator writes ADOM objects', () => {
  const h = new Harness({
    name: 'fmg',
    clusterName: 'fmg',
    startOperator: false,
    // The test namespace stands in for the operator's own: Session-mode session ids are kept in the
    // pre-created Secret there, as the install does it (config/manager/fmg_session_secret.yaml).
    operatorOptions: (x) => ({ fortiManagerSessionSecret: { namespace: x.ns, name: SESSION_SECRET } }),
  });
  let fmg: FortiManagerSimulatorHandle;
  let target = '';
  const node = (n: string) => `k8s-fmg-node-${h.nodeName(n)}`;
  const adom = () => fmg.adom('root');
  const members = (group: string) =>
    (adom().get('firewall/addrgrp', group)?.member as string[] | undefined)?.slice().sort();
  const cond = (o: { status?: { conditions?: unknown[] } } | undefined, type: string) =>
    (
      o?.status?.conditions as { type: string; status: string; reason: string; message: string }[] | undefined
    )?.find((c) => c.type === type);
  const writesSince = (seq: number) =>
    fmg.requestLog.entries({}).filter((e) => e.seq > seq && e.method !== 'GET');
  const lastSeq = () => fmg.requestLog.entries({}).at(-1)?.seq ?? 0;

  const getTarget = (name = target) => findFortiManagerTarget(h, name);

  /** The session id the operator keeps for the target, if any. */
  async function sessionKept(): Promise<string | undefined> {
    const s = await h.core.readNamespacedSecret({ namespace: h.ns, name: SESSION_SECRET });
    const b64 = s.data?.[target];
    return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
  }

  async function patchTarget(spec: Partial<FortiManagerTargetSpec>): Promise<number> {
    const t = (await h.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, name: target, body: { spec } },
      mergePatch(),
    )) as FortiManagerTarget;
    return t.metadata.generation ?? 0;
  }

  async function targetCondition(type: string, status: string, reason?: string, timeoutMs = 15_000) {
    let last: unknown;
    try {
      return await eventually(
        async () => {
          const t = await getTarget();
          const c = cond(t, type);
          last = t?.status?.conditions;
          return c?.status === status && (!reason || c.reason === reason) ? t : undefined;
        },
        { timeoutMs, what: `target ${type}=${status} ${reason ?? ''}` },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last conditions ${JSON.stringify(last)}`, { cause: err });
    }
  }

  async function expectAdomMembers(group: string, want: string[], timeoutMs = 15_000): Promise<void> {
    const sorted = [...want].sort();
    await eventually(() => (JSON.stringify(members(group)) === JSON.stringify(sorted) ? true : undefined), {
      timeoutMs,
      what: `${group} in the ADOM to hold [${sorted.join(', ')}] (has ${JSON.stringify(members(group))})`,
    });
  }

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [
        { name: 'fortisync', password: PASSWORD, apiKey: API_KEY },
        { name: 'alice', password: 'alice-pw' },
      ],
      adoms: ['root'],
      workspaceMode: 'disabled',
      devices: [{ name: 'fgt-dmz' }, { name: 'fgt-edge' }],
      installDurationMs: 150,
    });
    await h.start();
    await h.core.createNamespacedSecret({ namespace: h.ns, body: { metadata: { name: SESSION_SECRET } } });
    await h.core.createNamespacedSecret({
      namespace: h.ns,
      body: {
        metadata: { name: 'fmg-credentials' },
        stringData: { apiKey: API_KEY, username: 'fortisync', password: PASSWORD },
      },
    });
    target = `fmg-${h.id}`;
    await createFortiManagerTarget(h, fmg, {
      name: target,
      clusterName: 'fmg',
      secret: 'fmg-credentials',
      labels: h.labels,
    });
    await h.startOperator();
    await h.createNode('n1', '192.0.2.81');
    await h.createNode('n2', '192.0.2.82');
  }, 60_000);

  afterAll(async () => {
    await deleteFortiManagerTarget(h, target);
    await eventually(async () => ((await getTarget()) ? undefined : true), {
      timeoutMs: 15_000,
      what: 'target deleted',
    }).catch(() => undefined);
    await h.stop();
    await fmg.close();
  }, 60_000);

  it('workspace mode disabled: a mapping naming only the target fills the ADOM group; status says so per kind', async () => {
    await h.runPod('web-1', { zone: 'dmz' }, 'n1', ['10.244.1.5']);
    await h.applyMapping('web', { devices: undefined, fortiManagerTargets: [target] } as never);
    await expectAdomMembers('K8S-DMZ', [node('n1')]);
    expect(adom().get('firewall/address', node('n1'))).toMatchObject({
      subnet: ['192.0.2.81', '255.255.255.255'],
    });
    expect(String(adom().get('firewall/addrgrp', 'K8S-DMZ')?.comment)).toContain('[fortisync:fmg]');
    const m = await h.expectCondition('web', 'Ready', 'True');
    expect(m.status?.devices).toEqual([
      expect.objectContaining({ name: target, kind: 'FortiManagerTarget', synced: true, members: 1 }),
    ]);
    const t = await targetCondition('Ready', 'True', 'Synced');
    expect(t.status).toMatchObject({ workspaceMode: 'disabled', managedAddresses: 1, managedGroups: 1 });
    expect(cond(t, 'Stalled')?.status).toBe('False');
    expect(adom().lockInfo()).toBeUndefined();
  });

  it('steady state: a drift check the operator provably made (it re-read the ADOM) performs zero writes', async () => {
    const generation = await patchTarget({ driftCheckIntervalSeconds: 10 });
    const before = await eventually(
      async () => {
        const t = await getTarget();
        return t?.status?.observedGeneration === generation ? t.status.lastDriftCheckTime : undefined;
      },
      { what: `target status for generation ${generation}` },
    );
    const mark = lastSeq();
    // The positive signal: a later drift check re-read every table and planned against it.
    await eventually(
      async () => {
        const t = await getTarget();
        return t?.status?.lastDriftCheckTime && t.status.lastDriftCheckTime !== before ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'a drift check after the mark' },
    );
    const reads = fmg.requestLog.entries({}).filter((e) => e.seq > mark && e.method === 'GET');
    expect(reads.some((e) => e.path.endsWith('/obj/firewall/address'))).toBe(true);
    expect(writesSince(mark)).toEqual([]);
  }, 45_000);

  it('workspace mode normal: lock → writes → commit → unlock, no lock left behind', async () => {
    fmg.settings.workspaceMode = 'normal';
    await patchTarget({ driftCheckIntervalSeconds: 10 }); // re-reads the workspace mode now
    await targetCondition('Ready', 'True');
    await eventually(
      async () => ((await getTarget())?.status?.workspaceMode === 'normal' ? true : undefined),
      {
        what: 'workspace mode normal seen',
      },
    );
    const mark = lastSeq();
    await h.runPod('web-2', { zone: 'dmz' }, 'n2', ['10.244.2.5']);
    await expectAdomMembers('K8S-DMZ', [node('n1'), node('n2')]);
    // Committed changes are visible before the unlock that follows the commit.
    await eventually(() => (adom().lockInfo() === undefined ? true : undefined), { what: 'ADOM unlocked' });
    const writes = writesSince(mark).map((e) => `${e.method} ${e.path}`);
    const lock = writes.findIndex((w) => w.endsWith('/workspace/lock'));
    const commit = writes.findIndex((w) => w.endsWith('/workspace/commit'));
    const unlock = writes.findIndex((w) => w.endsWith('/workspace/unlock'));
    expect(lock).toBeGreaterThanOrEqual(0);
    expect(commit).toBeGreaterThan(lock);
    expect(unlock).toBeGreaterThan(commit);
    expect(writes.slice(lock + 1, commit).some((w) => w.startsWith('ADD') || w.startsWith('UPDATE'))).toBe(
      true,
    );
    expect(adom().lockInfo()).toBeUndefined();
  });

  it('a lock another admin holds: ADOMLocked naming who, no write, retried after the unlock; the lock is never broken', async () => {
    const alice = await login(fmg, 'alice', 'alice-pw');
    expect((await call(fmg, alice, 'exec', { url: '/dvmdb/adom/root/workspace/lock' })).status.code).toBe(0);
    await h.runPod('web-3', { zone: 'dmz' }, 'n2', ['10.244.2.6']);
    await h.deletePod('web-2');
    await h.deletePod('web-3');
    const t = await targetCondition('Synced', 'False', 'ADOMLocked');
    expect(cond(t, 'Synced')?.message).toContain('locked by alice');
    expect(t.status?.lockedBy?.user).toBe('alice');
    expect(cond(t, 'Reconciling')?.status).toBe('True');
    const m = await h.expectCondition('web', 'Synced', 'False', 'ADOMLocked');
    expect(cond(m, 'Synced')?.message).toContain('alice');
    expect(members('K8S-DMZ')).toEqual([node('n1'), node('n2')].sort());
    expect(adom().lockInfo()?.user).toBe('alice');
    expect((await call(fmg, alice, 'exec', { url: '/dvmdb/adom/root/workspace/unlock' })).status.code).toBe(
      0,
    );
    await expectAdomMembers('K8S-DMZ', [node('n1')], 30_000);
    const after = await targetCondition('Ready', 'True');
    expect(after.status?.lockedBy).toBeUndefined();
  }, 60_000);

  it('workflow mode: Stalled WorkflowModeUnsupported, nothing written', async () => {
    fmg.settings.workspaceMode = 'workflow';
    try {
      const mark = lastSeq();
      await patchTarget({ driftCheckIntervalSeconds: 11 });
      await h.runPod('web-5', { zone: 'dmz' }, 'n2', ['10.244.2.8']); // a change that would need a write
      const t = await targetCondition('Stalled', 'True', 'WorkflowModeUnsupported');
      expect(cond(t, 'Ready')?.message).toContain('workflow');
      expect(writesSince(mark)).toEqual([]);
      expect(members('K8S-DMZ')).toEqual([node('n1')]);
    } finally {
      fmg.settings.workspaceMode = 'disabled';
    }
    await h.deletePod('web-5');
    await patchTarget({ driftCheckIntervalSeconds: 12 });
    await targetCondition('Ready', 'True');
  });

  it('session login: an expired session (-11) costs exactly one new login', async () => {
    await patchTarget({ auth: 'Session' });
    await targetCondition('Ready', 'True');
    await eventually(() => (fmg.sessions.list().some((s) => s.user === 'fortisync') ? true : undefined), {
      what: 'a fortisync session',
    });
    const mark = lastSeq();
    expect(fmg.sessions.expire('fortisync')).toBeGreaterThan(0);
    await h.runPod('web-4', { zone: 'dmz' }, 'n2', ['10.244.2.7']);
    await expectAdomMembers('K8S-DMZ', [node('n1'), node('n2')]);
    const logins = fmg.requestLog
      .entries({})
      .filter((e) => e.seq > mark && e.path.replace(/^\//, '') === 'sys/login/user');
    expect(logins).toHaveLength(1);
    expect(fmg.sessions.list().filter((s) => s.user === 'fortisync')).toHaveLength(1);
  });

  it('crash between lock and commit: a restarted operator releases its own admin lock at start-up', async () => {
    await patchTarget({ auth: 'APIKey' });
    await targetCondition('Ready', 'True');
    fmg.settings.workspaceMode = 'normal';
    await h.stopOperator();
    // What a process killed between lock and commit leaves: the ADOM locked by our admin, a write pending.
    const crashed = new FortiManagerClient({
      baseUrl: fmg.url,
      adom: 'root',
      auth: { apiKey: API_KEY },
      ...(fmg.caCertPem ? { ca: fmg.caCertPem } : {}),
    });
    await crashed.lock();
    await crashed.add('firewall/address', { name: 'half-done', subnet: '192.0.2.99/32' });
    expect(adom().lockInfo()?.user).toBe('fortisync');
    const started = Date.now();
    await h.deletePod('web-4');
    await h.startOperator();
    await eventually(() => (adom().lockInfo() === undefined ? true : undefined), {
      timeoutMs: 15_000,
      what: 'stale lock released',
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(adom().get('firewall/address', 'half-done')).toBeUndefined();
    await expectAdomMembers('K8S-DMZ', [node('n1')]);
    const events = await eventually(
      async () => {
        const e = await h.events('FortiManagerTarget', target);
        return e.some((x) => x.reason === 'StaleLockReleased') ? e : undefined;
      },
      { what: 'StaleLockReleased event' },
    );
    expect(events.find((x) => x.reason === 'StaleLockReleased')?.note).toContain('fortisync');
  }, 60_000);

  it('crash between lock and commit, Session login: the restarted operator logs the left session out', async () => {
    await patchTarget({ auth: 'Session' });
    await targetCondition('Ready', 'True');
    await eventually(() => fmg.sessions.list().some((x) => x.user === 'fortisync') || undefined, {
      what: 'a fortisync session',
    });
    const kept = await eventually(async () => (await sessionKept()) ?? undefined, {
      what: 'the session id kept in the session Secret',
    });
    expect(kept.length).toBeGreaterThan(0);
    await h.stopOperator();
    // A clean stop logs out and forgets the session (the key goes; the Secret stays).
    await eventually(async () => ((await sessionKept()) === undefined ? true : undefined), {
      what: 'the session id forgotten at shutdown',
    });
    expect(fmg.sessions.list().filter((x) => x.user === 'fortisync')).toEqual([]);
    // What a killed process leaves: its session open and holding the lock, its id in the Secret.
    let crashedSession: string | undefined;
    const crashed = new FortiManagerClient({
      baseUrl: fmg.url,
      adom: 'root',
      auth: { username: 'fortisync', password: PASSWORD },
      ...(fmg.caCertPem ? { ca: fmg.caCertPem } : {}),
      onSession: (x) => (crashedSession = x ?? crashedSession),
    });
    await crashed.lock();
    await crashed.add('firewall/address', { name: 'half-done-2', subnet: '192.0.2.98/32' });
    await h.core.patchNamespacedSecret(
      { namespace: h.ns, name: SESSION_SECRET, body: { stringData: { [target]: crashedSession as string } } },
      mergePatch(),
    );
    expect(adom().lockInfo()?.user).toBe('fortisync');
    await h.runPod('web-6', { zone: 'dmz' }, 'n2', ['10.244.2.9']);
    const started = Date.now();
    await h.startOperator();
    await expectAdomMembers('K8S-DMZ', [node('n1'), node('n2')]);
    expect(Date.now() - started).toBeLessThan(15_000);
    await eventually(() => (adom().lockInfo() === undefined ? true : undefined), { what: 'ADOM unlocked' });
    expect(adom().get('firewall/address', 'half-done-2')).toBeUndefined();
    const events = await eventually(
      async () => {
        const e = await h.events('FortiManagerTarget', target);
        return e.filter((x) => x.reason === 'StaleLockReleased').length >= 2 ? e : undefined;
      },
      { what: 'a second StaleLockReleased event' },
    );
    expect(events.some((x) => x.note?.includes('session an earlier process left open'))).toBe(true);
    await h.deletePod('web-6');
    await expectAdomMembers('K8S-DMZ', [node('n1')]);
    await patchTarget({ auth: 'APIKey' });
    fmg.settings.workspaceMode = 'disabled';
  }, 60_000);

  it('shared grants: the target refuses a group its access does not allow, naming the FortiManagerTarget', async () => {
    const generation = await patchTarget({ access: { allowedGroups: ['K8S-WEB-*'] } } as never);
    // The grant is in force once the target's status covers its generation.
    await eventually(
      async () => ((await getTarget())?.status?.observedGeneration === generation ? true : undefined),
      {
        what: `target status for generation ${generation}`,
      },
    );
    const mark = lastSeq();
    await h.applyMapping('other', {
      devices: undefined,
      fortiManagerTargets: [target],
      addressGroup: 'K8S-OTHER',
    } as never);
    const m = await h.expectCondition('other', 'Ready', 'False', 'GroupNotAllowed');
    expect(cond(m, 'Ready')?.message).toContain(`FortiManagerTarget ${target}`);
    expect(cond(m, 'Stalled')?.status).toBe('True');
    expect(adom().get('firewall/addrgrp', 'K8S-OTHER')).toBeUndefined();
    expect(writesSince(mark).filter((e) => String(e.path).includes('K8S-OTHER'))).toEqual([]);
    await h.deleteMapping('other');
    await h.applyMapping('web', {
      devices: undefined,
      fortiManagerTargets: [target],
      addressGroup: 'K8S-WEB-1',
    } as never);
    await expectAdomMembers('K8S-WEB-1', [node('n1')]);
    await h.expectCondition('web', 'Ready', 'True');
  }, 60_000);

  it('install policy Packages: a change is installed (coalesced), per-device lines in status; a failed install is a condition, not a loop', async () => {
    adom().seedPackage({
      name: 'web-pkg',
      scope: [
        { name: 'fgt-dmz', vdom: 'root' },
        { name: 'fgt-edge', vdom: 'root' },
      ],
      policies: [
        { policyid: 1, name: 'web-to-db', srcaddr: ['K8S-WEB-1'], dstaddr: ['all'], action: 'accept' },
      ],
    });
    const generation = await patchTarget({
      install: { policy: 'Packages', packages: [{ name: 'web-pkg' }], coalesceSeconds: 5 },
    });
    await eventually(
      async () => ((await getTarget())?.status?.observedGeneration === generation ? true : undefined),
      {
        what: `target status for generation ${generation}`,
      },
    );
    const dmz = () => fmg.devices.get('fgt-dmz')?.state;
    const deviceMembers = () =>
      ((dmz()?.get('firewall/addrgrp', 'K8S-WEB-1')?.member as { name: string }[] | undefined) ?? [])
        .map((m) => m.name)
        .sort();
    await h.runPod('web-8', { zone: 'dmz' }, 'n2', ['10.244.2.10']);
    await expectAdomMembers('K8S-WEB-1', [node('n1'), node('n2')]);
    await eventually(
      () =>
        JSON.stringify(deviceMembers()) === JSON.stringify([node('n1'), node('n2')].sort())
          ? true
          : undefined,
      {
        timeoutMs: 20_000,
        what: 'the install to bring K8S-WEB-1 to fgt-dmz',
      },
    );
    const installed = await targetCondition('Installed', 'True', 'Installed', 20_000);
    expect(cond(installed, 'Installed')?.message).toContain('does not reach the FortiGate');
    expect(installed.status?.installs?.[0]).toMatchObject({ package: 'web-pkg', state: 'done' });
    expect(installed.status?.installs?.[0]?.devices?.map((d) => d.name).sort()).toEqual([
      'fgt-dmz',
      'fgt-edge',
    ]);

    // A group no policy of the listed package uses: FortiManager would not install it; status says so.
    await h.applyMapping('lonely', {
      devices: undefined,
      fortiManagerTargets: [target],
      addressGroup: 'K8S-WEB-2',
    } as never);
    await expectAdomMembers('K8S-WEB-2', [node('n1'), node('n2')]);
    const unused = await targetCondition('Installed', 'False', 'NotUsedByPackage', 20_000);
    expect(cond(unused, 'Installed')?.message).toContain('K8S-WEB-2');
    expect(cond(unused, 'Installed')?.message).not.toContain('K8S-WEB-1');
    expect(dmz()?.get('firewall/addrgrp', 'K8S-WEB-2')).toBeUndefined();
    await h.deleteMapping('lonely');
    await eventually(async () => ((await h.mapping('lonely')) ? undefined : true), { what: 'lonely gone' });

    // A failing device line: Installed=False with the line; the retry waits (1 min), no hot loop.
    const fault = fmg.faults.add({
      match: { method: 'install', mkey: 'fgt-edge' },
      action: { type: 'install-error', detail: 'device unreachable' },
    });
    try {
      await h.deletePod('web-8');
      const failed = await targetCondition('Installed', 'False', 'InstallFailed', 30_000);
      expect(cond(failed, 'Installed')?.message).toContain('fgt-edge');
      expect(cond(failed, 'Installed')?.message).toContain('device unreachable');
      const installs = () =>
        fmg.requestLog
          .entries({})
          .filter((e) => e.path.replace(/^\//, '') === 'securityconsole/install/package').length;
      const count = installs();
      await h.runPod('web-9', { zone: 'dmz' }, 'n2', ['10.244.2.11']);
      await expectAdomMembers('K8S-WEB-1', [node('n1'), node('n2')]);
      await new Promise((r) => setTimeout(r, 6000)); // past the 5 s window, inside the 1 min backoff
      expect(installs()).toBe(count);
      await h.deletePod('web-9');
      await expectAdomMembers('K8S-WEB-1', [node('n1')]);
    } finally {
      fmg.faults.remove(fault);
    }
    await patchTarget({ install: { policy: 'None' } });
  }, 90_000);

  it('deleting the mapping removes its members; deleting the target (Delete) removes what it owns', async () => {
    await h.deleteMapping('web');
    await eventually(async () => ((await h.mapping('web')) ? undefined : true), { what: 'mapping gone' });
    // The finalizer went only after the target wrote the removal. A policy of web-pkg uses the
    // group, so it stays, holding the placeholder.
    expect(members('K8S-WEB-1')).toEqual(['none']);
    const alice = await login(fmg, 'alice', 'alice-pw');
    const removed = await call(fmg, alice, 'delete', {
      url: 'pm/config/adom/root/pkg/web-pkg/firewall/policy/1',
    });
    expect(removed.status.code).toBe(0);
    adom().seed('firewall/address', { name: 'admin-host', subnet: ['198.51.100.1', '255.255.255.255'] });
    await h.custom.deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      name: target,
    });
    await eventually(async () => ((await getTarget()) ? undefined : true), { what: 'target gone' });
    const left = adom()
      .list('firewall/address')
      .map((a) => String(a.name))
      .filter((n) => n.startsWith('k8s-'));
    expect(left).toEqual([]);
    expect(adom().get('firewall/addrgrp', 'K8S-DMZ')).toBeUndefined();
    expect(adom().get('firewall/address', 'admin-host')).toBeDefined();
  }, 60_000);
});
