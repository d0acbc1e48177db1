import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Who may write where (device access rules), and dry runs: refused or previewed, nothing written.
describe('access control and dry run', () => {
  const h = new Harness({ name: 'access', clusterName: 'acc' });
  const node = (n: string) => `k8s-acc-node-${h.nodeName(n)}`;
  // A second device on the same FortiGate needs its own clusterName (one device per scope).
  const node2 = (n: string) => `k8s-acc2-node-${h.nodeName(n)}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.101');
    await h.runPod('a-1', { app: 'acc' }, 'n1');
  });
  afterAll(async () => h.stop());

  it('access.namespaceSelector not matching: NamespaceNotAllowed and zero writes; labelling the namespace lets it in', async () => {
    const dev = `${h.deviceName}-nssel`;
    const label = `fortisync-test/allowed-${h.id}`;
    await h.createDevice(dev, {
      clusterName: 'acc2',
      access: { namespaceSelector: { matchLabels: { [label]: 'yes' } } },
    });
    const seq = h.lastSeq();
    await h.applyMapping('nsdenied', {
      devices: [dev],
      addressGroup: 'K8S-NSDENIED',
      podSelector: { matchLabels: { app: 'acc' } },
    });
    const m = await h.expectCondition('nsdenied', 'Ready', 'False', 'NamespaceNotAllowed');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(h.ns);
    await h.operatorCaughtUp('mappings', 'nsdenied');
    expect(h.writesSince(seq)).toBe(0);
    await h.patchNamespaceLabels(h.ns, { [label]: 'yes' });
    await h.expectMembers('K8S-NSDENIED', [node2('n1')]);
    await h.expectCondition('nsdenied', 'Ready', 'True', 'Synced');
    // Losing access removes its members (fail closed).
    await h.patchNamespaceLabels(h.ns, { [label]: null });
    await h.expectCondition('nsdenied', 'Ready', 'False', 'NamespaceNotAllowed');
    await h.deleteMapping('nsdenied');
    await eventually(async () => ((await h.mapping('nsdenied')) ? undefined : true), {
      what: 'nsdenied finalized',
    });
  });

  it('access.allowedGroups not matching: GroupNotAllowed and zero writes', async () => {
    await h.patchDevice({ access: { allowedGroups: ['K8S-APP-*'] } });
    const seq = h.lastSeq();
    await h.applyMapping('grpdenied', {
      addressGroup: 'K8S-OTHER',
      podSelector: { matchLabels: { app: 'acc' } },
    });
    const m = await h.expectCondition('grpdenied', 'Ready', 'False', 'GroupNotAllowed');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('K8S-APP-*');
    await h.operatorCaughtUp('mappings', 'grpdenied');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-OTHER')).toBeUndefined();
    await h.applyMapping('grpdenied', {
      addressGroup: 'K8S-APP-1',
      podSelector: { matchLabels: { app: 'acc' } },
    });
    await h.expectMembers('K8S-APP-1', [node('n1')]);
    await h.expectCondition('grpdenied', 'Ready', 'True', 'Synced');
    await h.deleteMapping('grpdenied');
    await h.patchDevice({ access: null } as never);
    await eventually(async () => ((await h.mapping('grpdenied')) ? undefined : true), {
      what: 'grpdenied finalized',
    });
    await eventually(() => (h.members('K8S-APP-1') || h.address(node('n1')) ? undefined : true), {
      what: 'K8S-APP-1 cleaned up',
    });
  });

  it('mapping dryRun: nothing written, status.plan lists what would be created and added, Ready=False DryRun', async () => {
    const seq = h.lastSeq();
    await h.applyMapping('dry', {
      addressGroup: 'K8S-DRY',
      dryRun: true,
      podSelector: { matchLabels: { app: 'acc' } },
    });
    const m = await h.expectCondition('dry', 'Ready', 'False', 'DryRun');
    await h.operatorCaughtUp('mappings', 'dry');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-DRY')).toBeUndefined();
    const got = (await h.mapping('dry'))?.status?.plan ?? m.status?.plan;
    expect(got?.createGroups).toEqual(['K8S-DRY']);
    expect(got?.addMembers).toEqual([node('n1')]);
    expect(got?.createAddresses).toEqual([`${node('n1')} (192.0.2.101)`]);
    // Turning dry run off performs exactly that.
    await h.applyMapping('dry', {
      addressGroup: 'K8S-DRY',
      dryRun: false,
      podSelector: { matchLabels: { app: 'acc' } },
    });
    await h.expectMembers('K8S-DRY', [node('n1')]);
    const after = await h.expectCondition('dry', 'Ready', 'True', 'Synced');
    expect(after.status?.plan).toBeUndefined();
  });

  it('device dryRun: nothing written for any mapping, plans shown in each mapping', async () => {
    await h.patchDevice({ dryRun: true });
    const seq = h.lastSeq();
    await h.runPod('b-1', { app: 'acc2' }, 'n1');
    await h.applyMapping('devdry', {
      addressGroup: 'K8S-DEVDRY',
      podSelector: { matchLabels: { app: 'acc2' } },
    });
    const m = await h.expectCondition('devdry', 'Ready', 'False', 'DryRun');
    await h.deletePod('a-1'); // K8S-DRY would lose its member
    await h.expectCondition('dry', 'Ready', 'False', 'DryRun');
    await h.operatorCaughtUp('pods', 'a-1');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-DEVDRY')).toBeUndefined();
    expect(h.members('K8S-DRY')).toEqual([node('n1')]);
    expect(((await h.mapping('devdry'))?.status?.plan ?? m.status?.plan)?.createGroups).toEqual([
      'K8S-DEVDRY',
    ]);
    await h.patchDevice({ dryRun: false });
    await h.expectMembers('K8S-DEVDRY', [node('n1')]);
    await h.expectCondition('devdry', 'Ready', 'True', 'Synced');
  });
});
