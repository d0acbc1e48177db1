import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { executePlan } from '../../src/controllers/device/execute.js';
import { readObservedState } from '../../src/controllers/device/observe.js';
import type { FortiGateClient } from '../../src/fortigate/index.js';
import type { DesiredDeviceState } from '../../src/domain/model.js';
import { groupComment, nodeAddressComment } from '../../src/domain/naming.js';
import { plan } from '../../src/domain/plan.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { clientFor, simulator } from './helpers.js';

const CLUSTER = 'exe';

function address(name: string, ip: string) {
  return {
    name,
    type: 'ipmask',
    subnet: `${ip} 255.255.255.255`,
    comment: nodeAddressComment(CLUSTER, name, name),
  };
}

/** What the device should hold: group G with exactly `members` (addresses named after their IPs). */
function desired(members: string[]): DesiredDeviceState {
  const addresses = new Map(
    members.map((m) => [
      `IPv4/${m}`,
      {
        name: m,
        family: 'IPv4' as const,
        ip: `10.0.0.${m.slice(1)}`,
        comment: nodeAddressComment(CLUSTER, m, m),
      },
    ]),
  );
  return {
    addresses,
    groups: new Map([
      [
        'IPv4/G',
        {
          name: 'G',
          family: 'IPv4',
          members: new Set(members),
          mappings: ['ns/m'],
          frozen: false,
          orphanOnRelease: false,
        },
      ],
    ]),
    releasing: new Map(),
  };
}

describe('executePlan with deferLateDeletes', () => {
  let sim: SimulatorHandle;
  let client: FortiGateClient;

  beforeEach(async () => {
    sim = await simulator();
    client = clientFor(sim).client;
    // a1 and a3 are in G; a2 is ours but in no group (left over).
    for (const [n, ip] of [
      ['a1', '10.0.0.1'],
      ['a2', '10.0.0.2'],
      ['a3', '10.0.0.3'],
    ] as const)
      sim.state.seed('firewall/address', address(n, ip));
    sim.state.seed('firewall/addrgrp', {
      name: 'G',
      member: [{ name: 'a1' }, { name: 'a3' }],
      comment: groupComment(CLUSTER, 'G'),
    });
  });
  afterEach(async () => {
    client.close();
    await sim.close();
  });

  it('deletes unreferenced addresses with the creates and leaves released ones to the next sync', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    // a4 joins, a1 leaves G: a1 can only be deleted after the group write.
    const first = plan(desired(['a3', 'a4']), observed, { clusterName: CLUSTER });
    expect(first.ops.map((o) => o.op)).toEqual([
      'createAddress',
      'setGroupMembers',
      'deleteAddress',
      'deleteAddress',
    ]);
    sim.requestLog.clear();
    const result = await executePlan(client, first, observed, {
      clusterName: CLUSTER,
      deferLateDeletes: true,
    });

    expect(result.deferredDeletes).toBe(1);
    expect(result.groupProblems.size).toBe(0);
    // Two rounds: the create and a2's delete together, the group write after the create; a1 is
    // not deleted.
    const writes = sim.requestLog.entries().filter((e) => e.method !== 'GET');
    expect(writes.map((e) => `${e.method} ${decodeURIComponent(e.path)}`).sort()).toEqual([
      'DELETE /api/v2/cmdb/firewall/address/a2',
      'POST /api/v2/cmdb/firewall/address',
      'PUT /api/v2/cmdb/firewall/addrgrp/G',
    ]);
    const create = writes.findIndex((e) => e.method === 'POST' && e.path.endsWith('/address'));
    expect(writes.findIndex((e) => e.path.includes('addrgrp'))).toBeGreaterThan(create);
    expect(sim.state.get('firewall/address', 'a2')).toBeUndefined();
    expect(sim.state.get('firewall/address', 'a1')).toBeDefined(); // left for the next sync
    expect(sim.state.get('firewall/addrgrp', 'G')?.member).toEqual([{ name: 'a3' }, { name: 'a4' }]);

    // The next sync, from the observed state the first one kept, deletes a1 and nothing else.
    const second = plan(desired(['a3', 'a4']), observed, { clusterName: CLUSTER });
    expect(second.ops).toEqual([{ op: 'deleteAddress', family: 'IPv4', name: 'a1' }]);
    const again = await executePlan(client, second, observed, {
      clusterName: CLUSTER,
      deferLateDeletes: true,
    });
    expect(again.deferredDeletes).toBe(0);
    expect(sim.state.get('firewall/address', 'a1')).toBeUndefined();
    expect(plan(desired(['a3', 'a4']), observed, { clusterName: CLUSTER }).ops).toEqual([]);
  });

  it("a group write waits for its own members' address writes, not for a slow deletion", async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    // a4 joins G; a2's delete (no group holds it) takes 2 s on the device.
    sim.faults.add({
      match: { method: 'DELETE', table: 'firewall/address', mkey: 'a2' },
      action: { type: 'latency', ms: 2000 },
    });
    const p = plan(desired(['a1', 'a3', 'a4']), observed, { clusterName: CLUSTER });
    const running = executePlan(client, p, observed, { clusterName: CLUSTER, deferLateDeletes: true });
    const joined = (): boolean =>
      (sim.state.get('firewall/addrgrp', 'G')?.member as { name: string }[] | undefined)?.some(
        (m) => m.name === 'a4',
      ) ?? false;
    while (!joined()) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sim.state.get('firewall/address', 'a4')).toBeDefined();
    expect(sim.state.get('firewall/address', 'a2')).toBeDefined(); // its delete is still on the way
    const result = await running;
    expect(result.groupProblems.size).toBe(0);
    expect(sim.state.get('firewall/address', 'a2')).toBeUndefined();
    // The group's write is acknowledged well before the run ends (what the own-share metric reads).
    expect(Date.now() - (result.groupsWrittenAt.get('IPv4/G') ?? Infinity)).toBeGreaterThan(1000);
  });

  it('a group write the device fails (500) makes the next sync re-read the device instead of forgetting the group', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    // Two members leave and one joins: a whole-list PUT, which the device keeps failing.
    sim.faults.add({ match: { method: 'PUT' }, action: { type: 'error', status: 500 } });
    const p = plan(desired(['a4']), observed, { clusterName: CLUSTER });
    const result = await executePlan(client, p, observed, { clusterName: CLUSTER, deferLateDeletes: true });
    expect(result.groupProblems.has('IPv4/G')).toBe(true);
    // G is still on the device in a state we cannot know: if no mapping wanted it by the next sync, a
    // picture without it would never delete it (until a drift check); a stale one is read again first.
    expect(observed.groups.has('IPv4/G')).toBe(false);
    expect(result.stale).toBe(true);
    expect(sim.state.get('firewall/addrgrp', 'G')?.member).toEqual([{ name: 'a1' }, { name: 'a3' }]);
  });

  it('without the option, performs every deletion in one run, after the group writes', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    const p = plan(desired(['a3']), observed, { clusterName: CLUSTER });
    const result = await executePlan(client, p, observed, { clusterName: CLUSTER });
    expect(result.deferredDeletes).toBe(0);
    expect(sim.state.get('firewall/address', 'a1')).toBeUndefined();
    expect(sim.state.get('firewall/address', 'a2')).toBeUndefined();
  });

  it('defers every deletion when the plan creates a group (it may meet one holding the address)', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    observed.groups.delete('IPv4/G'); // as after a failed write: we no longer know what G holds
    const p = plan(desired(['a3']), observed, { clusterName: CLUSTER });
    expect(p.ops.some((o) => o.op === 'createGroup')).toBe(true);
    const result = await executePlan(client, p, observed, { clusterName: CLUSTER, deferLateDeletes: true });
    expect(result.deferredDeletes).toBe(2);
    expect(result.events.filter((e) => e.reason === 'AddressInUse')).toEqual([]);
    expect(sim.state.get('firewall/address', 'a2')).toBeDefined();
    expect(sim.state.get('firewall/addrgrp', 'G')?.member).toEqual([{ name: 'a3' }]);
  });
});

describe('executePlan re-checks ownership on the fresh read', () => {
  let sim: SimulatorHandle;
  let client: FortiGateClient;
  const LEGACY_GROUP = `[fortisync:${CLUSTER}] group created by fortisync for cluster ${CLUSTER}; members follow the cluster`;

  beforeEach(async () => {
    sim = await simulator();
    client = clientFor(sim).client;
    for (const [n, ip] of [
      ['a1', '10.0.0.1'],
      ['a3', '10.0.0.3'],
    ] as const)
      sim.state.seed('firewall/address', address(n, ip));
  });
  afterEach(async () => {
    client.close();
    await sim.close();
  });

  it('a group whose comment changed since it was read is not deleted: only our members leave', async () => {
    sim.state.seed('firewall/addrgrp', {
      name: 'G',
      member: [{ name: 'a1' }],
      comment: groupComment(CLUSTER, 'G'),
    });
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    const p = plan({ addresses: new Map(), groups: new Map(), releasing: new Map() }, observed, {
      clusterName: CLUSTER,
    });
    expect(p.ops.map((o) => o.op)).toContain('deleteGroup');
    // The firewall admin takes the group over between our read and our delete.
    await client.update('firewall/addrgrp', 'G', { comment: 'owned by the firewall team now' });
    await executePlan(client, p, observed, { clusterName: CLUSTER });
    expect(sim.state.get('firewall/addrgrp', 'G')).toMatchObject({
      member: [{ name: 'none' }],
      comment: 'owned by the firewall team now',
    });
  });

  it('an address whose comment changed since it was read is not deleted', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    const p = plan({ addresses: new Map(), groups: new Map(), releasing: new Map() }, observed, {
      clusterName: CLUSTER,
    });
    expect(p.ops.filter((o) => o.op === 'deleteAddress')).toHaveLength(2);
    await client.update('firewall/address', 'a1', { comment: 'kept by hand' });
    await executePlan(client, p, observed, { clusterName: CLUSTER });
    expect(sim.state.get('firewall/address', 'a1')).toBeDefined();
    expect(sim.state.get('firewall/address', 'a3')).toBeUndefined();
  });

  it('one filtered read per batch of deletions checks ownership; names with dots and commas too', async () => {
    const names = Array.from({ length: 18 }, (_, i) => (i === 0 ? 'k8s-pod-shop.web,1' : `b${i}`));
    for (const [i, n] of names.entries()) sim.state.seed('firewall/address', address(n, `10.0.1.${i + 1}`));
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    const p = plan({ addresses: new Map(), groups: new Map(), releasing: new Map() }, observed, {
      clusterName: CLUSTER,
    });
    expect(p.ops.filter((o) => o.op === 'deleteAddress')).toHaveLength(20); // a1, a3 and these
    await client.update('firewall/address', 'b5', { comment: 'kept by hand' });
    sim.requestLog.clear();
    const result = await executePlan(client, p, observed, { clusterName: CLUSTER, concurrency: 16 });
    const reads = sim.requestLog.entries({ method: 'GET' });
    // 20 deletions, 16 a batch: two lists, no GET per address.
    expect(reads.map((r) => [r.path, r.query.includes('filter=')])).toEqual([
      ['/api/v2/cmdb/firewall/address', true],
      ['/api/v2/cmdb/firewall/address', true],
    ]);
    expect(result.reads).toBe(2);
    expect(sim.state.get('firewall/address', 'b5')).toBeDefined();
    for (const n of [...names.filter((n) => n !== 'b5'), 'a1', 'a3'])
      expect([n, sim.state.get('firewall/address', n)]).toEqual([n, undefined]);
  });

  it('an address whose comment changed since it was read is not updated (its IP stays)', async () => {
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    // a1 should now stand for another IP: an updateAddress.
    const want = desired(['a1']);
    const a1 = want.addresses.get('IPv4/a1')!;
    want.addresses.set('IPv4/a1', { ...a1, ip: '10.0.9.9' });
    const p = plan(want, observed, { clusterName: CLUSTER });
    expect(p.ops.map((o) => o.op)).toContain('updateAddress');
    await client.update('firewall/address', 'a1', { comment: 'the firewall team’s now' });
    const result = await executePlan(client, p, observed, { clusterName: CLUSTER });
    expect(sim.state.get('firewall/address', 'a1')).toMatchObject({
      subnet: '10.0.0.1 255.255.255.255',
      comment: 'the firewall team’s now',
    });
    expect([...result.groupProblems.values()].map((x) => x.message).join()).toContain(
      "no longer fortisync's",
    );
  });

  it('a group comment of an earlier build is recognised and upgraded with a write that happens anyway', async () => {
    sim.state.seed('firewall/addrgrp', { name: 'G', member: [{ name: 'a1' }], comment: LEGACY_GROUP });
    sim.state.seed('firewall/address', address('a4', '10.0.0.4'));
    const observed = await readObservedState(client, CLUSTER, ['IPv4']);
    // a1 leaves, a3 and a4 join: a full PUT of the member list.
    const p = plan(desired(['a3', 'a4']), observed, { clusterName: CLUSTER });
    await executePlan(client, p, observed, { clusterName: CLUSTER });
    expect(sim.state.get('firewall/addrgrp', 'G')).toMatchObject({
      member: [{ name: 'a3' }, { name: 'a4' }],
      comment: groupComment(CLUSTER, 'G'),
    });
  });
});
