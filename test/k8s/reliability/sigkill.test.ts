import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import { spawnOperator, type OperatorProcess } from '../../support/operator-process.js';
import { Audit } from './audit.js';
import { differences, recordFigures, type Expected } from './support.js';

// The operator process killed with SIGKILL in the middle of a sync (no chance to clean up or
// finish), changes made while it is dead, then started again: it must converge with no duplicate
// and no orphan object. The device answers in 300 ms per call so a sync is long enough to interrupt.
// (Leader takeover after SIGKILL is covered in test/k8s/production; this is one replica.)
const CLUSTER = 'rk';
const NODES = 8;

describe('reliability: SIGKILL in the middle of a sync', () => {
  const h = new Harness({ name: 'rel-kill', clusterName: CLUSTER, startOperator: false });
  const procs: OperatorProcess[] = [];
  const running = new Set<number>(); // node indexes with a selected pod
  let mappingPresent = true;
  let kills = 0;
  let scenarios = 0;
  const audit = new Audit(h, CLUSTER);

  const addr = (i: number): string => `k8s-${CLUSTER}-node-${h.nodeName(`n${i}`)}`;
  function expected(): Expected {
    const addresses = new Map<string, string>();
    if (mappingPresent) for (const i of running) addresses.set(addr(i), `192.0.2.${50 + i}`);
    const members = [...addresses.keys()];
    return mappingPresent
      ? { addresses, groups: new Map([['RK-WEB', members.length ? members : ['none']]]) }
      : { addresses, groups: new Map(), absentGroups: ['RK-WEB'] };
  }

  async function start(): Promise<OperatorProcess> {
    const p = await spawnOperator([
      '--kubeconfig',
      process.env.FORTISYNC_TEST_KUBECONFIG as string,
      '--no-leader-elect',
      '--watch-selector',
      h.selector,
    ]);
    procs.push(p);
    return p;
  }

  async function kill(p: OperatorProcess): Promise<void> {
    p.kill('SIGKILL');
    await p.exitCode();
    kills++;
  }

  async function converged(what: string): Promise<void> {
    const diff = await audit.settle(expected, 60_000);
    expect({ what, diff }).toEqual({ what, diff: [] });
    expect(h.address('admin-db')).toMatchObject({ comment: 'by hand' });
    scenarios++;
  }

  beforeAll(async () => {
    await h.start();
    for (let i = 0; i < NODES; i++) await h.createNode(`n${i}`, `192.0.2.${50 + i}`);
    h.sim.state.seed('firewall/address', { name: 'admin-db', subnet: '10.9.9.9/32', comment: 'by hand' });
    audit.begin();
    h.sim.faults.setLatency(300);
  });

  afterAll(async () => {
    for (const p of procs) if (p.proc.exitCode === null && p.proc.signalCode === null) p.kill('SIGKILL');
    h.sim.faults.setLatency(0);
    const op = await start().catch(() => undefined); // cleans up the device on h.stop()
    await h.stop().catch(() => undefined);
    op?.kill('SIGTERM');
    await op?.exitCode();
    recordFigures({
      file: 'sigkill.test.ts',
      faults: { 'operator-sigkill': kills },
      scenarios,
      ...audit.end(),
      notes: audit.details(),
    });
  }, 60_000);

  it('killed while creating addresses, pods deleted while it is dead: restarted, converges without duplicates or orphans', async () => {
    await h.applyMapping('web', { addressGroup: 'RK-WEB', podSelector: { matchLabels: { app: 'web' } } });
    for (let i = 0; i < NODES; i++) {
      await h.runPod(`web-${i}`, { app: 'web' }, `n${i}`);
      running.add(i);
    }
    const seq = h.lastSeq();
    const first = await start();
    await eventually(
      () =>
        h.requestsSince(seq).filter((e) => e.method === 'POST' && e.status === 200).length >= 3
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'the sync to be under way' },
    );
    await kill(first);
    // Interrupted for real: the device holds part of the work.
    expect(differences(h, CLUSTER, expected()).length).toBeGreaterThan(0);
    // While it is dead, two pods go (their node addresses may already exist: they must not stay).
    for (const i of [0, 1]) {
      await h.deletePod(`web-${i}`);
      running.delete(i);
    }
    await start();
    await converged('after the restart');
    const created = h
      .requestsSince(seq)
      .filter((e) => e.method === 'POST' && e.status === 200 && e.path.endsWith('/firewall/address'))
      .map((e) => (e as { mkey?: string }).mkey ?? '');
    expect(new Set(created).size).toBe(created.length);
    await h.expectCondition('web', 'Ready', 'True', 'Synced', 30_000);
  }, 150_000);

  it('killed while cleaning up a deleted mapping: restarted, the cleanup completes (group and addresses gone)', async () => {
    const current = procs[procs.length - 1] as OperatorProcess;
    h.sim.faults.setLatency(400); // member removals one by one: seconds of cleanup to interrupt
    const seq = h.lastSeq();
    await h.deleteMapping('web');
    mappingPresent = false;
    await eventually(
      () =>
        h.requestsSince(seq).filter((e) => e.method === 'DELETE' && e.status === 200).length >= 1
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'the cleanup to be under way' },
    );
    await kill(current);
    expect(differences(h, CLUSTER, expected()).length).toBeGreaterThan(0);
    h.sim.faults.setLatency(150);
    await start();
    await converged('after the restart');
    await eventually(async () => ((await h.mapping('web')) ? undefined : true), {
      what: 'mapping finalized',
    });
  }, 150_000);
});
