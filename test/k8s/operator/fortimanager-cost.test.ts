import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FortiManagerClient } from '../../../src/fortimanager/index.js';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import { eventually } from '../../support/kube.js';
import {
  createFortiManagerTarget,
  deleteFortiManagerTarget,
  getFortiManagerTarget,
} from '../../support/fortimanager-target.js';
import { Harness } from '../../support/operator-harness.js';

// Issue 16, cost: after a sync that wrote, FortiManager's where-used is asked only for the groups
// that sync changed (not every group of the target), and the ADOM's address tables are read
// filtered on fortisync's marker with only the fields the sync needs (not whole).

const API_KEY = 'cost-fmg-api-key-0123456789';
const GROUPS = ['K8S-C1', 'K8S-C2', 'K8S-C3', 'K8S-C4', 'K8S-C5'];
const FOREIGN = 300;

describe('FortiManagerTarget cost: where-used for changed groups only, filtered ADOM reads', () => {
  const h = new Harness({ name: 'fcost', clusterName: 'fcost', startOperator: false });
  let fmg: FortiManagerSimulatorHandle;
  const target = () => `fcost-${h.id}`;
  const node = (n: string) => `k8s-fcost-node-${h.nodeName(n)}`;
  const lastSeq = () => fmg.requestLog.entries({}).at(-1)?.seq ?? 0;
  const since = (seq: number) => fmg.requestLog.entries({}).filter((e) => e.seq > seq);
  const whereUsedStarts = (seq: number) =>
    since(seq).filter((e) => e.path === 'cache/search/where/used/start').length;
  const members = (group: string) =>
    (fmg.adom('root').get('firewall/addrgrp', group)?.member as string[] | undefined)?.slice().sort();

  const getTarget = () => getFortiManagerTarget(h, target());

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [{ name: 'fortisync', password: 'fcost-pw-1', apiKey: API_KEY }],
      adoms: ['root'],
      workspaceMode: 'disabled',
      devices: [{ name: 'fgt-c' }],
      installDurationMs: 50,
    });
    // The firewall admin's own addresses: what a whole-table read would carry every time.
    for (let i = 0; i < FOREIGN; i++)
      fmg.adom('root').seed('firewall/address', {
        name: `admin-host-${i}`,
        subnet: `198.51.${Math.floor(i / 250)}.${(i % 250) + 1} 255.255.255.255`,
        comment: `server ${i} of the data centre, owned by the network team`,
      });
    await h.start();
    await h.setSecret({ apiKey: API_KEY }, 'fmg-key');
    await createFortiManagerTarget(h, fmg, {
      name: target(),
      clusterName: 'fcost',
      secret: 'fmg-key',
      labels: h.labels,
      spec: { install: { policy: 'Packages', packages: [{ name: 'cost-pkg' }], coalesceSeconds: 5 } },
    });
    await h.startOperator();
    await h.createNode('worker-1', '192.0.2.51');
    await h.createNode('worker-2', '192.0.2.52');
    for (const [i, group] of GROUPS.entries()) {
      await h.runPod(`p${i}`, { grp: group.toLowerCase() }, 'worker-1', [`10.7.1.${i + 1}`]);
      await h.applyMapping(group.toLowerCase(), {
        podSelector: { matchLabels: { grp: group.toLowerCase() } },
        addressGroup: group,
        devices: undefined,
        fortiManagerTargets: [target()],
      } as never);
    }
    for (const group of GROUPS)
      await eventually(() => (members(group)?.includes(node('worker-1')) ? true : undefined), {
        timeoutMs: 30_000,
        what: `${group} in the ADOM`,
      });
    fmg.adom('root').seedPackage({
      name: 'cost-pkg',
      scope: [{ name: 'fgt-c', vdom: 'root' }],
      policies: GROUPS.map((g, i) => ({
        policyid: i + 1,
        name: `p-${g}`,
        srcaddr: [g],
        dstaddr: ['all'],
        action: 'accept',
      })),
    });
  }, 120_000);

  afterAll(async () => {
    await deleteFortiManagerTarget(h, target());
    await h.stop();
    await fmg.close();
  }, 60_000);

  it('a restarted operator (no where-used memory) asks where-used for the one group a pod change wrote, not all five', async () => {
    // A fresh process remembers no where-used answers, as after each drift check.
    await h.stopOperator();
    const restartedAt = Date.now();
    await h.startOperator();
    // Positive signal: the new process re-read the ADOM (a drift check after its start) and is idle.
    await eventually(
      async () => {
        const t = await getTarget();
        const checked = Date.parse(t.status?.lastDriftCheckTime ?? '');
        return checked >= Math.floor(restartedAt / 1000) * 1000 && h.operator?.idle() ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'a drift check by the restarted operator' },
    );
    const seq = lastSeq();
    expect(whereUsedStarts(seq)).toBe(0);
    await h.runPod('p0b', { grp: 'k8s-c1' }, 'worker-2', ['10.7.2.1']);
    await eventually(
      () =>
        JSON.stringify(members('K8S-C1')) === JSON.stringify([node('worker-1'), node('worker-2')].sort())
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'K8S-C1 with worker-2' },
    );
    await eventually(
      async () =>
        (await getTarget()).status?.installs?.find((r) => r.package === 'cost-pkg')?.state === 'done'
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'cost-pkg installed' },
    );
    // Every other group of the target was left alone by this sync, so FMG was not asked about it.
    expect(whereUsedStarts(seq)).toBe(1);
    expect(since(seq).find((e) => e.path === 'cache/search/where/used/start')?.body).toContain('K8S-C1');
    const device = fmg.devices.get('fgt-c')?.state.get('firewall/addrgrp', 'K8S-C1')?.member as
      { name: string }[] | undefined;
    expect(device?.map((m) => m.name).sort()).toEqual([node('worker-1'), node('worker-2')].sort());
  }, 90_000);

  it("the ADOM's address tables are read filtered on the marker, with the sync's fields only", async () => {
    const reads = fmg.requestLog
      .entries({})
      .filter((e) => e.method === 'GET' && e.path === 'pm/config/adom/root/obj/firewall/address');
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) {
      expect(r.body).toContain('"filter":["comment","like","%[fortisync:fcost]%"]');
      expect(r.body).toContain('"fields":["name","type","subnet","comment"]');
    }
    // What that saves per read with the network team's 300 addresses in the ADOM.
    const client = new FortiManagerClient({
      baseUrl: fmg.url,
      adom: 'root',
      auth: { apiKey: API_KEY },
      ca: fmg.caCertPem ?? '',
    });
    try {
      const whole = await client.list('firewall/address');
      const filtered = await client.list('firewall/address', {
        filter: ['comment', 'like', '%[fortisync:fcost]%'],
        fields: ['name', 'type', 'subnet', 'comment'],
      });
      expect(filtered.map((a) => a.name).sort()).toEqual([node('worker-1'), node('worker-2')].sort());
      expect(whole.length).toBeGreaterThanOrEqual(FOREIGN + 2);
      expect(JSON.stringify(filtered).length * 50).toBeLessThan(JSON.stringify(whole).length);
    } finally {
      await client.close();
    }
  });
});
