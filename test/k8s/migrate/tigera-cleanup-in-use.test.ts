import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import { FortiOSError } from '../../../src/fortigate/errors.js';
import { clientFor } from '../../fortios/helpers.js';
import { NO_MEMBERS, seedTigeraEstate, TIGERA_COMMENT } from '../../fortios/tigera-estate.js';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';

/**
 * ADR 0004 §4 against the FortiOS simulator: `cleanup: DeleteUnreferenced` deletes only the
 * Calico Enterprise objects nothing references. A Tigera group a firewall policy uses, one another
 * group holds, and the addresses in them are never even tried; the simulator itself refuses such a
 * delete as FortiOS does (HTTP 500, -23). A delete FortiOS refuses although `q_ref` said 0 (a
 * reference made meanwhile, or one `q_ref` does not count) is reported once and not tried again,
 * however many drift checks follow. (The simulator's own refusal is checked last: that DELETE is the
 * test's, not fortisync's.)
 */

const DRIFT_SECONDS = 10;

describe('cleanup: DeleteUnreferenced never deletes (or tries to delete) what is in use', () => {
  const h = new Harness({
    name: 'tgclean',
    clusterName: 'tgc',
    startOperator: false,
    device: {
      driftCheckIntervalSeconds: DRIFT_SECONDS,
      access: { existingGroups: ['fortigate.adopted'] },
      adoption: { source: 'CalicoEnterprise', groups: ['fortigate.adopted'], cleanup: 'DeleteUnreferenced' },
    },
  });
  const byPolicy = 'fortigate.by-policy';
  const nested = 'fortigate.nested';
  const free = 'fortigate.free';
  const refusedAddress = 'tigera-refused';
  let refusedAt = 0;

  const deletes = (mkey: string) =>
    h.sim.requestLog.entries({}).filter((e) => e.method === 'DELETE' && e.mkey === mkey).length;

  async function driftCheckAfter(t: number): Promise<number> {
    return eventually(
      async () => {
        const at = Date.parse(((await h.device()) as FortiGateDevice).status?.lastDriftCheckTime ?? '');
        return at > t ? at : undefined;
      },
      { timeoutMs: (DRIFT_SECONDS + 15) * 1000, what: `a drift check after ${new Date(t).toISOString()}` },
    );
  }

  beforeAll(async () => {
    await h.start();
    await seedTigeraEstate(
      h.sim,
      [
        { name: byPolicy, members: { 'tigera-a': '192.0.2.51' } },
        { name: nested, members: { 'tigera-b': '192.0.2.52' } },
        { name: free, members: { 'tigera-c': '192.0.2.53' } },
      ],
      TOKEN,
    );
    h.sim.state.seed('firewall/address', {
      name: refusedAddress,
      comment: TIGERA_COMMENT,
      subnet: '192.0.2.54 255.255.255.255',
    });
    h.sim.state.seed('firewall/policy', {
      policyid: 7,
      name: 'uses-tigera-group',
      srcaddr: [{ name: byPolicy }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    });
    h.sim.state.seed('firewall/addrgrp', {
      name: 'ADMIN-GROUP',
      comment: 'made by the firewall admin',
      member: [{ name: nested }],
    });
    // FortiOS refuses this delete although q_ref says 0 (as for a reference made meanwhile).
    h.sim.faults.add({
      match: { method: 'DELETE', table: 'firewall/address', mkey: refusedAddress },
      action: {
        type: 'error',
        status: 500,
        fortiosCode: -23,
        cliError: 'The entry is used by other 1 entries',
      },
    });
    await h.startOperator();
  }, 60_000);

  afterAll(async () => {
    await h.stop();
  });

  it('deletes the unreferenced group, then its address and no-members; reports the refused delete once', async () => {
    await eventually(
      () => (!h.members(free) && !h.address('tigera-c') && !h.address(NO_MEMBERS) ? true : undefined),
      { timeoutMs: 30_000, what: 'the unreferenced Tigera group and addresses deleted' },
    );
    const events = await eventually(
      async () => {
        const e = await h.events('FortiGateDevice', h.deviceName);
        return e.some((x) => x.reason === 'CalicoEnterpriseObjectInUse') ? e : undefined;
      },
      { timeoutMs: 30_000, what: 'a CalicoEnterpriseObjectInUse event' },
    );
    refusedAt = Date.now();
    expect(events.find((e) => e.reason === 'CalicoEnterpriseObjectInUse')?.note).toContain(refusedAddress);
  });

  it('over two more drift checks: what is in use was never tried, the refused delete not tried again', async () => {
    const first = await driftCheckAfter(refusedAt);
    await driftCheckAfter(first);
    for (const inUse of [byPolicy, nested, 'tigera-a', 'tigera-b']) expect(deletes(inUse)).toBe(0);
    expect(deletes(refusedAddress)).toBe(1);
    expect(h.members(byPolicy)).toEqual(['tigera-a']);
    expect(h.members(nested)).toEqual(['tigera-b']);
    expect(h.members('ADMIN-GROUP')).toEqual([nested]);
    expect(h.address(refusedAddress)).toBeDefined();
    const events = await h.events('FortiGateDevice', h.deviceName);
    const inUse = events.filter((e) => e.reason === 'CalicoEnterpriseObjectInUse');
    // One event object (a repeat would raise its series count).
    expect(inUse).toHaveLength(1);
    expect(inUse[0]?.series?.count ?? 1).toBe(1);
  });
  it('the simulator itself refuses to delete a referenced Tigera object, as FortiOS does (500, -23)', async () => {
    const { client } = clientFor(h.sim, { token: TOKEN });
    try {
      const refused = await client.delete('firewall/addrgrp', byPolicy).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(FortiOSError);
      expect(refused).toMatchObject({ kind: 'in-use', httpStatus: 500, fortiosCode: -23 });
      expect(h.members(byPolicy)).toEqual(['tigera-a']);
    } finally {
      client.close();
    }
  });
});
