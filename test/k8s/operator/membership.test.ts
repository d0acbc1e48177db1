import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Members follow the cluster: selector edits, pod and namespace relabels, pods moving node and
// node addresses changing.
describe('membership follows selectors, labels and nodes', () => {
  const h = new Harness({ name: 'members', clusterName: 'mem' });
  const node = (n: string) => `k8s-mem-node-${h.nodeName(n)}`;
  const pod = (ns: string, p: string) => `k8s-mem-pod-${ns}.${p}`;
  let other = '';

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.31');
    await h.createNode('n2', '192.0.2.32');
    await h.createNode('n3', '192.0.2.33');
    other = await h.createNamespace('other', { team: 'blue' });
  });
  afterAll(async () => h.stop());

  it('selector edit: changing podSelector moves the members to the newly selected pods', async () => {
    await h.runPod('a-1', { app: 'a' }, 'n1');
    await h.runPod('b-1', { app: 'b' }, 'n2');
    await h.applyMapping('sel', { addressGroup: 'K8S-SEL', podSelector: { matchLabels: { app: 'a' } } });
    await h.expectMembers('K8S-SEL', [node('n1')]);
    await h.applyMapping('sel', { addressGroup: 'K8S-SEL', podSelector: { matchLabels: { app: 'b' } } });
    await h.expectMembers('K8S-SEL', [node('n2')]);
    await eventually(() => (h.address(node('n1')) ? undefined : true), { what: 'n1 address deleted' });
    const m = await h.expectCondition('sel', 'Ready', 'True', 'Synced');
    expect(m.status?.observedGeneration).toBe(m.metadata.generation);
    await h.expectStatusMembers('sel', 1);
    // matchExpressions widen it to both.
    await h.applyMapping('sel', {
      addressGroup: 'K8S-SEL',
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
    });
    await h.expectMembers('K8S-SEL', [node('n1'), node('n2')]);
  });

  it('pod relabel: a pod losing the label leaves, gaining it joins', async () => {
    await h.applyMapping('relabel', {
      addressGroup: 'K8S-RELABEL',
      addressType: 'Pod',
      podSelector: { matchLabels: { role: 'db-client' } },
    });
    await h.runPod('c-1', { role: 'db-client' }, 'n1', ['10.244.1.31']);
    await h.runPod('c-2', { role: 'db-client' }, 'n2', ['10.244.2.31']);
    await h.expectMembers('K8S-RELABEL', [pod(h.ns, 'c-1'), pod(h.ns, 'c-2')]);
    await h.patchPodLabels('c-1', { role: null });
    await h.expectMembers('K8S-RELABEL', [pod(h.ns, 'c-2')]);
    await eventually(() => (h.address(pod(h.ns, 'c-1')) ? undefined : true), { what: 'c-1 address deleted' });
    await h.patchPodLabels('c-1', { role: 'db-client' });
    await h.expectMembers('K8S-RELABEL', [pod(h.ns, 'c-1'), pod(h.ns, 'c-2')]);
    await h.patchPodLabels('c-2', { role: 'web' });
    await h.expectMembers('K8S-RELABEL', [pod(h.ns, 'c-1')]);
    await h.expectCondition('relabel', 'Ready', 'True', 'Synced');
    await h.expectStatusMembers('relabel', 1);
  });

  it('namespace relabel: pods of a second namespace join when it gains the label and leave when it loses it', async () => {
    await h.runPod('x-1', { app: 'x' }, 'n1', ['10.244.1.41']);
    await h.runPod('x-1', { app: 'x' }, 'n3', ['10.244.3.41'], other);
    // Selecting pods beyond the mapping's namespace needs a grant on the device (issue 14).
    await h.patchDevice({
      access: {
        crossNamespaceGrants: [{ from: {}, to: { matchLabels: { 'fortisync-test/env': `prod-${h.id}` } } }],
      },
    });
    await h.applyMapping('nssel', {
      addressGroup: 'K8S-NSSEL',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'x' } },
      namespaceSelector: { matchLabels: { 'fortisync-test/env': `prod-${h.id}` } },
    });
    await h.expectMembers('K8S-NSSEL', ['none']);
    await h.patchNamespaceLabels(other, { 'fortisync-test/env': `prod-${h.id}` });
    await h.expectMembers('K8S-NSSEL', [pod(other, 'x-1')]);
    await h.patchNamespaceLabels(h.ns, { 'fortisync-test/env': `prod-${h.id}` });
    await h.expectMembers('K8S-NSSEL', [pod(h.ns, 'x-1'), pod(other, 'x-1')]);
    await h.expectCondition('nssel', 'Ready', 'True', 'Synced');
    await h.expectStatusMembers('nssel', 2);
    await h.patchNamespaceLabels(other, { 'fortisync-test/env': null });
    await h.expectMembers('K8S-NSSEL', [pod(h.ns, 'x-1')]);
    await eventually(() => (h.address(pod(other, 'x-1')) ? undefined : true), {
      what: 'other/x-1 address deleted',
    });
    // A pod created in a selected namespace after the fact joins too.
    await h.patchNamespaceLabels(other, { 'fortisync-test/env': `prod-${h.id}` });
    await h.runPod('x-2', { app: 'x' }, 'n3', ['10.244.3.42'], other);
    await h.expectMembers('K8S-NSSEL', [pod(h.ns, 'x-1'), pod(other, 'x-1'), pod(other, 'x-2')]);
    await h.deletePod('x-1', other);
    await h.expectMembers('K8S-NSSEL', [pod(h.ns, 'x-1'), pod(other, 'x-2')]);
  });

  it('a pod moving node (deleted, recreated on another node): the group follows', async () => {
    await h.applyMapping('move', {
      addressGroup: 'K8S-MOVE',
      podSelector: { matchLabels: { app: 'mover' } },
    });
    await h.runPod('mover', { app: 'mover' }, 'n1');
    await h.expectMembers('K8S-MOVE', [node('n1')]);
    await h.deletePod('mover');
    await h.runPod('mover', { app: 'mover' }, 'n3');
    await h.expectMembers('K8S-MOVE', [node('n3')]);
    // n1 is still wanted by K8S-SEL (a-1 runs there): its address stays; only the membership moved.
    expect(h.address(node('n1'))).toBeDefined();
    expect(h.members('K8S-SEL')).toContain(node('n1'));
  });

  it("a node's address changing: the address object is updated in place with one PUT, membership unchanged", async () => {
    await h.expectMembers('K8S-SEL', [node('n1'), node('n2')]);
    const before = h.members('K8S-MOVE');
    const seq = await h.settledSeq();
    await h.setNodeAddresses('n3', '192.0.2.133');
    await eventually(
      () => (h.address(node('n3'))?.subnet === '192.0.2.133 255.255.255.255' ? true : undefined),
      {
        what: 'n3 address updated',
      },
    );
    await h.operatorCaughtUp('nodes', h.nodeName('n3'));
    const writes = h.requestsSince(seq).filter((e) => e.method !== 'GET');
    expect(writes.map((e) => `${e.method} ${e.path}`)).toEqual([
      `PUT /api/v2/cmdb/firewall/address/${encodeURIComponent(node('n3'))}`,
    ]);
    expect(h.members('K8S-MOVE')).toEqual(before);
    expect(String(h.address(node('n3'))?.comment)).toContain('[fortisync:mem]');
    const m = await h.expectCondition('move', 'Ready', 'True', 'Synced');
    await eventually(
      async () =>
        (await h.mapping('move'))?.status?.memberPreview?.[0]?.address === '192.0.2.133' ? true : undefined,
      {
        what: 'memberPreview shows the new address',
      },
    );
    expect(m.status?.members).toBe(1);
  });

  it('a node losing its address leaves every group (fail closed)', async () => {
    await h.setNodeAddresses('n3');
    await h.expectMembers('K8S-MOVE', ['none']);
    await eventually(() => (h.address(node('n3')) ? undefined : true), { what: 'n3 address deleted' });
  });
});
