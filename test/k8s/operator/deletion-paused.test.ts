import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

/**
 * A device that may not write (suspended, dry run) never holds deletions hostage: deleting mappings
 * are released without writing (their members stay until the device writes again, and an Event says
 * so), and the device itself, deleted, behaves as deletionPolicy Retain.
 */
describe('deletion while the device may not write', () => {
  const h = new Harness({ name: 'delpause', clusterName: 'dp' });
  const node = (n: string) => `k8s-dp-node-${h.nodeName(n)}`;
  const mappingGone = (name: string, namespace = h.ns) =>
    eventually(async () => ((await h.mapping(name, namespace)) ? undefined : true), {
      what: `${name} finalized`,
    });
  const deviceEvent = (device: string, reason: string) =>
    eventually(async () => (await h.events('FortiGateDevice', device)).find((e) => e.reason === reason), {
      what: `${reason} event on ${device}`,
    });

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.111');
    await h.runPod('a-1', { app: 'dp' }, 'n1');
  });
  afterAll(async () => h.stop());

  it.each([
    ['suspend', { suspend: true }],
    ['dryRun', { dryRun: true }],
  ] as const)(
    'device %s: a deleted mapping is released at once, its members stay until the device writes again',
    async (what, paused) => {
      const name = what.toLowerCase();
      const group = `K8S-DP-${what.toUpperCase()}`;
      await h.applyMapping(name, { addressGroup: group, podSelector: { matchLabels: { app: 'dp' } } });
      await h.expectMembers(group, [node('n1')]);
      await h.patchDevice(paused);
      await eventually(
        async () => {
          const d = await h.device();
          return d?.status?.observedGeneration === d?.metadata.generation ? true : undefined;
        },
        { what: 'the device saw the pause' },
      );
      const seq = await h.settledSeq();
      await h.deleteMapping(name);
      await mappingGone(name);
      const ev = await eventually(
        async () =>
          (await h.events('FortiGateDevice', h.deviceName)).find(
            (e) => e.reason === 'MembersLeftInPlace' && e.note?.includes(`${h.ns}/${name}`),
          ),
        { what: `MembersLeftInPlace for ${name}` },
      );
      expect(ev.note).toContain(what);
      // Nothing was written: the members stay while the device may not write.
      expect(h.writesSince(seq)).toBe(0);
      expect(h.members(group)).toEqual([node('n1')]);
      // Writing again: the next sync no longer wants them.
      await h.patchDevice({ suspend: false, dryRun: false });
      await eventually(() => (h.members(group) ? undefined : true), { what: `${group} removed` });
    },
  );

  it('a suspended device, deleted with deletionPolicy Delete, retains its objects and says so', async () => {
    const dev = `${h.deviceName}-s`;
    await h.createDevice(dev, { clusterName: 'dps' });
    await h.applyMapping('s', {
      devices: [dev],
      addressGroup: 'K8S-DPS',
      podSelector: { matchLabels: { app: 'dp' } },
    });
    await h.expectMembers('K8S-DPS', [`k8s-dps-node-${h.nodeName('n1')}`]);
    await h.patchDevice({ suspend: true }, dev);
    const seq = await h.settledSeq();
    await h.deleteDevice(dev);
    await eventually(async () => ((await h.device(dev)) ? undefined : true), { what: 'device finalized' });
    const ev = await deviceEvent(dev, 'Retained');
    expect(ev.note).toContain('spec.suspend');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-DPS')).toEqual([`k8s-dps-node-${h.nodeName('n1')}`]);
    // Its mapping, now without a device, lets go too.
    await h.deleteMapping('s');
    await mappingGone('s');
  });
});
