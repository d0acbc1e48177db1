import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Deleting mappings and devices: what stays, what goes, and what the firewall admin is told.
describe('deletion and cleanup', () => {
  const h = new Harness({ name: 'deletion', clusterName: 'del' });
  const node = (n: string) => `k8s-del-node-${h.nodeName(n)}`;
  const gone = (what: string, check: () => unknown) =>
    eventually(() => (check() ? undefined : true), { what });
  const mappingGone = (name: string) =>
    eventually(async () => ((await h.mapping(name)) ? undefined : true), { what: `${name} finalized` });

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.91');
    await h.runPod('a-1', { app: 'del' }, 'n1');
  });
  afterAll(async () => h.stop());

  it('a group a policy uses: kept holding none, with a GroupInUse event on the device naming the policy', async () => {
    await h.applyMapping('used', { addressGroup: 'K8S-USED', podSelector: { matchLabels: { app: 'del' } } });
    await h.expectMembers('K8S-USED', [node('n1')]);
    h.sim.state.seed('firewall/policy', {
      policyid: 42,
      name: 'to-db',
      srcaddr: [{ name: 'K8S-USED' }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    });
    await h.deleteMapping('used');
    await mappingGone('used');
    await h.expectMembers('K8S-USED', ['none']);
    await gone('node address deleted', () => h.address(node('n1')));
    const ev = await eventually(
      async () => (await h.events('FortiGateDevice', h.deviceName)).find((e) => e.reason === 'GroupInUse'),
      {
        what: 'GroupInUse event',
      },
    );
    expect(ev.note).toContain('K8S-USED');
    expect(ev.note).toContain('policy 42 (to-db)');
    expect(ev.type).toBe('Warning');
  });

  it('a group fortisync created and nothing uses is deleted with the mapping', async () => {
    await h.applyMapping('unused', {
      addressGroup: 'K8S-UNUSED',
      podSelector: { matchLabels: { app: 'del' } },
    });
    await h.expectMembers('K8S-UNUSED', [node('n1')]);
    await h.deleteMapping('unused');
    await mappingGone('unused');
    await gone('K8S-UNUSED deleted', () => h.members('K8S-UNUSED'));
    await gone('node address deleted', () => h.address(node('n1')));
  });

  it('deletionPolicy Orphan keeps the group, without our members, and strips the ownership marker', async () => {
    await h.applyMapping('orphan', {
      addressGroup: 'K8S-ORPHAN',
      deletionPolicy: 'Orphan',
      podSelector: { matchLabels: { app: 'del' } },
    });
    await h.expectMembers('K8S-ORPHAN', [node('n1')]);
    expect(String(h.sim.state.get('firewall/addrgrp', 'K8S-ORPHAN')?.comment)).toContain('[fortisync:del]');
    await h.deleteMapping('orphan');
    await mappingGone('orphan');
    await h.expectMembers('K8S-ORPHAN', ['none']);
    const comment = String(h.sim.state.get('firewall/addrgrp', 'K8S-ORPHAN')?.comment);
    expect(comment).not.toContain('[fortisync:');
    expect(comment).toContain('released by fortisync');
    // The node's address, unused once the group is released, goes in a later sync: the count of
    // writes starts after it, or a slow machine sees that delete land inside the window.
    await gone('node address deleted', () => h.address(node('n1')));
    // Later syncs leave it alone.
    const seq = h.lastSeq();
    await h.runPod('a-2', { app: 'del' }, 'n1');
    await h.operatorCaughtUp('pods', 'a-2');
    expect(h.members('K8S-ORPHAN')).toEqual(['none']);
    const writes = h.sim.requestLog
      .entries({})
      .filter((e) => e.seq > seq && e.method !== 'GET')
      .map((e) => `${e.method} ${e.path}`);
    expect(writes).toEqual([]);
  });

  it('deleting a FortiGateDevice with deletionPolicy Retain leaves its objects', async () => {
    const dev = `${h.deviceName}-retain`;
    await h.createDevice(dev, { deletionPolicy: 'Retain', clusterName: 'ret' });
    await h.applyMapping('retain', {
      devices: [dev],
      addressGroup: 'K8S-RETAIN',
      podSelector: { matchLabels: { app: 'del' } },
    });
    await h.expectMembers('K8S-RETAIN', [`k8s-ret-node-${h.nodeName('n1')}`]);
    await h.deleteDevice(dev);
    await eventually(async () => ((await h.device(dev)) ? undefined : true), { what: 'retain device gone' });
    await h.operatorCaughtUp('devices', dev);
    expect(h.members('K8S-RETAIN')).toEqual([`k8s-ret-node-${h.nodeName('n1')}`]);
    expect(h.address(`k8s-ret-node-${h.nodeName('n1')}`)).toBeDefined();
    await h.expectCondition('retain', 'Ready', 'False', 'DeviceNotFound');
    await h.deleteMapping('retain');
    await mappingGone('retain');
  });

  it('deleting a FortiGateDevice (deletionPolicy Delete) removes every object fortisync owned on it, and only those', async () => {
    h.sim.state.seed('firewall/address', { name: 'static-web', subnet: '198.51.100.20/32' });
    h.sim.state.seed('firewall/addrgrp', { name: 'ADMIN-GRP', member: [{ name: 'static-web' }] });
    await h.patchDevice({ access: { existingGroups: ['ADMIN-GRP'] } }); // an admin group must be named
    await h.applyMapping('d1', { addressGroup: 'K8S-D1', podSelector: { matchLabels: { app: 'del' } } });
    await h.applyMapping('d2', { addressGroup: 'ADMIN-GRP', podSelector: { matchLabels: { app: 'del' } } });
    await h.applyMapping('d3', {
      addressGroup: 'K8S-D3',
      addressType: 'Pod',
      ipFamilies: ['IPv6'],
      podSelector: { matchLabels: { v6: 'yes' } },
    });
    await h.runPod('v6-1', { v6: 'yes' }, 'n1', ['fd00::91']);
    await h.expectMembers('K8S-D1', [node('n1')]);
    await h.expectMembers('ADMIN-GRP', ['static-web', node('n1')]);
    await h.expectMembers('K8S-D3', [`k8s-del-pod6-${h.ns}.v6-1`], 'firewall/addrgrp6');
    await h.deleteDevice();
    await eventually(async () => ((await h.device()) ? undefined : true), { what: 'device gone' });
    expect(h.members('K8S-D1')).toBeUndefined();
    expect(h.members('K8S-D3', 'firewall/addrgrp6')).toBeUndefined();
    expect(h.members('ADMIN-GRP')).toEqual(['static-web']);
    expect(h.addressNames().filter((n) => n.startsWith('k8s-del-'))).toEqual([]);
    expect(h.addressNames('firewall/address6')).toEqual([]);
    // Kept: the policy's group (holding none), the orphaned group, the admin's objects, the Retain device's objects.
    expect(h.members('K8S-USED')).toEqual(['none']);
    expect(h.members('K8S-ORPHAN')).toEqual(['none']);
    expect(h.address('static-web')).toBeDefined();
    expect(h.members('K8S-RETAIN')).toBeDefined();
  });
});
