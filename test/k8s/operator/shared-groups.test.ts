import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Groups fed by several mappings, and a group the firewall admin created beforehand.
describe('shared groups', () => {
  const h = new Harness({ name: 'shared', clusterName: 'shr' });
  const node = (n: string) => `k8s-shr-node-${h.nodeName(n)}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.41');
    await h.createNode('n2', '192.0.2.42');
    await h.createNode('n3', '192.0.2.43');
  });
  afterAll(async () => h.stop());

  describe('two mappings on one group', () => {
    it('the group holds the union of both', async () => {
      await h.runPod('fe-1', { app: 'fe' }, 'n1');
      await h.runPod('fe-2', { app: 'fe' }, 'n2');
      await h.runPod('be-1', { app: 'be' }, 'n2');
      await h.runPod('be-2', { app: 'be' }, 'n3');
      await h.applyMapping('fe', { addressGroup: 'K8S-UNION', podSelector: { matchLabels: { app: 'fe' } } });
      await h.applyMapping('be', { addressGroup: 'K8S-UNION', podSelector: { matchLabels: { app: 'be' } } });
      await h.expectMembers('K8S-UNION', [node('n1'), node('n2'), node('n3')]);
      await h.expectCondition('fe', 'Ready', 'True', 'Synced');
      await h.expectCondition('be', 'Ready', 'True', 'Synced');
      await h.expectStatusMembers('fe', 2);
      await h.expectStatusMembers('be', 2);
    });

    it('a member both want stays until neither wants it', async () => {
      await h.deletePod('fe-2'); // fe no longer wants n2, be still does
      await h.operatorCaughtUp('pods', 'fe-2');
      expect(h.members('K8S-UNION')).toEqual([node('n1'), node('n2'), node('n3')]);
      await h.expectStatusMembers('fe', 1);
      await h.deletePod('be-1'); // now nobody wants n2
      await h.expectMembers('K8S-UNION', [node('n1'), node('n3')]);
      await eventually(() => (h.address(node('n2')) ? undefined : true), { what: 'n2 address deleted' });
    });

    it("deleting one mapping keeps the other's members", async () => {
      await h.runPod('be-1', { app: 'be' }, 'n1'); // be now also wants n1, like fe
      await h.deleteMapping('fe');
      await eventually(async () => ((await h.mapping('fe')) ? undefined : true), { what: 'fe finalized' });
      await h.expectMembers('K8S-UNION', [node('n1'), node('n3')]);
      await h.deletePod('be-1');
      await h.expectMembers('K8S-UNION', [node('n3')]);
      await h.expectCondition('be', 'Ready', 'True', 'Synced');
      // The group still exists (be feeds it) and is still ours.
      expect(String(h.sim.state.get('firewall/addrgrp', 'K8S-UNION')?.comment)).toContain('[fortisync:shr]');
    });
  });

  describe('a group created beforehand by the firewall admin', () => {
    beforeAll(async () => {
      h.sim.state.seed('firewall/address', { name: 'static-db', subnet: '198.51.100.10/32' });
      h.sim.state.seed('firewall/addrgrp', { name: 'K8S-DMZ', member: [{ name: 'static-db' }] });
      // Since issue 14 fortisync writes into a group it did not create only where the device names it.
      await h.patchDevice({ access: { existingGroups: ['K8S-DMZ', 'ADMIN-EMPTY'] } });
    });

    it('our members are added next to the static member, the comment is left alone', async () => {
      await h.runPod('dmz-1', { zone: 'dmz' }, 'n1');
      await h.applyMapping('dmz', { addressGroup: 'K8S-DMZ', podSelector: { matchLabels: { zone: 'dmz' } } });
      await h.expectMembers('K8S-DMZ', ['static-db', node('n1')]);
      await h.expectCondition('dmz', 'Ready', 'True', 'Synced');
      expect(String(h.sim.state.get('firewall/addrgrp', 'K8S-DMZ')?.comment ?? '')).not.toContain(
        'fortisync',
      );
    });

    it('the static member survives every change', async () => {
      await h.runPod('dmz-2', { zone: 'dmz' }, 'n2');
      await h.expectMembers('K8S-DMZ', ['static-db', node('n1'), node('n2')]);
      await h.deletePod('dmz-1');
      await h.expectMembers('K8S-DMZ', ['static-db', node('n2')]);
      await h.deletePod('dmz-2');
      await h.expectMembers('K8S-DMZ', ['static-db']);
      // Nothing of ours left: the group does not need the placeholder.
      await h.runPod('dmz-3', { zone: 'dmz' }, 'n3');
      await h.expectMembers('K8S-DMZ', ['static-db', node('n3')]);
      // A selector change that selects nothing.
      await h.applyMapping('dmz', {
        addressGroup: 'K8S-DMZ',
        podSelector: { matchLabels: { zone: 'nowhere' } },
      });
      await h.expectMembers('K8S-DMZ', ['static-db']);
      await h.applyMapping('dmz', { addressGroup: 'K8S-DMZ', podSelector: { matchLabels: { zone: 'dmz' } } });
      await h.expectMembers('K8S-DMZ', ['static-db', node('n3')]);
      expect(h.address('static-db')?.subnet).toBe('198.51.100.10 255.255.255.255');
    });

    it("the mapping's deletion removes only our members and keeps the group (fortisync did not create it)", async () => {
      await h.deleteMapping('dmz');
      await eventually(async () => ((await h.mapping('dmz')) ? undefined : true), { what: 'dmz finalized' });
      await h.expectMembers('K8S-DMZ', ['static-db']);
      expect(h.address('static-db')).toBeDefined();
      // Nothing deletes it later either (the mapping's deletion is fully acted on).
      await h.operatorCaughtUp('mappings', 'dmz');
      expect(h.members('K8S-DMZ')).toEqual(['static-db']);
    });

    it('a hand-made group holding only none: our member replaces none, and leaving puts none back', async () => {
      h.sim.state.seed('firewall/addrgrp', {
        name: 'ADMIN-EMPTY',
        member: [{ name: 'none' }],
        comment: 'made by hand',
      });
      await h.applyMapping('empty', {
        addressGroup: 'ADMIN-EMPTY',
        podSelector: { matchLabels: { zone: 'dmz' } },
      });
      await h.expectMembers('ADMIN-EMPTY', [node('n3')]);
      await h.deleteMapping('empty');
      await h.expectMembers('ADMIN-EMPTY', ['none']);
      await eventually(async () => ((await h.mapping('empty')) ? undefined : true), {
        what: 'empty finalized',
      });
      expect(h.sim.state.get('firewall/addrgrp', 'ADMIN-EMPTY')?.comment).toBe('made by hand');
    });
  });
});
