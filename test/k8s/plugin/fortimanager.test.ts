import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import { call, login } from '../../fortimanager/helpers.js';
import {
  createFortiManagerTarget,
  deleteFortiManagerTarget,
  getFortiManagerTarget,
} from '../../support/fortimanager-target.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, VERSION } from '../../support/operator-harness.js';
import { runPlugin } from './run-plugin.js';

// Issue 16 / 18: `kubectl fortisync trace`, `status`, `plan` and `check` on mappings that target a
// FortiManagerTarget, against the real API server, the operator and the FortiManager simulator
// (workspace mode normal, one managed FortiGate, an install policy).

const API_KEY = 'plugin-fmg-api-key-0123456789';
const PLURAL = 'fortimanagertargets';

interface CheckOut {
  target: string;
  checks: { check: string; result: string; detail: string }[];
}

describe('kubectl fortisync with a FortiManagerTarget', () => {
  const h = new Harness({ name: 'pfmg', clusterName: 'pfmg' });
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-plugin-fmg-'));
  let fmg: FortiManagerSimulatorHandle;
  const target = () => `pfmg-${h.id}`;
  const key = () => `fortimanagertarget/${target()}`;
  const node = (n: string) => `k8s-pfmg-node-${h.nodeName(n)}`;
  const extra: string[] = [];
  const lastSeq = () => fmg.requestLog.entries({}).at(-1)?.seq ?? 0;
  const since = (seq: number) => fmg.requestLog.entries({}).filter((e) => e.seq > seq);

  const createTarget = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) =>
    createFortiManagerTarget(h, fmg, { name, clusterName: 'pfmg', secret: 'fmg-key', labels, spec });
  const getTarget = () => getFortiManagerTarget(h, target());

  async function targetReason(type: string, reason: string, timeoutMs = 30_000): Promise<void> {
    await eventually(
      async () =>
        (await getTarget()).status?.conditions?.some((c) => c.type === type && c.reason === reason)
          ? true
          : undefined,
      { timeoutMs, what: `target ${type} reason ${reason}` },
    );
  }

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [
        { name: 'fortisync', password: 'pfmg-pw-1', apiKey: API_KEY },
        { name: 'alice', password: 'alice-pw' },
      ],
      adoms: ['root'],
      workspaceMode: 'normal',
      devices: [{ name: 'fgt-p' }],
      installDurationMs: 100,
    });
    await h.start();
    await h.createNode('worker-1', '192.0.2.41');
    await h.createNode('worker-2', '192.0.2.42');
    await h.setSecret({ apiKey: API_KEY }, 'fmg-key');
    await h.setSecret({ apiKey: 'wrong-key-000000000000' }, 'fmg-wrong-key');
    await createTarget(target(), {}, h.labels);
    await h.runPod('web-1', { app: 'web' }, 'worker-1', ['10.9.1.1']);
    await h.applyMapping('web', {
      podSelector: { matchLabels: { app: 'web' } },
      addressGroup: 'K8S-PLUG',
      devices: undefined,
      fortiManagerTargets: [target()],
    } as never);
    await h.expectCondition('web', 'Ready', 'True', undefined, 30_000);
    // A package starts using the group; then changes are installed to fgt-p.
    fmg.adom('root').seedPackage({
      name: 'plug-pkg',
      scope: [{ name: 'fgt-p', vdom: 'root' }],
      policies: [{ policyid: 7, name: 'web-out', srcaddr: ['K8S-PLUG'], dstaddr: ['all'], action: 'accept' }],
    });
    await h.custom.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        name: target(),
        body: {
          spec: { install: { policy: 'Packages', packages: [{ name: 'plug-pkg' }], coalesceSeconds: 5 } },
        },
      },
      mergePatch(),
    );
    await h.runPod('web-2', { app: 'web' }, 'worker-2', ['10.9.2.1']);
    await targetReason('Installed', 'Installed');
    await eventually(
      async () => ((await getTarget()).status?.installs?.[0]?.state === 'done' ? true : undefined),
      { timeoutMs: 30_000, what: 'the first install done' },
    );
  }, 120_000);

  afterAll(async () => {
    for (const name of [...extra, target()]) await deleteFortiManagerTarget(h, name);
    await h.deleteMapping('web').catch(() => undefined);
    await eventually(
      async () =>
        await h.custom
          .getClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name: target() })
          .then(
            () => undefined,
            () => true,
          ),
      { timeoutMs: 20_000, what: 'the target gone' },
    ).catch(() => undefined);
    await h.stop();
    await fmg.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('trace pod: the ADOM row is a member, read live through FortiManager, with the package policy using the group', async () => {
    const seq = lastSeq();
    const r = await runPlugin(['trace', 'pod', `${h.ns}/web-1`, '-o', 'json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as {
      rows: { device: string; kind?: string; address?: string; verdict: { state: string; reason: string } }[];
      groups: { device: string; direct: string[] }[];
      policies: { device: string; policies: { policyid: number; name: string; via: string[] }[] }[];
      devices: { name: string; read: boolean; pendingOperations?: number }[];
    };
    const row = t.rows.find((x) => x.device === key());
    expect(row).toMatchObject({ kind: 'FortiManagerTarget', address: node('worker-1') });
    expect(row?.verdict.state).toBe('member');
    expect(t.groups.find((g) => g.device === key())?.direct).toEqual(['K8S-PLUG']);
    expect(t.policies.find((p) => p.device === key())?.policies).toEqual([
      expect.objectContaining({ policyid: 7, name: 'plug-pkg: web-out', via: ['K8S-PLUG'] }),
    ]);
    // Other suites' targets may still be named by their mappings on the shared API server.
    expect(t.devices.filter((d) => d.name === key())).toEqual([
      { name: key(), read: true, pendingOperations: 0 },
    ]);
    // Read-only: the plugin only asked (an API key: no login either).
    expect(since(seq).filter((e) => e.method !== 'GET')).toEqual([]);
    expect(since(seq).length).toBeGreaterThan(0);

    const text = await runPlugin(['trace', 'pod', `${h.ns}/web-1`]);
    expect(text.stdout).toContain(key());
    expect(text.stdout).toContain('plug-pkg: web-out');
  });

  it('status: the target with its workspace mode, installs per package, and who holds a lock', async () => {
    const r = await runPlugin(['status', '-o', 'json', '--live']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as {
      targets: {
        name: string;
        ready: string;
        workspaceMode?: string;
        installed?: { reason: string };
        installs: { package: string; state: string; devices: number }[];
        drift?: { pendingOperations: number };
      }[];
      mappings: { name: string; targets: string[] }[];
    };
    const mine = s.targets.find((t) => t.name === target());
    expect(mine).toMatchObject({
      ready: 'True',
      workspaceMode: 'normal',
      installed: { reason: 'Installed' },
      drift: { pendingOperations: 0 },
    });
    expect(mine?.installs).toEqual([
      expect.objectContaining({ package: 'plug-pkg', state: 'done', devices: 1 }),
    ]);
    expect(s.mappings.find((m) => m.name === 'web')?.targets).toEqual([target()]);

    // Another admin takes the ADOM lock while a pod leaves: status names her.
    const alice = await login(fmg, 'alice', 'alice-pw');
    expect((await call(fmg, alice, 'exec', { url: '/dvmdb/adom/root/workspace/lock' })).status.code).toBe(0);
    try {
      await h.deletePod('web-2');
      await targetReason('Synced', 'ADOMLocked');
      const locked = await runPlugin(['status']);
      expect(locked.stdout).toContain('FORTIMANAGER TARGETS');
      const line = locked.stdout.split('\n').find((l) => l.startsWith(`${target()} `));
      expect(line).toContain('ADOMLocked');
      expect(line).toContain('alice');
      expect(locked.stdout).toMatch(new RegExp(`fortimanagertarget ${target()}: ADOMLocked: .*alice`));
    } finally {
      await call(fmg, alice, 'exec', { url: '/dvmdb/adom/root/workspace/unlock' });
    }
    // The unlocked ADOM gets the change (the next test plans from a settled ADOM).
    await eventually(
      () =>
        JSON.stringify(fmg.adom('root').get('firewall/addrgrp', 'K8S-PLUG')?.member) ===
        JSON.stringify([node('worker-1')])
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'K8S-PLUG without worker-2 after the unlock' },
    );
    await targetReason('Ready', 'Synced');
  }, 60_000);

  it('plan -f: a new mapping into the target lists its ADOM operations and writes nothing', async () => {
    const file = join(dir, 'api.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'FortiGateEndpointMapping',
        metadata: { name: 'api', namespace: h.ns },
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          addressGroup: 'K8S-PLUG-API',
          fortiManagerTargets: [target()],
        },
      }),
    );
    const seq = lastSeq();
    const r = await runPlugin(['plan', '-f', file, '-o', 'json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as {
      devices: unknown[];
      targets: { device: string; operations: { op: string; name: string; alreadyPending: boolean }[] }[];
    };
    expect(p.devices).toEqual([]);
    expect(p.targets).toHaveLength(1);
    expect(p.targets[0]?.device).toBe(key());
    // What the manifest adds (the operator may still have a deferred address deletion pending).
    expect(p.targets[0]?.operations.filter((op) => !op.alreadyPending)).toEqual([
      expect.objectContaining({ op: 'createGroup', name: 'K8S-PLUG-API', alreadyPending: false }),
    ]);
    expect(since(seq).filter((e) => e.method !== 'GET')).toEqual([]);
    expect(fmg.adom('root').get('firewall/addrgrp', 'K8S-PLUG-API')).toBeUndefined();
  });

  it('check fortimanagertarget/NAME: credentials, TLS, API key, ADOM, workspace mode, lock, read rights, packages', async () => {
    const r = await runPlugin(['check', key(), '-o', 'json']);
    const out = JSON.parse(r.stdout) as CheckOut;
    expect(out.target).toBe(target());
    expect(Object.fromEntries(out.checks.map((c) => [c.check, c.result]))).toEqual({
      spec: 'ok',
      credentials: 'ok',
      tls: 'ok',
      'api key': 'ok',
      adom: 'ok',
      'workspace mode': 'ok',
      'adom lock': 'ok',
      'read firewall/address': 'ok',
      'read firewall/address6': 'ok',
      'read firewall/addrgrp': 'ok',
      'read firewall/addrgrp6': 'ok',
      'package plug-pkg': 'ok',
    });
    expect(r.code).toBe(0);
  });

  it('check finds a wrong API key (one refused request), an unknown ADOM, an untrusted certificate and a missing package', async () => {
    const wrongKey = `${target()}-wrongkey`;
    const noAdom = `${target()}-noadom`;
    const untrusted = `${target()}-untrusted`;
    extra.push(wrongKey, noAdom, untrusted);
    await createTarget(wrongKey, { credentialsSecretRef: { name: 'fmg-wrong-key', namespace: h.ns } });
    await createTarget(noAdom, {
      adom: 'nowhere',
      install: { policy: 'Packages', packages: [{ name: 'missing-pkg' }] },
    });
    await createTarget(untrusted, { tls: {} });

    const seq = lastSeq();
    const bad = await runPlugin(['check', `fortimanagertarget/${wrongKey}`, '-o', 'json']);
    expect(bad.code).toBe(1);
    const badLines = (JSON.parse(bad.stdout) as CheckOut).checks;
    expect(badLines.at(-1)).toMatchObject({ check: 'api key', result: 'fail' });
    expect(badLines.at(-1)?.detail).toContain('stopped after one');
    expect(since(seq)).toHaveLength(1);

    const adom = await runPlugin(['check', `fortimanagertarget/${noAdom}`, '-o', 'json']);
    expect(adom.code).toBe(1);
    const adomLines = (JSON.parse(adom.stdout) as CheckOut).checks;
    expect(adomLines.find((c) => c.check === 'api key')?.result).toBe('ok');
    expect(adomLines.at(-1)).toMatchObject({ check: 'adom', result: 'fail' });
    expect(adomLines.at(-1)?.detail).toContain('nowhere');

    const tls = await runPlugin(['check', `fortimanagertarget/${untrusted}`, '-o', 'json']);
    expect(tls.code).toBe(1);
    expect((JSON.parse(tls.stdout) as CheckOut).checks.at(-1)).toMatchObject({
      check: 'tls',
      result: 'fail',
    });

    // A package the install policy names but the ADOM does not have (on a target whose ADOM exists).
    await h.custom.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: PLURAL,
        name: noAdom,
        body: { spec: { adom: 'root' } },
      },
      mergePatch(),
    );
    const pkg = await runPlugin(['check', `fortimanagertarget/${noAdom}`, '-o', 'json']);
    expect(pkg.code).toBe(1);
    expect(
      (JSON.parse(pkg.stdout) as CheckOut).checks.find((c) => c.check === 'package missing-pkg'),
    ).toMatchObject({
      result: 'fail',
    });
  });
});
