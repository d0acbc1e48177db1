import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import { RETRY_ADOPTION_ANNOTATION } from '../../../src/domain/adoption.js';
import { isOwnedBy } from '../../../src/domain/naming.js';
import {
  NO_MEMBERS,
  runFakeTigera,
  seedTigeraEstate,
  TIGERA_COMMENT,
  TIGERA_USER_AGENT,
  type TigeraGroup,
} from '../../fortios/tigera-estate.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, TOKEN, VERSION } from '../../support/operator-harness.js';
import {
  applyGenerated,
  generate,
  nodeModeCluster,
  withoutHarnessDevice,
  writeExport,
} from './migration-kit.js';
import { fortiosGroups, GroupSampler } from './group-sampler.js';

/**
 * The runbook of docs/migrate-from-calico-enterprise.md THROUGH ADOPTION (ADR 0004), end to end: the
 * simulator holds what Tigera's controller left (its request bodies, `no-members`, a firewall policy
 * on every group), the generated device adopts the groups, and a sampler reads each group every 2 ms
 * in the simulator's own process. No sample may show a member set other than the one the policy
 * selects, or an empty group. Node mode with Tigera's controller stopped; pod mode with a fake Tigera
 * controller still rewriting its group every 2 s, which fortisync must detect and stop for, until
 * the fake stops and the user's retry annotation completes adoption.
 */

const SETTLE_SECONDS = 5;

async function device(h: Harness): Promise<FortiGateDevice> {
  return (await h.device()) as FortiGateDevice;
}

async function adoptionStates(h: Harness): Promise<Record<string, string>> {
  const d = await device(h);
  return Object.fromEntries((d.status?.adoption?.groups ?? []).map((g) => [g.name, g.state]));
}

function seedPolicies(h: Harness, groups: string[]): void {
  groups.forEach((g, i) =>
    h.sim.state.seed('firewall/policy', {
      policyid: 100 + i,
      name: `allow-${i}`,
      srcaddr: [{ name: g }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    }),
  );
}

function policiesStillReference(h: Harness, groups: string[]): boolean {
  return groups.every(
    (g, i) =>
      JSON.stringify(h.sim.state.get('firewall/policy', String(100 + i))?.srcaddr) ===
      JSON.stringify([{ name: g }]),
  );
}

/** fortisync's writes (not the fake Tigera's) to a group since a sequence number. */
function fortisyncGroupWrites(h: Harness, group: string, seq: number): number {
  return h.sim.requestLog
    .entries({})
    .filter(
      (e) =>
        e.seq > seq &&
        e.method !== 'GET' &&
        e.userAgent !== TIGERA_USER_AGENT &&
        e.path.includes(`/firewall/addrgrp/${encodeURIComponent(group)}`),
    ).length;
}

async function startMigration(
  h: Harness,
  cluster: string,
  policies: { name: string; selector: string }[],
  mode: 'node' | 'pod',
): Promise<{ dir: string; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-tigera-adopt-'));
  writeExport(h, dir, policies, mode);
  return { dir, out: await generate(h, dir, cluster) };
}

describe('a Tigera estate (node mode) adopted with Tigera’s controller stopped', () => {
  const CLUSTER = 'adn';
  const NODE_IPS = { n1: '192.0.2.21', n2: '192.0.2.22', n3: '192.0.2.23' } as const;
  const web = 'fortigate.web';
  const idle = 'fortigate.idle';
  const other = 'fortigate.other';
  let h: Harness;
  let dir = '';
  let sampler: GroupSampler;
  let generatedDevice: Record<string, unknown> | undefined;

  beforeAll(async () => {
    h = await new Harness({ name: 'adoptn', clusterName: CLUSTER, startOperator: false }).start();
    const app = await nodeModeCluster(h, NODE_IPS);
    const migration = await startMigration(
      h,
      CLUSTER,
      [
        { name: web, selector: `app == '${app}'` },
        { name: idle, selector: `app == '${app}-none'` },
      ],
      'node',
    );
    dir = migration.dir;
    await seedTigeraEstate(
      h.sim,
      [
        { name: web, members: { [h.nodeName('n1')]: NODE_IPS.n1, [h.nodeName('n2')]: NODE_IPS.n2 } },
        { name: idle, members: {} },
        // A group of a policy the migration does not map: listed in status, left alone.
        { name: other, members: { [h.nodeName('n3')]: NODE_IPS.n3 } },
      ],
      TOKEN,
    );
    seedPolicies(h, [web, idle, other]);
    sampler = new GroupSampler(fortiosGroups(h.sim.state), [web, idle, other], CLUSTER);
    sampler.start();
    generatedDevice = (await applyGenerated(h, migration.out)).find((o) => o.kind === 'FortiGateDevice');
    await h.startOperator();
  });

  afterAll(async () => {
    sampler?.stop();
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the generated device adopts the mapped groups, and names them in access.existingGroups', () => {
    const spec = generatedDevice?.spec as Record<string, Record<string, unknown>>;
    expect(spec.adoption).toEqual({ source: 'CalicoEnterprise', groups: [idle, web] });
    expect(spec.access?.existingGroups).toEqual([idle, web]);
  });

  it('with dry run off, both groups are adopted: fortisync’s members only, its comment, the same names', async () => {
    await h.patchDevice({
      dryRun: false,
      adoption: { source: 'CalicoEnterprise', groups: [idle, web], settleSeconds: SETTLE_SECONDS },
    });
    await eventually(
      async () => {
        const s = await adoptionStates(h);
        return s[web] === 'Adopted' && s[idle] === 'Adopted' ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'both groups Adopted in the device status' },
    );
    expect(h.members(web)).toEqual([
      `k8s-${CLUSTER}-node-${h.nodeName('n1')}`,
      `k8s-${CLUSTER}-node-${h.nodeName('n2')}`,
    ]);
    expect(h.members(idle)).toEqual(['none']);
    for (const g of [web, idle])
      expect(isOwnedBy(String(h.sim.state.get('firewall/addrgrp', g)?.comment), CLUSTER, g)).toBe(true);
    expect(policiesStillReference(h, [web, idle, other])).toBe(true);
    await h.expectCondition(web, 'Ready', 'True', 'Synced', 30_000);
    await h.expectCondition(idle, 'Ready', 'True', 'Synced', 30_000);
  });

  it('announces each step as Events on the device', async () => {
    const reasons = await eventually(
      async () => {
        const r = (await h.events('FortiGateDevice', h.deviceName)).map((e) => e.reason);
        return r.filter((x) => x === 'GroupAdopted').length >= 2 ? r : undefined;
      },
      { what: 'two GroupAdopted events' },
    );
    expect(reasons).toContain('AdoptionStarted');
  });

  it('lists the Tigera group no mapping adopts, and leaves it exactly as it was', async () => {
    const d = await device(h);
    expect(d.status?.adoption?.unadopted?.groups).toEqual([other]);
    // Tigera's addresses of the adopted groups (now in no group), of the other group, and no-members.
    expect(d.status?.adoption?.unadopted?.addresses).toBe(4);
    expect(h.members(other)).toEqual([h.nodeName('n3')]);
    expect(h.sim.state.get('firewall/addrgrp', other)?.comment).toBe(TIGERA_COMMENT);
    expect(h.address(NO_MEMBERS)).toBeDefined();
  });

  it('cleanup: DeleteUnreferenced deletes Tigera’s objects nothing references, and nothing else', async () => {
    const tigeraAddresses = [h.nodeName('n1'), h.nodeName('n2'), NO_MEMBERS];
    await h.patchDevice({
      driftCheckIntervalSeconds: 10,
      adoption: { source: 'CalicoEnterprise', groups: [idle, web], cleanup: 'DeleteUnreferenced' },
    });
    await eventually(() => (tigeraAddresses.every((a) => !h.address(a)) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the unreferenced Tigera addresses deleted',
    });
    // The unmapped group is referenced by its policy, and holds its address: both stay.
    expect(h.members(other)).toEqual([h.nodeName('n3')]);
    expect(h.address(h.nodeName('n3'))).toBeDefined();
    expect(policiesStillReference(h, [web, idle, other])).toBe(true);
    expect(h.members(web)).toHaveLength(2);
    await eventually(
      async () => ((await device(h)).status?.adoption?.unadopted?.addresses === 1 ? true : undefined),
      { what: 'status.adoption.unadopted.addresses 1' },
    );
  });

  it('no sample ever showed a wrong or empty member set, and Tigera’s members left only after the settle time', () => {
    sampler.stop();
    expect(sampler.wrong(web, [NODE_IPS.n1, NODE_IPS.n2])).toEqual([]);
    expect(sampler.wrong(idle, [])).toEqual([]);
    expect(sampler.wrong(other, [NODE_IPS.n3])).toEqual([]);
    const samples = sampler.samples.get(web) ?? [];
    // Every phase was sampled: Tigera's set, both, fortisync's.
    expect(new Set(samples.map((s) => s.owners))).toEqual(
      new Set(['tigera', 'fortisync+tigera', 'fortisync']),
    );
    const bothFrom = samples.find((s) => s.owners === 'fortisync+tigera')?.t ?? Infinity;
    const oursFrom = samples.find((s) => s.owners === 'fortisync')?.t ?? 0;
    expect(oursFrom - bothFrom).toBeGreaterThanOrEqual(SETTLE_SECONDS * 1000);
    // The comment changed in the same write that removed Tigera's members, never before.
    expect(samples.filter((s) => s.owners !== 'fortisync' && s.comment !== TIGERA_COMMENT)).toEqual([]);
  });
});

describe('a Tigera estate (pod mode) while Tigera’s controller still runs', () => {
  const CLUSTER = 'adp';
  const POD_IPS = { 'web-1': '10.244.7.11', 'web-2': '10.244.7.12' } as const;
  const web = 'fortigate.podweb';
  let h: Harness;
  let dir = '';
  let sampler: GroupSampler;
  let tigera: ReturnType<typeof runFakeTigera> | undefined;
  let estate: TigeraGroup;

  beforeAll(async () => {
    h = await new Harness({ name: 'adoptp', clusterName: CLUSTER, startOperator: false }).start();
    await withoutHarnessDevice(h);
    await h.createNode('n1', '192.0.2.31');
    const app = `podweb-${h.id}`;
    for (const [pod, ip] of Object.entries(POD_IPS)) await h.runPod(pod, { app }, 'n1', [ip]);
    const migration = await startMigration(h, CLUSTER, [{ name: web, selector: `app == '${app}'` }], 'pod');
    dir = migration.dir;
    // Tigera names a pod's address <namespace>-<pod>.
    estate = {
      name: web,
      members: Object.fromEntries(Object.entries(POD_IPS).map(([pod, ip]) => [`${h.ns}-${pod}`, ip])),
    };
    await seedTigeraEstate(h.sim, [estate], TOKEN);
    seedPolicies(h, [web]);
    sampler = new GroupSampler(fortiosGroups(h.sim.state), [web], CLUSTER);
    sampler.start();
    tigera = runFakeTigera(h.sim, [estate], 2000, TOKEN);
    await applyGenerated(h, migration.out);
    await h.startOperator();
  });

  afterAll(async () => {
    sampler?.stop();
    await tigera?.stop().catch(() => undefined);
    await h?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let conflictSeq = 0;

  it('fortisync detects the fight, reports it (Stalled AdoptionConflict, Event) and stops', async () => {
    await h.patchDevice({
      dryRun: false,
      driftCheckIntervalSeconds: 10,
      adoption: { source: 'CalicoEnterprise', groups: [web], settleSeconds: SETTLE_SECONDS },
    });
    const m = await h.expectCondition(web, 'Ready', 'False', 'AdoptionConflict', 60_000);
    conflictSeq = h.lastSeq();
    expect(m.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      RETRY_ADOPTION_ANNOTATION,
    );
    const d = await device(h);
    expect(d.status?.adoption?.groups?.find((g) => g.name === web)?.state).toBe('Conflict');
    const events = await eventually(
      async () => {
        const e = await h.events('FortiGateDevice', h.deviceName);
        return e.some((x) => x.reason === 'AdoptionConflict') ? e : undefined;
      },
      { what: 'an AdoptionConflict event' },
    );
    expect(events.filter((e) => e.reason === 'AdoptionRewritten')).toHaveLength(1);
  });

  it('after the stop, fortisync writes nothing more to the group (while re-reading the device)', async () => {
    const stoppedAt = Date.now();
    // The positive signal: a drift check (full re-read and plan) after the stop.
    await eventually(
      async () => {
        const t = Date.parse((await device(h)).status?.lastDriftCheckTime ?? '');
        return t > stoppedAt ? t : undefined;
      },
      { timeoutMs: 30_000, what: 'a drift check after the stop' },
    );
    expect(fortisyncGroupWrites(h, web, conflictSeq)).toBe(0);
    expect(tigera?.rewrites()).toBeGreaterThan(2);
    // Before the stop: the first add and one re-add after the first rewrite, no flapping.
    expect(fortisyncGroupWrites(h, web, 0)).toBeLessThanOrEqual(3);
  });

  it('an operator restart does not resume the fight (the stop is read back from the device status)', async () => {
    await h.stopOperator();
    const restartedAt = Date.now();
    const seq = h.lastSeq();
    await h.startOperator();
    await eventually(
      async () => {
        const t = Date.parse((await device(h)).status?.lastDriftCheckTime ?? '');
        return t > restartedAt ? t : undefined;
      },
      { timeoutMs: 30_000, what: 'a full read after the restart' },
    );
    expect((await adoptionStates(h))[web]).toBe('Conflict');
    expect(fortisyncGroupWrites(h, web, seq)).toBe(0);
    await h.expectCondition(web, 'Ready', 'False', 'AdoptionConflict', 30_000);
  });

  it('once the fake Tigera stops, the user’s retry annotation completes adoption', async () => {
    await tigera?.stop();
    tigera = undefined;
    await h.custom.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: 'fortigatedevices',
        name: h.deviceName,
        body: { metadata: { annotations: { [RETRY_ADOPTION_ANNOTATION]: 'tigera-scaled-to-zero' } } },
      },
      mergePatch(),
    );
    await eventually(async () => ((await adoptionStates(h))[web] === 'Adopted' ? true : undefined), {
      timeoutMs: 60_000,
      what: `${web} Adopted after the retry`,
    });
    expect(h.members(web)).toEqual(Object.keys(POD_IPS).map((p) => `k8s-${CLUSTER}-pod-${h.ns}.${p}`));
    expect(isOwnedBy(String(h.sim.state.get('firewall/addrgrp', web)?.comment), CLUSTER, web)).toBe(true);
    expect(policiesStillReference(h, [web])).toBe(true);
    await h.expectCondition(web, 'Ready', 'True', 'Synced', 30_000);
  });

  it('no sample ever showed a wrong or empty member set, through the fight and the handover', () => {
    sampler.stop();
    expect(sampler.wrong(web, Object.values(POD_IPS))).toEqual([]);
    const owners = new Set((sampler.samples.get(web) ?? []).map((s) => s.owners));
    expect(owners).toEqual(new Set(['tigera', 'fortisync+tigera', 'fortisync']));
  });
});
