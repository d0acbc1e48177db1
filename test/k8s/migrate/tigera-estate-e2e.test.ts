import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_MEMBERS, seedTigeraEstate } from '../../fortios/tigera-estate.js';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';
import { applyGenerated, generate, nodeModeCluster, writeExport } from './migration-kit.js';

/**
 * The runbook of docs/migrate-from-calico-enterprise.md as it works in this release, end to end:
 * a FortiGate (the simulator) holds what Tigera's controller left (its request bodies, node-named
 * addresses, `no-members`), the migration is generated from the exported configuration, applied in
 * dry run (nothing written), dry run is turned off (fortisync adds its members beside Tigera's),
 * and Tigera's members are then removed by hand. A sampler reads the groups every 2 ms throughout:
 * no sample may show a group whose addresses differ from the nodes the policy selects, or an
 * empty group. This is the runbook's fallback (no `spec.adoption`); tigera-adoption-e2e.test.ts runs
 * the adoption of ADR 0004.
 */

const CLUSTER = 'mig';
const NODE_IPS = { n1: '192.0.2.11', n2: '192.0.2.12', n3: '192.0.2.13' } as const;

interface Sample {
  /** Members' addresses of each group (undefined: no such group). */
  web: string[] | undefined;
  idle: string[] | undefined;
  /** Who the web group's members belong to: fortisync's names start k8s-<cluster>-. */
  webOwners: string;
}

describe('a Tigera estate migrated by the runbook', () => {
  let h: Harness;
  let dir: string;
  const samples: Sample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  const web = 'fortigate.web';
  const idle = 'fortigate.idle';

  /** The IPs a group's members stand for (the placeholders are 0.0.0.0/32), or undefined. */
  const ipsOf = (group: string): string[] | undefined =>
    h.members(group)?.map((m) => String(h.address(m)?.subnet ?? '?').split(' ')[0] as string);

  // Every 2 ms, in the simulator's own process: a write's result is seen before the next one lands.
  const sample = () => {
    const owners = new Set(
      (h.members(web) ?? []).map((m) => (m.startsWith(`k8s-${CLUSTER}-`) ? 'fortisync' : 'tigera')),
    );
    samples.push({ web: ipsOf(web), idle: ipsOf(idle), webOwners: [...owners].sort().join('+') });
  };

  beforeAll(async () => {
    h = await new Harness({ name: 'tigmig', clusterName: CLUSTER, startOperator: false }).start();
    const app = await nodeModeCluster(h, NODE_IPS);

    dir = mkdtempSync(join(tmpdir(), 'fortisync-tigera-e2e-'));
    writeExport(
      h,
      dir,
      [
        { name: web, selector: `app == '${app}'` },
        { name: idle, selector: `app == '${app}-none'` },
      ],
      'node',
    );
    const out = await generate(h, dir, CLUSTER);

    await seedTigeraEstate(
      h.sim,
      [
        { name: web, members: { [h.nodeName('n1')]: NODE_IPS.n1, [h.nodeName('n2')]: NODE_IPS.n2 } },
        { name: idle, members: {} },
      ],
      TOKEN,
    );
    sampler = setInterval(sample, 2);
    // The runbook's fallback: without spec.adoption, Tigera's members leave by hand.
    await applyGenerated(h, out, (device) => delete device.spec.adoption);
    await h.startOperator();
  });

  afterAll(async () => {
    if (sampler) clearInterval(sampler);
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('in dry run, fortisync shows the members it would add and writes nothing', async () => {
    const seq = h.lastSeq();
    const mapping = await eventually(
      async () => {
        const m = await h.mapping(web);
        return (m?.status?.plan?.addMembers?.length ?? 0) === 2 ? m : undefined;
      },
      { what: `${web} status.plan with two members to add` },
    );
    expect(mapping.status?.plan?.addMembers?.every((m) => m.startsWith(`k8s-${CLUSTER}-node-`))).toBe(true);
    await h.operatorCaughtUp('mappings', web);
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members(web)).toEqual([h.nodeName('n1'), h.nodeName('n2')].sort());
  });

  it('with dry run off, fortisync adds its members beside Tigera’s and removes none of them', async () => {
    await h.patchDevice({ dryRun: false });
    await h.expectCondition(web, 'Ready', 'True');
    await h.expectCondition(idle, 'Ready', 'True');
    const members = h.members(web) ?? [];
    expect(members).toHaveLength(4);
    expect(members.filter((m) => m.startsWith(`k8s-${CLUSTER}-node-`))).toHaveLength(2);
    expect(h.members(idle)).toEqual([NO_MEMBERS]);
  });

  it('Tigera’s members then leave by hand (runbook §7), and fortisync’s stay', async () => {
    const admin = h.admin();
    for (const member of [h.nodeName('n1'), h.nodeName('n2')])
      await admin.removeMember('firewall/addrgrp', web, member);
    // A group fortisync leaves empty cannot lose its last member: one write swaps in FortiOS's own placeholder.
    await admin.setMembers('firewall/addrgrp', idle, ['none']);
    const seq = h.lastSeq();
    await h.operatorCaughtUp('mappings', web);
    expect(h.members(web)?.every((m) => m.startsWith(`k8s-${CLUSTER}-node-`))).toBe(true);
    expect(h.members(idle)).toEqual(['none']);
    expect(h.writesSince(seq)).toBe(0);
  });

  it('no sample ever showed a wrong or empty member set', () => {
    if (sampler) clearInterval(sampler);
    sample();
    const want = [NODE_IPS.n1, NODE_IPS.n2];
    // The sources a group admits: its members' addresses as a set, placeholders (0.0.0.0/32) aside.
    const real = (ips: string[] | undefined) =>
      [...new Set(ips ?? [])].filter((ip) => ip !== '0.0.0.0').sort();
    const wrong = samples.filter(
      (s) =>
        JSON.stringify(real(s.web)) !== JSON.stringify(want) ||
        (s.web ?? []).length === 0 ||
        real(s.idle).length > 0 ||
        (s.idle ?? []).length === 0,
    );
    expect(wrong).toEqual([]);
    // The samples span every phase: Tigera's set, both sets, fortisync's set.
    expect(new Set(samples.map((s) => s.webOwners))).toEqual(
      new Set(['tigera', 'fortisync+tigera', 'fortisync']),
    );
    expect(samples.at(0)?.webOwners).toBe('tigera');
    expect(samples.at(-1)?.webOwners).toBe('fortisync');
  });
});
