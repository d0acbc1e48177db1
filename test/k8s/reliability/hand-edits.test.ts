import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:https';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';
import { Audit } from './audit.js';
import { recordFigures, type Expected } from './support.js';

// The firewall admin deleting, by hand, a group fortisync feeds while a policy uses it (the one
// runtime problem test/k8s/operator does not cover). FortiOS refuses to delete anything a policy
// references; the admin has to take it out of the policy first. Either way the operator must do no
// harm: nothing else changes, the group comes back with exactly the members it should hold, and the
// admin can put it back into the policy.
describe('reliability: a group deleted by hand while a policy uses it', () => {
  const h = new Harness({ name: 'rel-hand', clusterName: 'rh', device: { driftCheckIntervalSeconds: 10 } });
  const node = (n: string): string => `k8s-rh-node-${h.nodeName(n)}`;
  let tried = 0;
  const audit = new Audit(h, 'rh');
  const both = (): Expected => ({
    addresses: new Map([
      [node('n1'), '192.0.2.91'],
      [node('n2'), '192.0.2.92'],
    ]),
    groups: new Map([['K8S-HAND', [node('n1'), node('n2')]]]),
  });

  /** The firewall admin's REST call (CMDB), as raw as it gets. */
  function admin(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(`/api/v2/cmdb/${path}`, h.sim.url);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: h.sim.caCertPem,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(text || '{}') as Record<string, unknown>,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.91');
    await h.createNode('n2', '192.0.2.92');
    await h.runPod('a-1', { app: 'h' }, 'n1');
    await h.runPod('a-2', { app: 'h' }, 'n2');
    await h.applyMapping('hand', { addressGroup: 'K8S-HAND', podSelector: { matchLabels: { app: 'h' } } });
    await h.expectMembers('K8S-HAND', [node('n1'), node('n2')]);
    h.sim.state.seed('firewall/address', { name: 'admin-db', subnet: '10.9.9.9/32', comment: 'by hand' });
    h.sim.state.seed('firewall/policy', {
      policyid: 9,
      name: 'hand-to-db',
      srcaddr: [{ name: 'K8S-HAND' }],
      dstaddr: [{ name: 'admin-db' }],
      action: 'accept',
    });
    audit.begin();
  });
  afterAll(async () => {
    recordFigures({
      file: 'hand-edits.test.ts',
      faults: {},
      scenarios: 3,
      ...audit.end(),
      badInputs: tried,
      notes: [
        'bad inputs: group delete refused (in use), member address delete refused, group deleted after leaving the policy',
        ...audit.details(),
      ],
    });
    await h.stop();
  });

  it('deleting the group while the policy uses it is refused by FortiOS; the operator writes nothing', async () => {
    audit.hold(both());
    const seq = h.lastSeq();
    const at = new Date();
    const r = await admin('DELETE', 'firewall/addrgrp/K8S-HAND');
    tried++;
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.json.error).toBe(-23);
    // A drift check that started after the refused DELETE re-read the device: only then is "no
    // write" a finding (driftCheckIntervalSeconds is 10 here).
    await eventually(
      async () => {
        const checked = (await h.device())?.status?.lastDriftCheckTime;
        return checked && Date.parse(checked) > at.getTime() + 1000 ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'a drift check after the refused DELETE' },
    );
    expect(h.members('K8S-HAND')).toEqual([node('n1'), node('n2')].sort());
    expect(h.writesSince(seq)).toBe(1); // the admin's refused DELETE, nothing from the operator
    await h.expectCondition('hand', 'Ready', 'True', 'Synced');
  });

  it('deleting one of our member addresses by hand is refused too; nothing changes', async () => {
    const r = await admin('DELETE', `firewall/address/${encodeURIComponent(node('n1'))}`);
    tried++;
    expect(r.json.error).toBe(-23);
    expect(h.address(node('n1'))).toBeDefined();
    expect(h.members('K8S-HAND')).toEqual([node('n1'), node('n2')].sort());
    expect(await audit.settle(both)).toEqual([]);
    audit.hold(undefined);
  });

  it('taken out of the policy and deleted: recreated with exactly the right members (fail closed), and the admin can use it again', async () => {
    tried++;
    // The admin's own edit of the policy.
    const out = await audit.adminEdit(() =>
      admin('PUT', 'firewall/policy/9', { srcaddr: [{ name: 'all' }] }),
    );
    expect(out.status).toBe(200);
    expect((await admin('DELETE', 'firewall/addrgrp/K8S-HAND')).status).toBe(200);
    // A pod goes while the group is gone: the recreated group must not hold its node.
    await h.deletePod('a-2');
    const diff = await audit.settle(
      () => ({
        addresses: new Map([[node('n1'), '192.0.2.91']]),
        groups: new Map([['K8S-HAND', [node('n1')]]]),
      }),
      30_000,
    );
    expect(diff).toEqual([]);
    expect((h.sim.state.get('firewall/addrgrp', 'K8S-HAND') as { comment?: string }).comment).toContain(
      '[fortisync:rh]',
    );
    const back = await audit.adminEdit(() =>
      admin('PUT', 'firewall/policy/9', { srcaddr: [{ name: 'K8S-HAND' }] }),
    );
    expect(back.status).toBe(200);
    expect(h.sim.state.get('firewall/policy', '9')?.srcaddr).toEqual([{ name: 'K8S-HAND' }]);
    expect(h.address('admin-db')).toMatchObject({ comment: 'by hand' });
    await h.expectCondition('hand', 'Ready', 'True', 'Synced');
    // The device says what happened.
    await eventually(
      async () =>
        (await h.events('FortiGateDevice', h.deviceName)).some((e) => e.reason === 'GroupCreated')
          ? true
          : undefined,
      { what: 'a GroupCreated event' },
    );
    expect(audit.figures()).toEqual({ objectsLost: 0, staleMembers: 0, foreignTouched: 0 });
  }, 60_000);
});
