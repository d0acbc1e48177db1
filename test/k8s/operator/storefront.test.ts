import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// The product's walkthrough: the DMZ frontend's nodes feed K8S-DMZ, and a policy using the group
// keeps working throughout.
describe('storefront walkthrough (Node mode)', () => {
  const h = new Harness({ name: 'storefront', clusterName: 'prod' });
  const w1 = () => `k8s-prod-node-${h.nodeName('worker-1')}`;
  const w2 = () => `k8s-prod-node-${h.nodeName('worker-2')}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('worker-1', '192.0.2.11');
    await h.createNode('worker-2', '192.0.2.12');
  });
  afterAll(async () => h.stop());

  it('creates the group holding none while no pod is selected', async () => {
    await h.applyMapping('dmz-frontend', {
      addressGroup: 'K8S-DMZ',
      podSelector: { matchLabels: { app: 'frontend', zone: 'dmz' } },
    });
    await h.expectMembers('K8S-DMZ', ['none']);
    const m = await h.expectCondition('dmz-frontend', 'Ready', 'True', 'Synced');
    expect(m.status?.members).toBe(0);
    expect(m.metadata.finalizers).toContain('fortisync.io/cleanup');
    // The firewall admin writes a policy against the stable group name.
    h.sim.state.seed('firewall/policy', {
      policyid: 7,
      name: 'dmz-to-login',
      srcaddr: [{ name: 'K8S-DMZ' }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    });
  });

  it('one frontend pod on worker-1: the group holds worker-1', async () => {
    await h.runPod('frontend-1', { app: 'frontend', zone: 'dmz' }, 'worker-1', ['10.244.1.5']);
    await h.runPod('api-1', { app: 'api' }, 'worker-2', ['10.244.2.5']);
    await h.expectMembers('K8S-DMZ', [w1()]);
    const addr = h.address(w1());
    expect(addr?.subnet).toBe('192.0.2.11 255.255.255.255');
    expect(String(addr?.comment)).toContain('[fortisync:prod]');
    expect(String(addr?.comment)).toContain(h.nodeName('worker-1'));
    const m = await h.expectCondition('dmz-frontend', 'Ready', 'True', 'Synced');
    expect(m.status?.members).toBe(1);
    expect(m.status?.memberPreview).toEqual([
      { address: '192.0.2.11', family: 'IPv4', node: h.nodeName('worker-1') },
    ]);
  });

  it('a second pod on worker-2: the group holds both, with one group write', async () => {
    const seq = h.lastSeq();
    await h.runPod('frontend-2', { app: 'frontend', zone: 'dmz' }, 'worker-2', ['10.244.2.6']);
    await h.expectMembers('K8S-DMZ', [w1(), w2()]);
    const writes = h.sim.requestLog.entries({}).filter((e) => e.seq > seq && e.method !== 'GET');
    // The member is appended through the group's member endpoint, leaving the other members alone.
    expect(writes.map((e) => `${e.method} ${e.path}`)).toEqual([
      'POST /api/v2/cmdb/firewall/address',
      'POST /api/v2/cmdb/firewall/addrgrp/K8S-DMZ/member',
    ]);
    await h.expectCondition('dmz-frontend', 'Ready', 'True', 'Synced');
    expect((await h.mapping('dmz-frontend'))?.status?.members).toBe(2);
  });

  it('both pods stop: the group holds none, the node addresses are deleted, the policy still works', async () => {
    await h.deletePod('frontend-1');
    await h.setPodStatus('frontend-2', 'Succeeded', []);
    await h.expectMembers('K8S-DMZ', ['none']);
    await h.expectCondition('dmz-frontend', 'Ready', 'True', 'Synced');
    // Addresses a group write released are deleted by the next sync, at most ~1 s later.
    await eventually(() => (h.addressNames().length === 0 ? true : undefined), {
      timeoutMs: 5000,
      what: `node addresses deleted (left: ${h.addressNames().join(', ')})`,
    });
    expect(h.sim.state.get('firewall/policy', '7')?.srcaddr).toEqual([{ name: 'K8S-DMZ' }]);
  });

  it('steady state: a resync performs zero writes', async () => {
    const seq = h.lastSeq();
    await h.runPod('frontend-3', { app: 'frontend', zone: 'dmz' }, 'worker-1', ['10.244.1.7']);
    await h.expectMembers('K8S-DMZ', [w1()]);
    const before = h.lastSeq();
    // An unrelated change to the pod (a new annotation) and a resync of the mapping: no writes.
    await h.core.patchNamespacedPod(
      { namespace: h.ns, name: 'frontend-3', body: { metadata: { annotations: { touched: 'yes' } } } },
      (await import('../../support/operator-harness.js')).mergePatch(),
    );
    await h.operatorCaughtUp('pods', 'frontend-3');
    expect(h.writesSince(before)).toBe(0);
    expect(h.writesSince(seq)).toBeGreaterThan(0);
  });

  it('deleting the mapping removes its members; the group stays (a policy uses it) holding none', async () => {
    await h.deleteMapping('dmz-frontend');
    await h.expectMembers('K8S-DMZ', ['none']);
    await eventually(async () => ((await h.mapping('dmz-frontend')) ? undefined : true), {
      what: 'finalizer released',
    });
    // The finalizer goes once the members have left; the unused addresses follow with the next sync.
    await eventually(() => (h.addressNames().length === 0 ? true : undefined), {
      timeoutMs: 5000,
      what: 'node addresses deleted',
    });
  });
});
