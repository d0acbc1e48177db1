import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOwnedBy } from '../../../src/domain/naming.js';
import { FortiManagerClient } from '../../../src/fortimanager/index.js';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import type { RequestLogEntry } from '../../../src/simulator/request-log.js';
import { RETRY_ADOPTION_ANNOTATION } from '../../../src/domain/adoption.js';
import { login, rpc } from '../../fortimanager/helpers.js';
import { NO_MEMBERS, TIGERA_COMMENT, TIGERA_USER_AGENT } from '../../fortios/tigera-estate.js';
import { deleteFortiManagerTarget, getFortiManagerTarget } from '../../support/fortimanager-target.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, VERSION } from '../../support/operator-harness.js';
import { adomGroups, fortiosGroups, GroupSampler } from './group-sampler.js';
import { applyGenerated, generate, nodeModeCluster, writeExport } from './migration-kit.js';

/**
 * ADR 0004 THROUGH A FORTIMANAGERTARGET, end to end: the FortiManager simulator holds the ADOM
 * Tigera's controller left (its node addresses, `no-members`, groups with its comment, a policy
 * package whose policies reference every group) and has installed it to a managed FortiGate. The
 * generated target adopts the mapped groups with install policy Packages in workspace mode normal.
 * Two samplers read every 2 ms, in the simulators' own process, the ADOM's committed group and the
 * managed FortiGate's group: no sample may show a wrong or empty member set, and the FortiGate must
 * hold both sets (the add installed) before it holds fortisync's alone (the drop installed).
 */

const SETTLE_SECONDS = 5;
/** Longer than the settle time: the drain must wait for the install carrying the add, not for the clock. */
const INSTALL_MS = 8000;
const PASSWORD = 'fmg-Secret-1';
const ADMIN_KEY = 'fmg-admin-key-0123456789';
const DEVICE = 'fgt1';
const PACKAGE = 'k8s-egress';
const PLURAL = 'fortimanagertargets';

async function patchTargetOf(h: Harness, name: string, body: Record<string, unknown>): Promise<void> {
  await h.custom.patchClusterCustomObject(
    { group: GROUP, version: VERSION, plural: PLURAL, name, body },
    mergePatch(),
  );
}

/** Tigera's FortiManager entry in its export: the simulator as the target the report generates. */
function tigeraFortiManager(target: string, fmg: FortiManagerSimulatorHandle): Record<string, unknown[]> {
  return {
    'tigera.firewall.fortimgr': [
      {
        name: target,
        ip: new URL(fmg.url).host,
        username: 'fortisync',
        adom: 'root',
        password: { secretKeyRef: { name: 'fortimanager', key: 'password' } },
      },
    ],
  };
}

/** Runbook: the login Secret the report's command makes from Tigera's. */
async function createLoginSecret(h: Harness, target: string): Promise<void> {
  await h.core.createNamespacedSecret({
    namespace: h.ns,
    body: {
      metadata: { name: `${target}-fortimanager-login` },
      stringData: { username: 'fortisync', password: PASSWORD },
    },
  });
}

describe('a Tigera estate on FortiManager (node mode) adopted through a FortiManagerTarget', () => {
  const CLUSTER = 'adf';
  const NODE_IPS = { n1: '192.0.2.41', n2: '192.0.2.42', n3: '192.0.2.43' } as const;
  const web = 'fortigate.fmgweb';
  const idle = 'fortigate.fmgidle';
  const other = 'fortigate.fmgother';
  const groups = [web, idle, other];
  let h: Harness;
  let fmg: FortiManagerSimulatorHandle;
  let dir = '';
  let adomSampler: GroupSampler;
  let fgtSampler: GroupSampler;
  let generated: Record<string, unknown>[] = [];
  let target = '';
  const adom = () => fmg.adom('root');
  const fgt = () => fmg.devices.get(DEVICE)?.state;
  const ours = (n: string) => `k8s-${CLUSTER}-node-${h.nodeName(n)}`;

  const getTarget = () => getFortiManagerTarget(h, target);

  const patchTarget = (body: Record<string, unknown>) => patchTargetOf(h, target, body);

  /** What Tigera's controller made in the ADOM (no workspace lock, no install: §8), then installed by an admin. */
  async function seedTigeraAdom(): Promise<void> {
    const address = (name: string, ip: string) =>
      adom().seed('firewall/address', {
        name,
        comment: TIGERA_COMMENT,
        type: 'ipmask',
        subnet: [ip, '255.255.255.255'],
      });
    address(NO_MEMBERS, '0.0.0.0');
    for (const n of ['n1', 'n2', 'n3'] as const) address(h.nodeName(n), NODE_IPS[n]);
    const group = (name: string, member: string[]) =>
      adom().seed('firewall/addrgrp', { name, comment: TIGERA_COMMENT, member });
    group(web, [h.nodeName('n1'), h.nodeName('n2')]);
    group(idle, [NO_MEMBERS]);
    // A group of a policy the migration does not map: listed in status, left alone.
    group(other, [h.nodeName('n3')]);
    adom().seedPackage({
      name: PACKAGE,
      scope: [{ name: DEVICE, vdom: 'root' }],
      policies: groups.map((g, i) => ({
        policyid: 100 + i,
        name: `allow-${i}`,
        srcaddr: [g],
        dstaddr: ['all'],
        action: 'accept',
      })),
    });
    // The FMG admins installed Tigera's groups to the FortiGate before the migration.
    const admin = new FortiManagerClient({
      baseUrl: fmg.url,
      adom: 'root',
      auth: { apiKey: ADMIN_KEY },
      ca: fmg.caCertPem ?? '',
    });
    try {
      const task = await admin.waitForTask(await admin.withWorkspace(() => admin.installPackage(PACKAGE)), {
        timeoutMs: 10_000,
      });
      if (!task.succeeded) throw new Error(`seed install failed: ${JSON.stringify(task.lines)}`);
    } finally {
      await admin.close();
    }
  }

  function policiesStillReference(): boolean {
    const adomPolicies = adom().policies(PACKAGE);
    return groups.every(
      (g, i) =>
        JSON.stringify(adomPolicies.find((p) => p.policyid === 100 + i)?.srcaddr) === JSON.stringify([g]) &&
        JSON.stringify(fgt()?.get('firewall/policy', String(100 + i))?.srcaddr) ===
          JSON.stringify([{ name: g }]),
    );
  }

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [
        { name: 'fortisync', password: PASSWORD },
        { name: 'fmg-admin', password: 'admin-pw', apiKey: ADMIN_KEY },
      ],
      adoms: ['root'],
      workspaceMode: 'normal',
      devices: [{ name: DEVICE }],
      installDurationMs: 300,
    });
    h = await new Harness({ name: 'adoptf', clusterName: CLUSTER, startOperator: false }).start();
    const app = await nodeModeCluster(h, NODE_IPS);
    dir = mkdtempSync(join(tmpdir(), 'fortisync-tigera-fmg-'));
    target = `fmg-${h.id}`;
    writeExport(
      h,
      dir,
      [
        { name: web, selector: `app == '${app}'` },
        { name: idle, selector: `app == '${app}-none'` },
      ],
      'node',
      tigeraFortiManager(target, fmg),
    );
    const out = await generate(h, dir, CLUSTER);
    await createLoginSecret(h, target);
    await seedTigeraAdom();
    fmg.settings.installDurationMs = INSTALL_MS;
    adomSampler = new GroupSampler(adomGroups(adom()), groups, CLUSTER);
    fgtSampler = new GroupSampler(fortiosGroups(fgt()!), groups, CLUSTER);
    adomSampler.start();
    fgtSampler.start();
    generated = await applyGenerated(h, out, () => undefined, fmg.caCertPem ?? '');
    await h.startOperator();
  }, 90_000);

  afterAll(async () => {
    adomSampler?.stop();
    fgtSampler?.stop();
    if (target) await deleteFortiManagerTarget(h, target);
    await h?.stop();
    await fmg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the generated target adopts the mapped groups and the mappings feed it', () => {
    const t = generated.find((o) => o.kind === 'FortiManagerTarget') as { spec: Record<string, unknown> };
    expect(t.spec.adoption).toEqual({ source: 'CalicoEnterprise', groups: [idle, web] });
    expect((t.spec.access as Record<string, unknown>).existingGroups).toEqual([idle, web]);
    const mappings = generated.filter((o) => o.kind === 'FortiGateEndpointMapping') as {
      spec: Record<string, unknown>;
    }[];
    expect(mappings.map((m) => m.spec.fortiManagerTargets)).toEqual([[target], [target]]);
    // The FortiGate holds Tigera's sets before anything happens.
    expect(fgtSampler.samples.get(web)?.[0]?.owners).toBe('tigera');
  });

  it('with dry run off and install policy Packages, both groups are adopted in the ADOM and on the FortiGate, the drain held until the add was installed', async () => {
    await patchTarget({
      spec: {
        dryRun: false,
        install: { policy: 'Packages', packages: [{ name: PACKAGE }], coalesceSeconds: 5 },
        adoption: { source: 'CalicoEnterprise', groups: [idle, web], settleSeconds: SETTLE_SECONDS },
      },
    });
    let held = '';
    await eventually(
      async () => {
        const t = await getTarget();
        const g = t.status?.adoption?.groups ?? [];
        held ||= g.find((x) => x.state === 'Settling' && x.message?.includes(PACKAGE))?.message ?? '';
        const s = Object.fromEntries(g.map((x) => [x.name, x.state]));
        return s[web] === 'Adopted' && s[idle] === 'Adopted' ? s : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'both groups Adopted in the target status' },
    );
    // The status said why the settled group waited: the install of the add.
    expect(held).toContain(`package(s) ${PACKAGE} have installed them`);
    expect(adom().get('firewall/addrgrp', web)?.member).toEqual([ours('n1'), ours('n2')]);
    expect(adom().get('firewall/addrgrp', idle)?.member).toEqual(['none']);
    for (const g of [web, idle])
      expect(isOwnedBy(String(adom().get('firewall/addrgrp', g)?.comment), CLUSTER, g)).toBe(true);
    // The drop reaches the FortiGate with the install that follows the drain.
    await eventually(
      () =>
        JSON.stringify(fortiosGroups(fgt()!).members(web)) === JSON.stringify([ours('n1'), ours('n2')])
          ? true
          : undefined,
      { timeoutMs: 60_000, what: `${web} on ${DEVICE} to hold fortisync's members only` },
    );
    expect(policiesStillReference()).toBe(true);
    await h.expectCondition(web, 'Ready', 'True', 'Synced', 30_000);
  });

  it('lists the Tigera group no mapping adopts, and leaves it exactly as it was', async () => {
    const t = await getTarget();
    expect(t.status?.adoption?.unadopted?.groups).toEqual([other]);
    expect(adom().get('firewall/addrgrp', other)?.member).toEqual([h.nodeName('n3')]);
    expect(adom().get('firewall/addrgrp', other)?.comment).toBe(TIGERA_COMMENT);
  });

  it('cleanup: DeleteUnreferenced deletes what FMG where-used finds unused, and nothing else', async () => {
    await patchTarget({
      spec: {
        driftCheckIntervalSeconds: 10,
        adoption: { source: 'CalicoEnterprise', groups: [idle, web], cleanup: 'DeleteUnreferenced' },
      },
    });
    const released = [h.nodeName('n1'), h.nodeName('n2'), NO_MEMBERS];
    await eventually(() => (released.every((a) => !adom().get('firewall/address', a)) ? true : undefined), {
      timeoutMs: 40_000,
      what: 'the unreferenced Tigera addresses deleted from the ADOM',
    });
    // The deletes are visible at the commit; the unlock follows it.
    await eventually(() => (adom().lockInfo() === undefined ? true : undefined), { what: 'ADOM unlocked' });
    // Referenced by its policy, and holding its address: both stay.
    expect(adom().get('firewall/addrgrp', other)?.member).toEqual([h.nodeName('n3')]);
    expect(adom().get('firewall/address', h.nodeName('n3'))).toBeDefined();
    expect(policiesStillReference()).toBe(true);
  });

  it('every ADOM lock the operator took held its sync’s writes (the add, the drain, the cleanup) or one install start, then one commit and an unlock', () => {
    const entries = fmg.requestLog.entries({}) as RequestLogEntry[];
    const windows: string[][] = [];
    let open: string[] | undefined;
    for (const e of entries) {
      const call = `${e.method} ${e.path.replace(/^\//, '')}`;
      if (call.endsWith('/workspace/lock')) {
        expect(open).toBeUndefined();
        open = [];
      } else if (call.endsWith('/workspace/unlock')) {
        if (open) windows.push(open);
        open = undefined;
      } else open?.push(call);
    }
    expect(open).toBeUndefined(); // no lock left behind
    const isInstall = (c: string) => c === 'EXEC securityconsole/install/package';
    const installs = windows.filter((w) => w.some(isInstall));
    const syncs = windows.filter((w) => !w.some(isInstall));
    expect(syncs.length).toBeGreaterThanOrEqual(3); // the add, the drain, the cleanup's deletes
    expect(installs.length).toBeGreaterThanOrEqual(2); // the add's, the drain's
    for (const w of windows) expect(w.filter((c) => c.endsWith('/workspace/commit'))).toHaveLength(1);
    for (const w of syncs) expect(w.some((c) => /^(ADD|UPDATE|SET|DELETE) /.test(c))).toBe(true);
    for (const w of installs)
      expect(w.filter((c) => !c.endsWith('/workspace/commit'))).toEqual([
        'EXEC securityconsole/install/package',
      ]);
  });

  it('no sample, in the ADOM or on the FortiGate, showed a wrong or empty set; the FortiGate had both before fortisync’s alone', () => {
    adomSampler.stop();
    fgtSampler.stop();
    for (const sampler of [adomSampler, fgtSampler]) {
      expect(sampler.wrong(web, [NODE_IPS.n1, NODE_IPS.n2])).toEqual([]);
      expect(sampler.wrong(idle, [])).toEqual([]);
      expect(sampler.wrong(other, [NODE_IPS.n3])).toEqual([]);
      expect(new Set(sampler.samples.get(web)?.map((s) => s.owners))).toEqual(
        new Set(['tigera', 'fortisync+tigera', 'fortisync']),
      );
      // The comment changed in the same write that removed Tigera's members, never before.
      expect(
        (sampler.samples.get(web) ?? []).filter(
          (s) => s.owners !== 'fortisync' && s.comment !== TIGERA_COMMENT,
        ),
      ).toEqual([]);
    }
    const both = (s: GroupSampler) => s.firstSeen(web, 'fortisync+tigera') ?? Infinity;
    const alone = (s: GroupSampler) => s.firstSeen(web, 'fortisync') ?? 0;
    // ADOM: the settle time; FortiGate: the add was installed before the drop was even written.
    expect(alone(adomSampler) - both(adomSampler)).toBeGreaterThanOrEqual(SETTLE_SECONDS * 1000);
    expect(both(fgtSampler)).toBeLessThan(alone(adomSampler));
    expect(alone(fgtSampler)).toBeGreaterThan(alone(adomSampler));
    console.log(
      `FMG adoption samples: ADOM ${adomSampler.samples.get(web)?.length}, FortiGate ${fgtSampler.samples.get(web)?.length}; ADOM both→alone ${alone(adomSampler) - both(adomSampler)} ms; FortiGate both at +${both(fgtSampler) - both(adomSampler)} ms, alone at +${alone(fgtSampler) - both(adomSampler)} ms after the ADOM add`,
    );
  });
});

/** Tigera's poll on FortiManager (§8: no lock, no install): each group put back to its members and comment. */
function runFakeTigeraOnFmg(
  fmg: FortiManagerSimulatorHandle,
  session: string,
  groups: { name: string; members: string[] }[],
  everyMs: number,
): { stop: () => Promise<void>; rewrites: () => number } {
  let rewrites = 0;
  let running: Promise<unknown> = Promise.resolve();
  const poll = async () => {
    for (const g of groups) {
      const reply = await rpc(
        fmg,
        {
          method: 'update',
          session,
          params: [
            {
              url: `/pm/config/adom/root/obj/firewall/addrgrp/${g.name}`,
              data: { member: g.members, comment: TIGERA_COMMENT },
            },
          ],
        },
        { 'user-agent': TIGERA_USER_AGENT },
      );
      if (reply.result[0]?.status.code === 0) rewrites++;
    }
  };
  const timer = setInterval(() => {
    running = running.then(poll).catch(() => undefined);
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
    rewrites: () => rewrites,
  };
}

describe('a Tigera ADOM while Tigera’s controller still runs (workspace mode disabled, as it needed)', () => {
  const CLUSTER = 'afx';
  const web = 'fortigate.fmgfight';
  let h: Harness;
  let fmg: FortiManagerSimulatorHandle;
  let dir = '';
  let sampler: GroupSampler;
  let tigera: ReturnType<typeof runFakeTigeraOnFmg> | undefined;
  let target = '';
  const adom = () => fmg.adom('root');
  const ours = () => `k8s-${CLUSTER}-node-${h.nodeName('n1')}`;

  const getTarget = () => getFortiManagerTarget(h, target);

  const stateOf = async () =>
    (await getTarget()).status?.adoption?.groups?.find((g) => g.name === web)?.state;

  /** fortisync's writes (not the fake Tigera's) to the group since a sequence number. */
  const fortisyncGroupWrites = (seq: number) =>
    fmg.requestLog
      .entries({})
      .filter(
        (e) =>
          e.seq > seq &&
          e.method !== 'GET' &&
          e.userAgent !== TIGERA_USER_AGENT &&
          e.path.includes(`/firewall/addrgrp/${web}`),
      ).length;

  async function driftCheckAfter(t: number): Promise<void> {
    await eventually(
      async () => (Date.parse((await getTarget()).status?.lastDriftCheckTime ?? '') > t ? true : undefined),
      { timeoutMs: 30_000, what: 'a drift check of the target' },
    );
  }

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [
        { name: 'fortisync', password: PASSWORD },
        { name: 'tigera', password: 'tigera-pw' },
      ],
      adoms: ['root'],
      workspaceMode: 'disabled',
    });
    h = await new Harness({ name: 'adoptfx', clusterName: CLUSTER, startOperator: false }).start();
    const app = await nodeModeCluster(h, { n1: '192.0.2.71', n2: '192.0.2.72', n3: '192.0.2.73' });
    dir = mkdtempSync(join(tmpdir(), 'fortisync-tigera-fmgfight-'));
    target = `fmgx-${h.id}`;
    writeExport(
      h,
      dir,
      [{ name: web, selector: `app == '${app}'` }],
      'node',
      tigeraFortiManager(target, fmg),
    );
    const out = await generate(h, dir, CLUSTER);
    await createLoginSecret(h, target);
    const tigeraMembers = [h.nodeName('n1'), h.nodeName('n2')];
    tigeraMembers.forEach((name, i) =>
      adom().seed('firewall/address', {
        name,
        comment: TIGERA_COMMENT,
        subnet: [`192.0.2.7${i + 1}`, '255.255.255.255'],
      }),
    );
    adom().seed('firewall/addrgrp', { name: web, comment: TIGERA_COMMENT, member: tigeraMembers });
    sampler = new GroupSampler(adomGroups(adom()), [web], CLUSTER);
    sampler.start();
    tigera = runFakeTigeraOnFmg(
      fmg,
      await login(fmg, 'tigera', 'tigera-pw'),
      [{ name: web, members: tigeraMembers }],
      2000,
    );
    await applyGenerated(h, out, () => undefined, fmg.caCertPem ?? '');
    await h.startOperator();
  }, 90_000);

  afterAll(async () => {
    sampler?.stop();
    await tigera?.stop().catch(() => undefined);
    if (target) await deleteFortiManagerTarget(h, target);
    await h?.stop();
    await fmg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let conflictSeq = 0;

  it('fortisync detects the fight in the ADOM, reports it on the target (Stalled AdoptionConflict, Event) and stops', async () => {
    await patchTargetOf(h, target, {
      spec: {
        dryRun: false,
        driftCheckIntervalSeconds: 10,
        adoption: { source: 'CalicoEnterprise', groups: [web], settleSeconds: SETTLE_SECONDS },
      },
    });
    const m = await h.expectCondition(web, 'Ready', 'False', 'AdoptionConflict', 60_000);
    conflictSeq = fmg.requestLog.entries({}).at(-1)?.seq ?? 0;
    expect(m.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
    expect(await stateOf()).toBe('Conflict');
    const events = await eventually(
      async () => {
        const e = await h.events('FortiManagerTarget', target);
        return e.some((x) => x.reason === 'AdoptionConflict') ? e : undefined;
      },
      { what: 'an AdoptionConflict event on the target' },
    );
    expect(events.filter((e) => e.reason === 'AdoptionRewritten')).toHaveLength(1);
  });

  it('after the stop, and after an operator restart, fortisync writes nothing more to the group', async () => {
    await driftCheckAfter(Date.now());
    expect(fortisyncGroupWrites(conflictSeq)).toBe(0);
    await h.stopOperator();
    const restartedAt = Date.now();
    const seq = fmg.requestLog.entries({}).at(-1)?.seq ?? 0;
    await h.startOperator();
    await driftCheckAfter(restartedAt);
    expect(await stateOf()).toBe('Conflict');
    expect(fortisyncGroupWrites(seq)).toBe(0);
    expect(tigera?.rewrites()).toBeGreaterThan(2);
  });

  it('once the fake Tigera stops, the retry annotation on the target completes adoption', async () => {
    await tigera?.stop();
    tigera = undefined;
    await patchTargetOf(h, target, {
      metadata: { annotations: { [RETRY_ADOPTION_ANNOTATION]: 'tigera-scaled-to-zero' } },
    });
    await eventually(async () => ((await stateOf()) === 'Adopted' ? true : undefined), {
      timeoutMs: 60_000,
      what: `${web} Adopted after the retry`,
    });
    expect(adom().get('firewall/addrgrp', web)?.member).toEqual([
      ours(),
      `k8s-${CLUSTER}-node-${h.nodeName('n2')}`,
    ]);
    expect(isOwnedBy(String(adom().get('firewall/addrgrp', web)?.comment), CLUSTER, web)).toBe(true);
    await h.expectCondition(web, 'Ready', 'True', 'Synced', 30_000);
  });

  it('no ADOM sample showed a wrong or empty member set, through the fight and the handover', () => {
    sampler.stop();
    expect(sampler.wrong(web, ['192.0.2.71', '192.0.2.72'])).toEqual([]);
    expect(new Set(sampler.samples.get(web)?.map((s) => s.owners))).toEqual(
      new Set(['tigera', 'fortisync+tigera', 'fortisync']),
    );
  });
});
