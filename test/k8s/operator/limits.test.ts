import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Device-side limits and name clashes: a full table, a group name taken by someone else's address,
// and the device's own maxMembersPerGroup.
describe('limits and name conflicts', () => {
  // all + none + 3 of ours fit in the address table.
  const h = new Harness({ name: 'limits', clusterName: 'lim', simulator: { limits: { addresses: 5 } } });
  const node = (n: string) => `k8s-lim-node-${h.nodeName(n)}`;

  beforeAll(async () => {
    await h.start();
    for (const n of ['n1', 'n2', 'n3', 'n4']) await h.createNode(n, `192.0.2.7${n.slice(1)}`);
  });
  afterAll(async () => h.stop());

  it('the address table full: TableFull on the mapping; what fits is written', async () => {
    await h.runPod('a-1', { app: 'full' }, 'n1');
    await h.runPod('a-2', { app: 'full' }, 'n2');
    await h.runPod('a-3', { app: 'full' }, 'n3');
    await h.runPod('a-4', { app: 'full' }, 'n4');
    await h.applyMapping('full', { addressGroup: 'K8S-FULL', podSelector: { matchLabels: { app: 'full' } } });
    const m = await h.expectCondition('full', 'Ready', 'False', 'TableFull');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(/address k8s-lim-node-/);
    expect(h.members('K8S-FULL')).toHaveLength(3);
    // Room again: the held-back member is added.
    await h.deletePod('a-1');
    await h.expectMembers('K8S-FULL', [node('n2'), node('n3'), node('n4')]);
    await h.expectCondition('full', 'Ready', 'True', 'Synced');
    await h.deleteMapping('full');
    await eventually(() => (h.members('K8S-FULL') || h.addressNames().length > 0 ? undefined : true), {
      what: 'K8S-FULL and its addresses deleted',
    });
  });

  it('a group name taken by a foreign address: NameConflict, the address untouched', async () => {
    h.sim.state.seed('firewall/address', {
      name: 'K8S-TAKEN',
      subnet: '203.0.113.9/32',
      comment: 'db server',
    });
    await h.runPod('t-1', { app: 'taken' }, 'n1');
    await h.applyMapping('taken', {
      addressGroup: 'K8S-TAKEN',
      podSelector: { matchLabels: { app: 'taken' } },
    });
    const m = await h.expectCondition('taken', 'Ready', 'False', 'NameConflict');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('K8S-TAKEN');
    expect(h.address('K8S-TAKEN')).toMatchObject({
      subnet: '203.0.113.9 255.255.255.255',
      comment: 'db server',
    });
    expect(h.members('K8S-TAKEN')).toBeUndefined();
    await h.deleteMapping('taken');
  });

  it('spec.limits.maxMembersPerGroup: MemberLimitReached, new members held back, removals still happen', async () => {
    await h.patchDevice({ limits: { maxMembersPerGroup: 2 } });
    await h.runPod('m-1', { app: 'many' }, 'n2');
    await h.runPod('m-2', { app: 'many' }, 'n3');
    await h.applyMapping('many', { addressGroup: 'K8S-MANY', podSelector: { matchLabels: { app: 'many' } } });
    await h.expectMembers('K8S-MANY', [node('n2'), node('n3')]);
    await h.expectCondition('many', 'Ready', 'True', 'Synced');
    const seq = h.lastSeq();
    await h.runPod('m-3', { app: 'many' }, 'n4');
    const m = await h.expectCondition('many', 'Ready', 'False', 'MemberLimitReached');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('maxMembersPerGroup');
    expect(h.members('K8S-MANY')).toEqual([node('n2'), node('n3')]);
    expect(h.writesSince(seq)).toBe(0);
    // A member leaving makes room: the held-back one joins.
    await h.deletePod('m-1');
    await h.expectMembers('K8S-MANY', [node('n3'), node('n4')]);
    await h.expectCondition('many', 'Ready', 'True', 'Synced');
  });
});
