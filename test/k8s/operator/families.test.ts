import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Pod mode and the IPv6 tables: address6/addrgrp6 for node and pod addresses, and dual stack
// feeding both group tables from one mapping.
describe('address families and Pod mode', () => {
  const h = new Harness({ name: 'families', clusterName: 'fam' });
  const pod4 = (pod: string) => `k8s-fam-pod-${h.ns}.${pod}`;
  const pod6 = (pod: string) => `k8s-fam-pod6-${h.ns}.${pod}`;
  const node4 = (n: string) => `k8s-fam-node-${h.nodeName(n)}`;
  const node6 = (n: string) => `k8s-fam-node6-${h.nodeName(n)}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('w1', '192.0.2.21', '2001:db8:0:1::21');
    await h.createNode('w2', '192.0.2.22', '2001:db8:0:1::22');
    await h.createNode('v4only', '192.0.2.23');
  });
  afterAll(async () => h.stop());

  it('Pod mode (IPv4): the group holds the pod addresses, one object per pod', async () => {
    await h.runPod('web-1', { app: 'web' }, 'w1', ['10.244.1.10']);
    await h.runPod('web-2', { app: 'web' }, 'w1', ['10.244.1.11']);
    await h.runPod('other', { app: 'other' }, 'w1', ['10.244.1.12']);
    await h.applyMapping('pods', {
      addressGroup: 'K8S-WEB-PODS',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.expectMembers('K8S-WEB-PODS', [pod4('web-1'), pod4('web-2')]);
    expect(h.address(pod4('web-1'))?.subnet).toBe('10.244.1.10 255.255.255.255');
    expect(String(h.address(pod4('web-1'))?.comment)).toContain(
      `pod ${h.ns}/web-1 on node ${h.nodeName('w1')}`,
    );
    const m = await h.expectCondition('pods', 'Ready', 'True', 'Synced');
    expect(m.status?.members).toBe(2);
    expect(m.status?.memberPreview).toContainEqual({
      address: '10.244.1.10',
      family: 'IPv4',
      node: h.nodeName('w1'),
      pod: `${h.ns}/web-1`,
    });
  });

  it('Pod mode: a pod whose IP changes (recreated with the same name) updates its address in place', async () => {
    await h.deletePod('web-2');
    await h.expectMembers('K8S-WEB-PODS', [pod4('web-1')]);
    await eventually(() => (h.address(pod4('web-2')) ? undefined : true), { what: 'web-2 address deleted' });
    await h.runPod('web-2', { app: 'web' }, 'w2', ['10.244.2.11']);
    await h.expectMembers('K8S-WEB-PODS', [pod4('web-1'), pod4('web-2')]);
    expect(h.address(pod4('web-2'))?.subnet).toBe('10.244.2.11 255.255.255.255');
  });

  it('Pod mode: a pod without an IP yet is not a member until it has one', async () => {
    await h.core.createNamespacedPod({
      namespace: h.ns,
      body: {
        metadata: { name: 'web-3', labels: { app: 'web' } },
        spec: { nodeName: h.nodeName('w2'), containers: [{ name: 'a', image: 'x' }] },
      },
    });
    await h.setPodStatus('web-3', 'Pending', []);
    await h.operatorCaughtUp('pods', 'web-3');
    expect(h.members('K8S-WEB-PODS')).toEqual([pod4('web-1'), pod4('web-2')]);
    await h.setPodStatus('web-3', 'Running', ['10.244.2.12']);
    await h.expectMembers('K8S-WEB-PODS', [pod4('web-1'), pod4('web-2'), pod4('web-3')]);
  });

  it('IPv6 Node mode: address6 objects from the nodes InternalIP IPv6 in an addrgrp6', async () => {
    await h.runPod('api-1', { app: 'api' }, 'w1', ['fd00:10:244:1::5']);
    await h.runPod('api-2', { app: 'api' }, 'v4only', ['10.244.3.5']);
    await h.applyMapping('v6nodes', {
      addressGroup: 'K8S-API6',
      ipFamilies: ['IPv6'],
      podSelector: { matchLabels: { app: 'api' } },
    });
    await h.expectMembers('K8S-API6', [node6('w1')], 'firewall/addrgrp6');
    expect(h.address(node6('w1'), 'firewall/address6')?.ip6).toBe('2001:db8:0:1::21/128');
    expect(h.address(node6('w1'), 'firewall/address6')?.type).toBe('ipprefix');
    // Nothing in the IPv4 tables for this mapping; the v4-only node contributes nothing.
    expect(h.members('K8S-API6')).toBeUndefined();
    expect(h.address(node4('v4only'))).toBeUndefined();
    const m = await h.expectCondition('v6nodes', 'Ready', 'True', 'Synced');
    expect(m.status?.members).toBe(1);
    expect(m.status?.memberPreview).toEqual([
      { address: '2001:db8:0:1::21', family: 'IPv6', node: h.nodeName('w1') },
    ]);
  });

  it('IPv6: a second node joins, and leaves when its pod goes', async () => {
    await h.runPod('api-3', { app: 'api' }, 'w2', ['fd00:10:244:2::5']);
    await h.expectMembers('K8S-API6', [node6('w1'), node6('w2')], 'firewall/addrgrp6');
    await h.deletePod('api-3');
    await h.expectMembers('K8S-API6', [node6('w1')], 'firewall/addrgrp6');
    await eventually(() => (h.address(node6('w2'), 'firewall/address6') ? undefined : true), {
      what: 'node6-w2 deleted',
    });
  });

  it('dual stack (Pod mode): both families, both group tables, from one mapping', async () => {
    await h.runPod('ds-1', { app: 'ds' }, 'w1', ['10.244.1.50', 'fd00:10:244:1::50']);
    await h.runPod('ds-2', { app: 'ds' }, 'w2', ['10.244.2.50', 'fd00:10:244:2:0:0:0:50']);
    await h.applyMapping('dual', {
      addressGroup: 'K8S-DS',
      addressType: 'Pod',
      ipFamilies: ['IPv4', 'IPv6'],
      podSelector: { matchLabels: { app: 'ds' } },
    });
    await h.expectMembers('K8S-DS', [pod4('ds-1'), pod4('ds-2')]);
    await h.expectMembers('K8S-DS', [pod6('ds-1'), pod6('ds-2')], 'firewall/addrgrp6');
    expect(h.address(pod6('ds-2'), 'firewall/address6')?.ip6).toBe('fd00:10:244:2::50/128');
    const m = await h.expectCondition('dual', 'Ready', 'True', 'Synced');
    expect(m.status?.members).toBe(4);
    // Steady state: the non-canonical IPv6 text does not cause a rewrite on every sync.
    const seq = h.lastSeq();
    await h.patchPodLabels('ds-2', { touched: 'x' });
    await h.operatorCaughtUp('pods', 'ds-2');
    expect(h.writesSince(seq)).toBe(0);
  });

  it('dual stack (Node mode): a node without IPv6 only feeds the IPv4 group', async () => {
    await h.runPod('dn-1', { app: 'dn' }, 'w1');
    await h.runPod('dn-2', { app: 'dn' }, 'v4only');
    await h.applyMapping('dualnodes', {
      addressGroup: 'K8S-DN',
      ipFamilies: ['IPv4', 'IPv6'],
      podSelector: { matchLabels: { app: 'dn' } },
    });
    await h.expectMembers('K8S-DN', [node4('v4only'), node4('w1')]);
    await h.expectMembers('K8S-DN', [node6('w1')], 'firewall/addrgrp6');
    await h.expectCondition('dualnodes', 'Ready', 'True', 'Synced');
  });

  it('deleting the dual-stack mapping empties and deletes both groups it created', async () => {
    await h.deleteMapping('dual');
    await h.deleteMapping('dualnodes');
    await eventually(
      () =>
        h.members('K8S-DS') === undefined && h.members('K8S-DS', 'firewall/addrgrp6') === undefined
          ? true
          : undefined,
      {
        what: 'both K8S-DS groups deleted',
      },
    );
    await eventually(
      () =>
        h.members('K8S-DN') === undefined && h.members('K8S-DN', 'firewall/addrgrp6') === undefined
          ? true
          : undefined,
      {
        what: 'both K8S-DN groups deleted',
      },
    );
    // The addresses the group writes released go with the next sync, within a second (a group
    // write does not wait for them; ADR 0009 may write both mappings' groups in one sync).
    await eventually(
      () =>
        h.address(pod6('ds-1'), 'firewall/address6') === undefined && h.address(pod4('ds-1')) === undefined
          ? true
          : undefined,
      { what: "ds-1's addresses deleted" },
    );
    // node6-w1 stays: K8S-API6 still wants it.
    expect(h.address(node6('w1'), 'firewall/address6')).toBeDefined();
  });
});
