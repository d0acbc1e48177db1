import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import { eventually } from '../../support/kube.js';
import { groupComment, nodeAddressComment } from '../../../src/domain/naming.js';
import { Harness } from '../../support/operator-harness.js';

/**
 * One FortiGateDevice owns a FortiGate serial + VDOM + clusterName. A duplicate (another URL text
 * for the same box) gets a Stalled Conflict and writes nothing — not while it lives, not when it is
 * deleted with deletionPolicy Delete — and takes over once the owner is gone.
 */
describe('one owner per FortiGate, VDOM and clusterName', () => {
  const h = new Harness({ name: 'owner', clusterName: 'own' });
  const nodeAddr = () => `k8s-own-node-${h.nodeName('n1')}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.81');
    await h.runPod('app-1', { app: 'own' }, 'n1');
    await h.applyMapping('first', { addressGroup: 'K8S-OWN', podSelector: { matchLabels: { app: 'own' } } });
    await h.expectMembers('K8S-OWN', [nodeAddr()]);
  });
  afterAll(async () => {
    await h.stop();
  });

  async function deviceWith(name: string, ok: (d: FortiGateDevice) => boolean, what: string) {
    return eventually(
      async () => {
        const d = await h.device(name);
        return d && ok(d) ? d : undefined;
      },
      { what: `${name}: ${what}` },
    );
  }
  const cond = (d: FortiGateDevice, type: string) => d.status?.conditions?.find((c) => c.type === type);

  it('a duplicate device (same box, another URL) is Stalled with Conflict and deletes nothing', async () => {
    const seq = await h.settledSeq();
    const dup = `${h.deviceName}-dup`;
    // The same simulator under another spelling of its URL: identity, not URL text, decides.
    await h.createDevice(dup, { url: `${h.sim.url}/` });
    const d = await deviceWith(dup, (x) => cond(x, 'Ready')?.reason === 'Conflict', 'Ready=False Conflict');
    expect(cond(d, 'Stalled')).toMatchObject({ status: 'True', reason: 'Conflict' });
    expect(cond(d, 'Ready')?.message).toContain(h.deviceName);
    expect(cond(d, 'Ready')?.message).toContain('spec.access');
    expect(d.status?.fortios).toMatchObject({ serial: h.sim.serial, vdom: 'root' });
    // Its status covers its generation: the operator has seen it and decided.
    expect(d.status?.observedGeneration).toBe(d.metadata.generation);
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-OWN')).toEqual([nodeAddr()]);
    expect(h.address(nodeAddr())).toBeDefined();
    // The owner keeps working.
    await h.runPod('app-2', { app: 'own' }, 'n1');
    await h.expectCondition('first', 'Ready', 'True', 'Synced');
    const owner = await h.device();
    expect(cond(owner!, 'Ready')).toMatchObject({ status: 'True' });
  });

  it('deleting the duplicate (deletionPolicy Delete) removes nothing of the owner', async () => {
    const seq = await h.settledSeq();
    const dup = `${h.deviceName}-dup`;
    await h.deleteDevice(dup);
    await eventually(async () => ((await h.device(dup)) ? undefined : true), { what: 'duplicate gone' });
    const retained = await h.events('FortiGateDevice', dup);
    expect(retained.map((e) => e.reason)).toContain('Retained');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-OWN')).toEqual([nodeAddr()]);
    expect(h.address(nodeAddr())).toBeDefined();
  });

  it('two devices created together: the older one owns the scope, the younger never writes', async () => {
    const [first, second] = [`${h.deviceName}-x-a`, `${h.deviceName}-x-b`];
    // What a previous owner left: the group and address the first device's mapping wants.
    const addr = `k8s-own2-node-${h.nodeName('n1')}`;
    h.sim.state.seed('firewall/address', {
      name: addr,
      subnet: '192.0.2.81 255.255.255.255',
      comment: nodeAddressComment('own2', addr, h.nodeName('n1')),
    });
    h.sim.state.seed('firewall/addrgrp', {
      name: 'K8S-OWN2',
      member: [{ name: addr }],
      comment: groupComment('own2', 'K8S-OWN2'),
    });
    const seq = h.lastSeq();
    await h.applyMapping('second', {
      devices: [first],
      addressGroup: 'K8S-OWN2',
      podSelector: { matchLabels: { app: 'own' } },
    });
    await h.createDevice(first, { clusterName: 'own2' });
    await h.createDevice(second, { clusterName: 'own2', url: `${h.sim.url}/` });
    await deviceWith(second, (x) => cond(x, 'Ready')?.reason === 'Conflict', 'the younger in Conflict');
    await deviceWith(first, (x) => cond(x, 'Ready')?.status === 'True', 'the older Ready');
    // Nothing the older one wants was ever deleted (the younger, with no mapping, would delete all).
    const deletes = h.requestsSince(seq).filter((e) => e.method === 'DELETE');
    expect(deletes.map((e) => e.path)).toEqual([]);
    expect(h.members('K8S-OWN2')).toEqual([addr]);
    await h.deleteMapping('second');
  });

  it('once the owner is gone, the other device takes over', async () => {
    const heir = `${h.deviceName}-heir`;
    await h.createDevice(heir, { url: `${h.sim.url}/` });
    await deviceWith(heir, (x) => cond(x, 'Ready')?.reason === 'Conflict', 'Conflict');
    await h.applyMapping('first', {
      devices: [h.deviceName, heir],
      addressGroup: 'K8S-OWN',
      podSelector: { matchLabels: { app: 'own' } },
    });
    await h.patchDevice({ deletionPolicy: 'Retain' });
    await h.deleteDevice();
    const d = await deviceWith(
      heir,
      (x) => cond(x, 'Ready')?.status === 'True',
      'Ready=True after take-over',
    );
    expect(cond(d, 'Stalled')?.status).toBe('False');
    await h.expectMembers('K8S-OWN', [nodeAddr()]);
  });
});

/** The ownership marker is matched exactly: a copy of a comment owns nothing. */
describe('a GUI clone of an object fortisync made is left alone', () => {
  const h = new Harness({ name: 'clone', clusterName: 'cln' });
  const nodeAddr = (n: string) => `k8s-cln-node-${h.nodeName(n)}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.91');
    await h.createNode('n2', '192.0.2.92');
    await h.runPod('app-1', { app: 'cl' }, 'n1');
    await h.runPod('app-2', { app: 'cl' }, 'n2');
    await h.applyMapping('m', { addressGroup: 'K8S-CLN', podSelector: { matchLabels: { app: 'cl' } } });
    await h.expectMembers('K8S-CLN', [nodeAddr('n1'), nodeAddr('n2')]);
  });
  afterAll(async () => {
    await h.stop();
  });

  it('the clone of an address (same comment) stays, and stays in the admin group', async () => {
    const original = h.address(nodeAddr('n2')) as { comment: string; subnet: string };
    const admin = h.admin();
    // What FortiGate's GUI "Clone" does: every field copied, a new name.
    await admin.create('firewall/address', {
      name: 'web-db-copy',
      subnet: original.subnet,
      comment: original.comment,
    });
    await admin.create('firewall/addrgrp', {
      name: 'ADMIN-DB',
      member: [{ name: 'web-db-copy' }],
      comment: 'the firewall admin’s own group',
    });
    // A new client (its concurrency is part of the fingerprint) re-reads the whole device.
    await h.patchDevice({ maxConcurrentRequests: 15 });
    // The node behind the original leaves: fortisync deletes ITS address, never the clone.
    await h.deletePod('app-2');
    await h.expectMembers('K8S-CLN', [nodeAddr('n1')]);
    await eventually(() => (h.address(nodeAddr('n2')) ? undefined : true), { what: 'the original deleted' });
    const m = await h.expectCondition('m', 'Ready', 'True', 'Synced');
    expect(m.status?.observedGeneration).toBe(m.metadata.generation);
    await h.settledSeq();
    expect(h.address('web-db-copy')).toBeDefined();
    expect(h.members('ADMIN-DB')).toEqual(['web-db-copy']);
  });

  it('a clone of the group fortisync created is not deleted with it', async () => {
    const admin = h.admin();
    const original = h.sim.state.get('firewall/addrgrp', 'K8S-CLN') as { comment: string };
    await admin.create('firewall/addrgrp', {
      name: 'K8S-CLN-COPY',
      member: [{ name: nodeAddr('n1') }],
      comment: original.comment,
    });
    await h.patchDevice({ maxConcurrentRequests: 14 });
    await h.deleteMapping('m');
    await eventually(async () => ((await h.mapping('m')) ? undefined : true), { what: 'mapping finalized' });
    await eventually(() => (h.members('K8S-CLN') ? undefined : true), { what: 'the original group deleted' });
    await h.settledSeq();
    // fortisync's member leaves the copy (it is fortisync's address), the copy itself stays.
    expect(h.members('K8S-CLN-COPY')).toEqual(['none']);
  });

  it("objects an earlier build made (comments without the object name) are still fortisync's, and upgraded", async () => {
    await h.createNode('n3', '192.0.2.93');
    const addr = nodeAddr('n3');
    // As earlier builds wrote them: the marker, then the node; the group's comment names no group.
    h.sim.state.seed('firewall/address', {
      name: addr,
      subnet: '192.0.2.93 255.255.255.255',
      comment: `[fortisync:cln] node ${h.nodeName('n3')} of cluster cln`,
    });
    h.sim.state.seed('firewall/addrgrp', {
      name: 'K8S-LEGACY',
      member: [{ name: addr }],
      comment: '[fortisync:cln] group created by fortisync for cluster cln; members follow the cluster',
    });
    // As after an upgrade: the operator reads the device afresh (a new client re-reads it whole).
    await h.patchDevice({ maxConcurrentRequests: 13 });
    await h.runPod('app-3', { app: 'legacy' }, 'n1');
    await h.applyMapping('legacy', {
      addressGroup: 'K8S-LEGACY',
      podSelector: { matchLabels: { app: 'legacy' } },
    });
    // n3's address is ours (not a NameConflict), no mapping wants it: it leaves and is deleted.
    await h.expectMembers('K8S-LEGACY', [nodeAddr('n1')]);
    await eventually(() => (h.address(addr) ? undefined : true), { what: 'the legacy address deleted' });
    await h.expectCondition('legacy', 'Ready', 'True', 'Synced');
    expect(String(h.sim.state.get('firewall/addrgrp', 'K8S-LEGACY')?.comment)).toMatch(
      /^\[fortisync:cln\] K8S-LEGACY: /,
    );
    expect(String(h.address(nodeAddr('n1'))?.comment)).toMatch(
      new RegExp(`^\\[fortisync:cln\\] ${nodeAddr('n1')}:`),
    );
  });
});
