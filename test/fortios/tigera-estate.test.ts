import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { clientFor, simulator } from './helpers.js';
import { NO_MEMBERS, seedTigeraEstate, TIGERA_COMMENT } from './tigera-estate.js';

/**
 * A Tigera estate seeded with Tigera's own request bodies is accepted by the simulator (it refused
 * `"type":""` before) and reads back as Tigera's controller and fortisync expect: host addresses of
 * type ipmask (Tigera's list keeps only those), groups with their members, the placeholder in an
 * empty group. The next session's adoption tests start from this estate (ADR 0004 §6).
 */
describe('a Calico Enterprise estate on the simulator', () => {
  let sim: SimulatorHandle;

  beforeAll(async () => {
    sim = await simulator({ http: true });
    await seedTigeraEstate(sim, [
      { name: 'fortigate.payments', members: { 'worker-1': '192.0.2.11', 'worker-2': '192.0.2.12' } },
      { name: 'fortigate.shop', members: { 'shop-web-7d9f': '10.244.1.5' } },
      { name: 'fortigate.idle', members: {} },
    ]);
  });
  afterAll(() => sim.close());

  it('addresses read back as ipmask host addresses with Tigera’s comment', async () => {
    const { client } = clientFor(sim);
    const addresses = await client.list('firewall/address', { filter: [`comment=@${TIGERA_COMMENT}`] });
    expect(addresses.map((a) => [a.name, a.type, a.subnet]).sort()).toEqual([
      [NO_MEMBERS, 'ipmask', '0.0.0.0 255.255.255.255'],
      ['shop-web-7d9f', 'ipmask', '10.244.1.5 255.255.255.255'],
      ['worker-1', 'ipmask', '192.0.2.11 255.255.255.255'],
      ['worker-2', 'ipmask', '192.0.2.12 255.255.255.255'],
    ]);
  });

  it('groups hold Tigera’s members, and an empty one holds no-members', async () => {
    const { client } = clientFor(sim);
    const groups = await client.list('firewall/addrgrp');
    expect(groups.map((g) => [g.name, g.comment, (g.member ?? []).map((m) => m.name).sort()]).sort()).toEqual(
      [
        ['fortigate.idle', TIGERA_COMMENT, [NO_MEMBERS]],
        ['fortigate.payments', TIGERA_COMMENT, ['worker-1', 'worker-2']],
        ['fortigate.shop', TIGERA_COMMENT, ['shop-web-7d9f']],
      ],
    );
  });
});
