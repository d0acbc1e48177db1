import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import {
  PRODUCTION,
  spawnOperator,
  stageImageLayout,
  type OperatorProcess,
} from '../../support/operator-process.js';
import { repoRoot } from '../../support/testenv-binaries.js';

// The CLI as the image holds it: the bundle and package.json, no node_modules above them. One
// replica below runs from here, the other from the repository: both must elect, sync and hand over.
const imageDir = mkdtempSync(join(tmpdir(), 'fortisync-image-'));
const CLI = stageImageLayout(imageDir);

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

describe('fortisync operator as a process', () => {
  const h = new Harness({ name: 'process', clusterName: 'proc', startOperator: false });
  const procs: OperatorProcess[] = [];
  const leaseName = `fortisync-leader-${h.id}`;
  const args = () => [
    '--kubeconfig',
    process.env.FORTISYNC_TEST_KUBECONFIG as string,
    '--leader-election-namespace',
    h.ns,
    '--leader-election-id',
    leaseName,
    '--watch-selector',
    h.selector,
    '--shutdown-timeout-seconds',
    '10',
  ];
  const holder = async (): Promise<string | undefined> => {
    const api = h.kc.makeApiClient(CoordinationV1Api);
    try {
      return (
        (await api.readNamespacedLease({ namespace: h.ns, name: leaseName })).spec?.holderIdentity ||
        undefined
      );
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    await h.start();
    await h.createNode('worker-1', '192.0.2.21');
    await h.createNode('worker-2', '192.0.2.22');
  });
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await h.stop().catch(() => undefined);
    rmSync(imageDir, { recursive: true, force: true });
  });

  it("runs from the image's layout alone and reports package.json's version", () => {
    const r = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', cwd: imageDir });
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('lists each bundled package at the version package-lock.json installs, with its licence', () => {
    const bundled = JSON.parse(readFileSync(join(imageDir, 'dist/bundle/packages.json'), 'utf8')) as {
      name: string;
      version: string;
      license: string;
    }[];
    const lock = JSON.parse(readFileSync(join(repoRoot(), 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    for (const name of ['@kubernetes/client-node', 'got', 'winston', 'ajv', 'p-retry', 'prom-client']) {
      expect(bundled.find((p) => p.name === name)?.version).toBe(
        lock.packages[`node_modules/${name}`]?.version,
      );
    }
    expect(bundled.every((p) => p.license !== '')).toBe(true);
    const notices = readFileSync(join(imageDir, 'dist/bundle/THIRD-PARTY-NOTICES.md'), 'utf8');
    expect(notices).toContain('## @kubernetes/client-node');
    expect(notices).toContain('Apache License');
    // The licence comments esbuild finds live beside the bundle, which stays ASCII (hack/bundle.ts).
    expect(readFileSync(join(imageDir, 'dist/bundle/fortisync.mjs.LEGAL.txt'), 'utf8')).toContain(
      'formdata-polyfill. MIT License.',
    );
    const bundle = readFileSync(join(imageDir, PRODUCTION.script));
    expect(bundle.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it('rejects a bad configuration with a clear message and exit code 2', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'operator', '--log-level', 'chatty', '--health-addr', 'nowhere'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--log-level');
    expect(r.stderr).toContain('error, warn, info, debug');
    expect(r.stderr).toContain('--health-addr');
  });

  it('lists every flag in --help', () => {
    const r = spawnSync(process.execPath, [CLI, 'operator', '--help'], { encoding: 'utf8' });
    for (const flag of [
      '--kubeconfig',
      '--leader-elect',
      '--health-addr',
      '--metrics-addr',
      '--log-level',
      '--log-format',
      '--shutdown-timeout-seconds',
      '--overlap-window-seconds',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('two replicas elect one leader; health and metrics answer; the leader does the job', async () => {
    procs.push(await spawnOperator(args()), await spawnOperator(args(), { cli: CLI }));
    const leaderId = await eventually(holder, { timeoutMs: 30_000, what: 'a lease holder' });
    for (const p of procs) {
      expect(
        await eventually(
          async () => ((await get(`${p.healthUrl}/readyz`)).status === 200 ? true : undefined),
          { what: 'readyz' },
        ),
      ).toBe(true);
      expect((await get(`${p.healthUrl}/healthz`)).status).toBe(200);
    }
    await h.applyMapping('web', { podSelector: { matchLabels: { app: 'web' } }, addressGroup: 'PROC-WEB' });
    await h.runPod('web-1', { app: 'web' }, 'worker-1', ['10.0.1.1']);
    await h.expectMembers(
      'PROC-WEB',
      [`k8s-proc-node-${h.nodeName('worker-1')}`],
      'firewall/addrgrp',
      30_000,
    );
    const leader = procs.find((p) => p.logs.some((l) => l.message === 'became leader; starting controllers'));
    expect(leader).toBeDefined();
    expect(
      procs.filter((p) => p.logs.some((l) => l.message === 'became leader; starting controllers')),
    ).toHaveLength(1);
    const metrics = (await get(`${leader!.metricsUrl}/metrics`)).body;
    for (const series of [
      'controller_runtime_reconcile_total{controller="fortigatedevice",result="success"}',
      'controller_runtime_reconcile_time_seconds_bucket',
      'controller_runtime_active_workers',
      'workqueue_depth{name="fortigatedevice"}',
      'workqueue_adds_total',
      'workqueue_queue_duration_seconds_bucket',
      'workqueue_retries_total',
      'fortisync_fortios_requests_total{',
      'fortisync_fortios_request_duration_seconds_bucket',
      'fortisync_managed_objects{',
      'fortisync_mapping_members{',
      'fortisync_leader 1',
      'fortisync_propagation_latency_seconds_bucket',
      'process_resident_memory_bytes',
    ]) {
      expect(metrics).toContain(series);
    }
    expect(leaderId).toBeTruthy();
  });

  it('when the leader is killed, the follower takes over and converges', async () => {
    const leader = procs.find((p) =>
      p.logs.some((l) => l.message === 'became leader; starting controllers'),
    )!;
    const follower = procs.find((p) => p !== leader)!;
    leader.kill('SIGKILL');
    await leader.exitCode();
    // Meanwhile the cluster changes: the follower must notice once it leads.
    await h.runPod('web-2', { app: 'web' }, 'worker-2', ['10.0.2.1']);
    await follower.waitForLog((l) => l.message === 'became leader; starting controllers', 'takeover', 40_000);
    await h.expectMembers(
      'PROC-WEB',
      [`k8s-proc-node-${h.nodeName('worker-1')}`, `k8s-proc-node-${h.nodeName('worker-2')}`],
      'firewall/addrgrp',
      20_000,
    );
  });

  it('SIGTERM: stops within the deadline, exits 0 and releases the lease', async () => {
    const p = procs.find((x) => x.proc.exitCode === null && x.proc.signalCode === null)!;
    const started = Date.now();
    p.kill('SIGTERM');
    expect(await p.exitCode()).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect(await holder()).toBeUndefined();
    expect(p.logs.some((l) => l.message === 'stopped')).toBe(true);
  });

  it('never logs the token', () => {
    const all = procs.flatMap((p) => p.logs.map((l) => JSON.stringify(l))).join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain('test-token-0123456789abcdef');
  });
});
