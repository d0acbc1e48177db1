import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestLogEntry } from '../../../src/simulator/request-log.js';
import { eventually, testKubeConfig } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import { spawnOperator, type OperatorProcess } from '../../support/operator-process.js';
import { Relay, throughRelay } from '../../support/relay.js';

const LATENCY_MS = 1000;

// Two replicas elect a leader; the leader is cut off from the API server while its FortiOS requests
// are slow and many are queued. When it loses the lease it must stop talking to the FortiGate at
// once: no write of the old leader may reach the device after the new leader's first write.
describe('reliability: a leader cut off from the API server stops writing at once', () => {
  const h = new Harness({
    name: 'rel-lead',
    clusterName: 'rl',
    startOperator: false,
    device: { maxConcurrentRequests: 2 },
  });
  let relay: Relay;
  let leader: OperatorProcess | undefined;
  let follower: OperatorProcess | undefined;

  const args = (kubeconfig: string): string[] => [
    '--kubeconfig',
    kubeconfig,
    '--leader-election-namespace',
    h.ns,
    '--leader-election-id',
    `fortisync-lead-${h.id}`,
    '--watch-selector',
    h.selector,
  ];
  const identityOf = (op: OperatorProcess): string =>
    String(op.logs.find((l) => l.message === 'fortisync operator starting')?.identity);
  const writesOf = (op: OperatorProcess): RequestLogEntry[] =>
    h.sim.requestLog
      .entries({})
      .filter((e) => e.method !== 'GET' && e.userAgent?.includes(`(${identityOf(op)})`));
  const arrival = (e: RequestLogEntry): number => e.timestampMs - e.durationMs;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.121');
    const direct = testKubeConfig();
    const server = new URL(direct.getCurrentCluster()?.server ?? '');
    relay = new Relay({ host: server.hostname, port: Number(server.port) });
    await relay.start();
    const viaRelay = throughRelay(direct, relay);
    const relayPath = join(mkdtempSync(join(tmpdir(), 'fortisync-lead-')), 'kubeconfig');
    writeFileSync(relayPath, viaRelay.exportConfig(), { mode: 0o600 });
    leader = await spawnOperator(args(relayPath));
    await leader.waitForLog((l) => l.message === 'became leader; starting controllers', 'leader elected');
    follower = await spawnOperator(args(process.env.FORTISYNC_TEST_KUBECONFIG as string));
    await follower.waitForLog((l) => l.message === 'following leader', 'follower');
  }, 90_000);

  afterAll(async () => {
    h.sim.faults.setLatency(0);
    await h.stop().catch(() => undefined);
    for (const op of [leader, follower]) {
      op?.kill('SIGTERM');
      await op?.exitCode();
    }
    await relay?.stop();
  }, 60_000);

  it('no FortiOS write from the old leader after the new leader’s first write; aborted within 1 s', async () => {
    const old = leader as OperatorProcess;
    const next = follower as OperatorProcess;
    await h.runPod('seed', { app: 'lead' }, 'n1', ['10.244.12.1']);
    await h.applyMapping('lead', {
      addressGroup: 'RL-LEAD',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'lead' } },
    });
    await h.expectCondition('lead', 'Ready', 'True', 'Synced', 30_000);
    expect(writesOf(old).length).toBeGreaterThan(0);

    // Slow FortiOS, a long queue of writes: the leader is busy writing when it is cut off.
    h.sim.faults.setLatency(LATENCY_MS);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.runPod(`p-${i}`, { app: 'lead' }, 'n1', [`10.244.13.${i + 1}`])),
    );
    const before = writesOf(old).length;
    await eventually(() => (writesOf(old).length > before ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the leader writing under latency',
    });
    relay.cut();

    const lost = await old.waitForLog(
      (l) => String(l.message).startsWith('leadership lost'),
      'the old leader lost its lease',
      40_000,
    );
    const lostAt = Date.parse(String(lost.timestamp));
    // From the moment the new leader starts (before its first write), the old one must be silent.
    const took = await next.waitForLog(
      (l) => l.message === 'became leader; starting controllers',
      'the new leader took over',
      40_000,
    );
    const tookAt = Date.parse(String(took.timestamp));
    await old.exitCode();
    // Requests still inside the simulator when the old leader exited have finished by now.
    await new Promise((r) => setTimeout(r, LATENCY_MS + 500));

    const lateOld = writesOf(old).filter((e) => arrival(e) >= tookAt);
    expect(lateOld.map((e) => `${e.method} ${e.path}`)).toEqual([]);
    // Nothing new left the old leader later than 1 s after it lost the lease.
    const lastOld = Math.max(
      ...h.sim.requestLog
        .entries({})
        .filter((e) => e.userAgent?.includes(`(${identityOf(old)})`))
        .map(arrival),
    );
    expect(lastOld).toBeLessThanOrEqual(lostAt + 1000);
    // And the new leader finishes the job.
    const firstNew = await eventually(() => writesOf(next)[0], {
      timeoutMs: 40_000,
      what: 'the new leader’s first write',
    });
    expect(arrival(firstNew)).toBeGreaterThanOrEqual(tookAt - 50);

    await h.expectStatusMembers('lead', 31, 60_000);
  }, 150_000);
});
