import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Hand edits on the FortiGate are repaired at the next drift check; a drift check in the steady
// state writes nothing.
describe('drift repair', () => {
  const h = new Harness({ name: 'drift', clusterName: 'drf', device: { driftCheckIntervalSeconds: 10 } });
  const node = (n: string) => `k8s-drf-node-${h.nodeName(n)}`;
  const drift = { timeoutMs: 25_000 };

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.81');
    await h.createNode('n2', '192.0.2.82');
    await h.runPod('a-1', { app: 'd' }, 'n1');
    await h.runPod('a-2', { app: 'd' }, 'n2');
    await h.applyMapping('drift', { addressGroup: 'K8S-DRIFT', podSelector: { matchLabels: { app: 'd' } } });
    await h.expectMembers('K8S-DRIFT', [node('n1'), node('n2')]);
  });
  afterAll(async () => h.stop());

  it('steady state: a drift check performs zero writes', async () => {
    const seq = h.lastSeq();
    const before = (await h.device())?.status?.lastDriftCheckTime;
    await eventually(
      async () => ((await h.device())?.status?.lastDriftCheckTime !== before ? true : undefined),
      {
        ...drift,
        what: 'a drift check',
      },
    );
    expect(h.requestsSince(seq).filter((e) => e.method === 'GET').length).toBeGreaterThan(0);
    expect(h.writesSince(seq)).toBe(0);
  });

  it('an address deleted by hand (removed from the group, then deleted) is recreated and rejoins', async () => {
    const admin = h.admin();
    await admin.removeMember('firewall/addrgrp', 'K8S-DRIFT', node('n1'));
    await admin.delete('firewall/address', node('n1'));
    expect(h.address(node('n1'))).toBeUndefined();
    await h.expectMembers('K8S-DRIFT', [node('n1'), node('n2')], 'firewall/addrgrp', drift.timeoutMs);
    expect(h.address(node('n1'))?.subnet).toBe('192.0.2.81 255.255.255.255');
  });

  it('a member removed by hand is added back', async () => {
    await h.admin().removeMember('firewall/addrgrp', 'K8S-DRIFT', node('n2'));
    expect(h.members('K8S-DRIFT')).toEqual([node('n1')]);
    await h.expectMembers('K8S-DRIFT', [node('n1'), node('n2')], 'firewall/addrgrp', drift.timeoutMs);
  });

  it('a subnet changed by hand is set back', async () => {
    await h.admin().update('firewall/address', node('n2'), { subnet: '203.0.113.66 255.255.255.255' });
    await eventually(
      () => (h.address(node('n2'))?.subnet === '192.0.2.82 255.255.255.255' ? true : undefined),
      {
        ...drift,
        what: 'subnet repaired',
      },
    );
    expect(h.members('K8S-DRIFT')).toEqual([node('n1'), node('n2')].sort());
  });

  it('a foreign member added by hand is left alone; a group deleted by hand is recreated', async () => {
    h.sim.state.seed('firewall/address', { name: 'admin-extra', subnet: '203.0.113.7/32' });
    await h.admin().addMember('firewall/addrgrp', 'K8S-DRIFT', 'admin-extra');
    const seq = h.lastSeq();
    const before = (await h.device())?.status?.lastDriftCheckTime;
    await eventually(
      async () => ((await h.device())?.status?.lastDriftCheckTime !== before ? true : undefined),
      {
        ...drift,
        what: 'a drift check',
      },
    );
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-DRIFT')).toContain('admin-extra');
    await h.admin().removeMember('firewall/addrgrp', 'K8S-DRIFT', 'admin-extra');
    await h.admin().delete('firewall/addrgrp', 'K8S-DRIFT');
    await h.expectMembers('K8S-DRIFT', [node('n1'), node('n2')], 'firewall/addrgrp', drift.timeoutMs);
  });
});
