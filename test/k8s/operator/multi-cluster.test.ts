import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';
import { startSimulator, type SimulatorHandle } from '../../../src/simulator/index.js';

// Two clusters (two operators, two clusterNames) share one FortiGate and feed the same group.
describe('two clusters feeding one group on a shared FortiGate', () => {
  let sim: SimulatorHandle;
  let east: Harness;
  let west: Harness;
  const eastNode = (n: string) => `k8s-east-node-${east.nodeName(n)}`;
  const westNode = (n: string) => `k8s-west-node-${west.nodeName(n)}`;

  beforeAll(async () => {
    sim = await startSimulator({ tokens: [TOKEN] });
    east = await new Harness({ name: 'mc-east', clusterName: 'east', sharedSimulator: sim }).start();
    // West feeds a group east created: a group this cluster did not create must be named (issue 14).
    west = await new Harness({
      name: 'mc-west',
      clusterName: 'west',
      sharedSimulator: sim,
      device: { access: { existingGroups: ['K8S-SHARED'] } },
    }).start();
    await east.createNode('n1', '192.0.2.51');
    await east.createNode('n2', '192.0.2.52');
    await west.createNode('n1', '198.51.100.51');
    await west.createNode('n2', '198.51.100.52');
  });
  afterAll(async () => {
    await west?.stop();
    await east?.stop();
    await sim?.close();
  });

  it('both clusters add their members; neither removes the other', async () => {
    await east.runPod('app-1', { app: 'shared' }, 'n1');
    await east.applyMapping('feed', {
      addressGroup: 'K8S-SHARED',
      podSelector: { matchLabels: { app: 'shared' } },
    });
    await east.expectMembers('K8S-SHARED', [eastNode('n1')]);
    await west.runPod('app-1', { app: 'shared' }, 'n1');
    await west.applyMapping('feed', {
      addressGroup: 'K8S-SHARED',
      podSelector: { matchLabels: { app: 'shared' } },
    });
    await west.expectMembers('K8S-SHARED', [eastNode('n1'), westNode('n1')]);
    await east.expectCondition('feed', 'Ready', 'True', 'Synced');
    await west.expectCondition('feed', 'Ready', 'True', 'Synced');
  });

  it('changes in one cluster keep the other cluster’s members (no lost updates)', async () => {
    await east.runPod('app-2', { app: 'shared' }, 'n2');
    await east.expectMembers('K8S-SHARED', [eastNode('n1'), eastNode('n2'), westNode('n1')]);
    await west.runPod('app-2', { app: 'shared' }, 'n2');
    await west.expectMembers('K8S-SHARED', [eastNode('n1'), eastNode('n2'), westNode('n1'), westNode('n2')]);
    await east.deletePod('app-2');
    await east.expectMembers('K8S-SHARED', [eastNode('n1'), westNode('n1'), westNode('n2')]);
    await west.deletePod('app-2');
    await west.expectMembers('K8S-SHARED', [eastNode('n1'), westNode('n1')]);
    // Both at once.
    await Promise.all([
      east.runPod('app-3', { app: 'shared' }, 'n2'),
      west.runPod('app-3', { app: 'shared' }, 'n2'),
    ]);
    await east.expectMembers('K8S-SHARED', [eastNode('n1'), eastNode('n2'), westNode('n1'), westNode('n2')]);
    // Both operators have acted on both pods: a late write of either would show now.
    await Promise.all([east.operatorCaughtUp('pods', 'app-3'), west.operatorCaughtUp('pods', 'app-3')]);
    expect(east.members('K8S-SHARED')).toEqual(
      [eastNode('n1'), eastNode('n2'), westNode('n1'), westNode('n2')].sort(),
    );
  });

  it('each cluster only owns its own addresses', () => {
    expect(String(sim.state.get('firewall/address', eastNode('n1'))?.comment)).toContain('[fortisync:east]');
    expect(String(sim.state.get('firewall/address', westNode('n1'))?.comment)).toContain('[fortisync:west]');
  });

  it("deleting one cluster's mapping leaves the other's members", async () => {
    await east.deleteMapping('feed');
    await eventually(async () => ((await east.mapping('feed')) ? undefined : true), {
      what: 'east mapping finalized',
    });
    await west.expectMembers('K8S-SHARED', [westNode('n1'), westNode('n2')]);
    await eventually(() => (sim.state.get('firewall/address', eastNode('n1')) ? undefined : true), {
      what: 'east addresses deleted',
    });
    expect(sim.state.get('firewall/address', westNode('n1'))).toBeDefined();
    // West keeps working on the group east created.
    await west.deletePod('app-3');
    await west.expectMembers('K8S-SHARED', [westNode('n1')]);
    await west.expectCondition('feed', 'Ready', 'True', 'Synced');
  });
});
