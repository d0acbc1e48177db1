import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import { Audit } from './audit.js';
import { differences, FaultBook, recordFigures, startOperatorWith, type Expected } from './support.js';

// Random sequences of pod, node, namespace, mapping and device operations interleaved with injected
// FortiGate faults, with tenants (issue 14): a second namespace's Pod-mode, dual-stack mapping (m3)
// that may claim the first namespace's group, a cross-namespace grant and a shared rule that come
// and go; the invariant "no member in a group its namespace may not feed" is checked on the device. After each sequence the faults stop and the FortiGate must settle on exactly the
// state computed here from the final cluster state: the right addresses and members, no orphan, no
// stale member, and nothing without our marker changed. FORTISYNC_PBT_SEED / FORTISYNC_PBT_RUNS
// replay or widen a run; the seed is printed either way.
const CLUSTER = 'pbt';
const RUNS = Number(process.env.FORTISYNC_PBT_RUNS ?? 25);
const SEED = Number(process.env.FORTISYNC_PBT_SEED ?? Date.now() % 2 ** 31);
const POD_NAMES = ['p0', 'p1', 'p2', 'p3', 'p4'];
const NODE_COUNT = 3;

type FaultKind = 'reset' | 'http-500' | 'timeout' | 'latency';
type Op =
  | { k: 'createPod'; pod: number; ns: 0 | 1; app: 'a' | 'b'; node: number }
  | { k: 'deletePod'; pod: number }
  | { k: 'relabelPod'; pod: number; app: 'a' | 'b' }
  | { k: 'finishPod'; pod: number }
  | { k: 'nodeIp'; node: number; ip: number }
  | { k: 'nsLabel'; on: boolean }
  | { k: 'mapping'; which: 1 | 2; present: boolean }
  | { k: 'm1Group'; group: 'PA' | 'PA2' }
  | { k: 'suspend'; on: boolean }
  | { k: 'm3'; present: boolean }
  | { k: 'm3Group'; group: 'PC' | 'PA' }
  | { k: 'grant'; on: boolean }
  | { k: 'share'; on: boolean }
  | { k: 'fault'; kind: FaultKind; probability: number }
  | { k: 'clearFaults' }
  | { k: 'duplicate'; present: boolean }
  | { k: 'wait'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('createPod' as const),
      pod: fc.nat(POD_NAMES.length - 1),
      ns: fc.constantFrom(0 as const, 1 as const),
      app: fc.constantFrom('a' as const, 'b' as const),
      node: fc.nat(NODE_COUNT - 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('deletePod' as const), pod: fc.nat(POD_NAMES.length - 1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('relabelPod' as const),
      pod: fc.nat(POD_NAMES.length - 1),
      app: fc.constantFrom('a' as const, 'b' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('finishPod' as const), pod: fc.nat(POD_NAMES.length - 1) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('nodeIp' as const), node: fc.nat(NODE_COUNT - 1), ip: fc.nat(3) }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('nsLabel' as const), on: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('mapping' as const),
      which: fc.constantFrom(1 as const, 2 as const),
      present: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('m1Group' as const),
      group: fc.constantFrom('PA' as const, 'PA2' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('suspend' as const), on: fc.boolean() }) },
  // Tenants (issue 14): m3, another namespace's Pod-mode dual-stack mapping, may try m1's group;
  // the device's grant for m2's cross-namespace selection and the shared rule come and go.
  { weight: 1, arbitrary: fc.record({ k: fc.constant('m3' as const), present: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('m3Group' as const),
      group: fc.constantFrom('PC' as const, 'PA' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('grant' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('share' as const), on: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('fault' as const),
      kind: fc.constantFrom('reset' as const, 'http-500' as const, 'timeout' as const, 'latency' as const),
      probability: fc.constantFrom(0.2, 0.35, 0.5),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'clearFaults' as const }) },
  // A second device for the same FortiGate, VDOM and cluster, with no mapping and deletionPolicy
  // Delete: were it not held back (Conflict), it would delete everything the first one made.
  { weight: 1, arbitrary: fc.record({ k: fc.constant('duplicate' as const), present: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400 }) }),
  },
);

interface PodModel {
  ns: 0 | 1;
  app: 'a' | 'b';
  node: number;
  finished: boolean;
}

describe('reliability: property test (random operations interleaved with faults)', () => {
  const h = new Harness({ name: 'rel-pbt', clusterName: CLUSTER, startOperator: false });
  const book = new FaultBook(() => h.sim);
  let ns2 = '';
  // The model of the cluster, updated as each operation succeeds.
  const pods = new Map<string, PodModel>();
  const nodeIps: (string | undefined)[] = [];
  let nsLabelled = false;
  const maps = {
    m1: false,
    m2: false,
    m1Group: 'PA' as 'PA' | 'PA2',
    m3: false,
    m3Group: 'PC' as 'PC' | 'PA',
  };
  const access = { grant: true, share: false };
  /** creationTimestamp (ms) of m1 and m3: the older one's namespace owns a group they both claim. */
  const created = { m1: 0, m3: 0 };
  let suspended = false;
  let duplicate = false;
  const duplicateSeen: Record<string, number> = {};
  const dupName = (): string => `${h.deviceName}-dup`;
  const opCounts: Record<string, number> = {};
  let runs = 0;
  const audit = new Audit(h, CLUSTER);
  let foreignBaseline = '';

  const ipFor = (node: number, ip: number): string | undefined =>
    ip === 0 ? undefined : `198.51.100.${node * 10 + ip}`;
  const nsName = (ns: 0 | 1): string => (ns === 0 ? h.ns : ns2);
  const nodeAddr = (node: number): string => `k8s-${CLUSTER}-node-${h.nodeName(`n${node}`)}`;
  const podIps = (name: string, ns: 0 | 1): [string, string] => {
    const i = POD_NAMES.indexOf(name) + 1;
    return [`10.77.${ns}.${i}`, `fd00:77::${ns}:${i}`];
  };
  const podAddr = (name: string, ns: 0 | 1, v6 = false): string =>
    `k8s-${CLUSTER}-pod${v6 ? '6' : ''}-${nsName(ns)}.${name}`;

  /** Which of m1 and m3 feed PA: both when shared, else the namespace of the older one. */
  function paFeeders(): { m1: boolean; m3: boolean } {
    const m1 = maps.m1 && maps.m1Group === 'PA';
    const m3 = maps.m3 && maps.m3Group === 'PA';
    if (!m1 || !m3 || access.share) return { m1, m3 };
    const m1First = created.m1 !== created.m3 ? created.m1 < created.m3 : `${h.ns}/m1` < `${ns2}/m3`;
    return { m1: m1First, m3: !m1First };
  }

  /** m3's Pod-mode members (IPv4 names, IPv6 names), or undefined when it feeds nothing. */
  function m3Members(): { group: string; v4: Map<string, string>; v6: Map<string, string> } | undefined {
    if (!maps.m3 || (maps.m3Group === 'PA' && !paFeeders().m3)) return undefined;
    const v4 = new Map<string, string>();
    const v6 = new Map<string, string>();
    for (const [name, p] of pods) {
      if (p.finished || p.ns !== 1 || p.app !== 'b') continue;
      const [ip4, ip6] = podIps(name, 1);
      v4.set(podAddr(name, 1), ip4);
      v6.set(podAddr(name, 1, true), ip6);
    }
    return { group: maps.m3Group, v4, v6 };
  }

  function expected(): Expected {
    const addresses = new Map<string, string>();
    const membersOf = (pick: (p: PodModel) => boolean): string[] => {
      const out = new Set<string>();
      for (const p of pods.values()) {
        const ip = nodeIps[p.node];
        if (p.finished || !pick(p) || !ip) continue;
        out.add(nodeAddr(p.node));
        addresses.set(nodeAddr(p.node), ip);
      }
      return [...out];
    };
    const m1Feeds = maps.m1 && (maps.m1Group === 'PA2' || paFeeders().m1);
    const m1 = m1Feeds ? membersOf((p) => p.ns === 0 && p.app === 'a') : [];
    // m2 selects ns2 from h.ns: only under the device's grant (else Stalled, nothing).
    const m2 = maps.m2 && nsLabelled && access.grant ? membersOf((p) => p.ns === 1 && p.app === 'b') : [];
    const m3 = m3Members();
    for (const [name, ip] of m3?.v4 ?? []) addresses.set(name, ip);
    const groups = new Map<string, string[]>([['PB', ['admin-db', ...m2]]]);
    const absentGroups: string[] = [];
    for (const g of ['PA', 'PA2', 'PC'] as const) {
      const members = [
        ...(m1Feeds && maps.m1Group === g ? m1 : []),
        ...(m3?.group === g ? m3.v4.keys() : []),
      ];
      if ((m1Feeds && maps.m1Group === g) || m3?.group === g)
        groups.set(g, members.length > 0 ? members : ['none']);
      else absentGroups.push(g);
    }
    return { addresses, groups, absentGroups };
  }

  function foreignSnapshot(): string {
    const pb = h.sim.state.get('firewall/addrgrp', 'PB') as Record<string, unknown> | undefined;
    return JSON.stringify([
      h.sim.state.get('firewall/address', 'admin-db'),
      h.sim.state.get('firewall/address', 'admin-web'),
      h.sim.state.get('firewall/addrgrp', 'ADMIN-GRP'),
      pb?.comment,
    ]);
  }

  async function mappingGone(name: string, timeoutMs: number, namespace = h.ns): Promise<boolean> {
    try {
      await eventually(async () => ((await h.mapping(name, namespace)) ? undefined : true), {
        timeoutMs,
        what: `${name} gone`,
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Reads a mapping's creationTimestamp (whole seconds) after creating it. */
  async function recordCreated(key: 'm1' | 'm3'): Promise<void> {
    const m = await h.mapping(key, key === 'm1' ? h.ns : ns2);
    created[key] = Date.parse(String(m?.metadata.creationTimestamp));
  }

  async function applyM3(): Promise<void> {
    await h.applyMapping(
      'm3',
      {
        addressGroup: maps.m3Group,
        addressType: 'Pod',
        ipFamilies: ['IPv4', 'IPv6'],
        podSelector: { matchLabels: { app: 'b' } },
      },
      ns2,
    );
  }

  /** The device's grants, as the model says (a merge patch replaces the lists whole). */
  async function applyAccess(): Promise<void> {
    await h.patchDevice({
      access: {
        existingGroups: ['PB'],
        crossNamespaceGrants: access.grant
          ? [{ from: {}, to: { matchLabels: { [`team-${h.id}`]: 'x' } } }]
          : [],
        groupRules: [{ namespaceSelector: {}, groups: ['PA', 'PA2', 'PB', 'PC'], shared: access.share }],
      },
    });
  }

  async function applyMapping(which: 1 | 2): Promise<void> {
    if (which === 1)
      await h.applyMapping('m1', { addressGroup: maps.m1Group, podSelector: { matchLabels: { app: 'a' } } });
    else
      await h.applyMapping('m2', {
        addressGroup: 'PB',
        podSelector: { matchLabels: { app: 'b' } },
        namespaceSelector: { matchLabels: { [`team-${h.id}`]: 'x' } },
      });
  }

  async function apply(op: Op): Promise<void> {
    opCounts[op.k] = (opCounts[op.k] ?? 0) + 1;
    switch (op.k) {
      case 'createPod': {
        const name = POD_NAMES[op.pod] as string;
        if (pods.has(name)) return;
        await h.runPod(name, { app: op.app }, `n${op.node}`, podIps(name, op.ns), nsName(op.ns));
        pods.set(name, { ns: op.ns, app: op.app, node: op.node, finished: false });
        return;
      }
      case 'deletePod': {
        const name = POD_NAMES[op.pod] as string;
        const p = pods.get(name);
        if (!p) return;
        await h.deletePod(name, nsName(p.ns));
        pods.delete(name);
        return;
      }
      case 'relabelPod': {
        const name = POD_NAMES[op.pod] as string;
        const p = pods.get(name);
        if (!p) return;
        await h.patchPodLabels(name, { app: op.app }, nsName(p.ns));
        p.app = op.app;
        return;
      }
      case 'finishPod': {
        const name = POD_NAMES[op.pod] as string;
        const p = pods.get(name);
        if (!p || p.finished) return;
        await h.setPodStatus(name, 'Succeeded', [], nsName(p.ns));
        p.finished = true;
        return;
      }
      case 'nodeIp': {
        const ip = ipFor(op.node, op.ip);
        await h.setNodeAddresses(`n${op.node}`, ...(ip ? [ip] : []));
        nodeIps[op.node] = ip;
        return;
      }
      case 'nsLabel':
        await h.patchNamespaceLabels(ns2, { [`team-${h.id}`]: op.on ? 'x' : null });
        nsLabelled = op.on;
        return;
      case 'mapping': {
        const key = op.which === 1 ? 'm1' : 'm2';
        if (maps[key] === op.present) return;
        if (op.present) {
          // A mapping of that name still being finalized: creating now would patch the dying one.
          if (!(await mappingGone(key, 1500))) return;
          await applyMapping(op.which);
          if (key === 'm1') await recordCreated('m1');
        } else await h.deleteMapping(key);
        maps[key] = op.present;
        return;
      }
      case 'm3': {
        if (maps.m3 === op.present) return;
        if (op.present) {
          if (!(await mappingGone('m3', 1500, ns2))) return;
          await applyM3();
          await recordCreated('m3');
        } else await h.deleteMapping('m3', ns2);
        maps.m3 = op.present;
        return;
      }
      case 'm3Group':
        maps.m3Group = op.group;
        if (maps.m3) await applyM3();
        return;
      case 'grant':
      case 'share':
        access[op.k] = op.on;
        await applyAccess();
        return;
      case 'm1Group':
        maps.m1Group = op.group;
        if (maps.m1) await applyMapping(1);
        return;
      case 'suspend':
        await h.patchDevice({ suspend: op.on });
        suspended = op.on;
        return;
      case 'fault': {
        const action =
          op.kind === 'reset'
            ? ({ type: 'reset' } as const)
            : op.kind === 'http-500'
              ? ({ type: 'error', status: 500 } as const)
              : op.kind === 'timeout'
                ? ({ type: 'hang', ms: 1500 } as const)
                : ({ type: 'latency', ms: 300 } as const);
        book.add(op.kind, { action, probability: op.probability });
        return;
      }
      case 'duplicate':
        if (op.present && !duplicate) await h.createDevice(dupName(), { deletionPolicy: 'Delete' });
        if (!op.present && duplicate) await h.deleteDevice(dupName());
        duplicate = op.present;
        return;
      case 'clearFaults':
        for (const r of h.sim.faults.settings().rules) h.sim.faults.remove(r.id);
        return;
      case 'wait':
        await new Promise((r) => setTimeout(r, op.ms));
        return;
    }
  }

  async function settle(label: string): Promise<void> {
    // Faults still active stay on while the operator works through the changes, then the device heals.
    if (h.sim.faults.settings().rules.length > 0) await new Promise((r) => setTimeout(r, 1500));
    for (const r of h.sim.faults.settings().rules) h.sim.faults.remove(r.id);
    if (suspended) {
      await h.patchDevice({ suspend: false });
      suspended = false;
    }
    const diff = await audit.settle(expected, 45_000);
    expect({ label, diff }).toEqual({ label, diff: [] });
    // The IPv6 groups settle on their own (a fault may have failed only their write, retried later).
    const ipv6 = await eventually(() => (differences6().length === 0 ? [] : undefined), {
      timeoutMs: 45_000,
      what: 'the IPv6 side to settle',
    }).catch(() => differences6());
    expect({ label, ipv6 }).toEqual({ label, ipv6: [] });
    // Settled for real: no further change follows (a late writer would show here).
    await new Promise((r) => setTimeout(r, 300));
    expect(differences(h, CLUSTER, expected())).toEqual([]);
    expect({ label, ipv6: differences6() }).toEqual({ label, ipv6: [] });
    expect({ label, tenants: tenantViolations() }).toEqual({ label, tenants: [] });
    expect(foreignSnapshot()).toBe(foreignBaseline);
    expect({ label, duplicate: await duplicateProblems() }).toEqual({ label, duplicate: [] });
  }

  /** The duplicate device, when there is one, is held back (Conflict) and never wrote a group. */
  async function duplicateProblems(): Promise<string[]> {
    const wrote = (await h.events('FortiGateDevice', dupName())).filter((e) =>
      ['GroupCreated', 'GroupDeleted'].includes(e.reason ?? ''),
    );
    const out = wrote.map((e) => `the duplicate device wrote: ${e.reason ?? ''} ${e.note ?? ''}`);
    if (!duplicate) return out;
    // Conflict once it has identified the FortiGate; a fault may keep it from connecting at all
    // for a while (it writes nothing then either), so that is accepted, and counted apart.
    let reason = 'none';
    await eventually(
      async () => {
        reason =
          (await h.device(dupName()))?.status?.conditions?.find((c) => c.type === 'Ready')?.reason ?? 'none';
        return reason === 'Conflict' ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'the duplicate device in Conflict' },
    ).catch(() => undefined);
    duplicateSeen[reason] = (duplicateSeen[reason] ?? 0) + 1;
    if (!['Conflict', 'Unreachable', 'Timeout', 'Connecting'].includes(reason))
      out.push(`the duplicate device is ${reason}`);
    return out;
  }

  /** The IPv6 side of m3 (differences() reads the IPv4 tables): addrgrp6 members and address6 objects. */
  function differences6(): string[] {
    const m3 = m3Members();
    const out: string[] = [];
    const owned = h.sim.state
      .list('firewall/address6')
      .filter((a) => String(a.comment ?? '').includes(`[fortisync:${CLUSTER}]`))
      .map((a) => String(a.name))
      .sort();
    const want = [...(m3?.v6.keys() ?? [])].sort();
    if (JSON.stringify(owned) !== JSON.stringify(want))
      out.push(`address6 [${owned.join(', ')}], want [${want.join(', ')}]`);
    for (const g of ['PA', 'PC']) {
      const have = h.members(g, 'firewall/addrgrp6');
      const expect6 = m3?.group === g ? (want.length > 0 ? want : ['none']) : undefined;
      if (JSON.stringify(have) !== JSON.stringify(expect6))
        out.push(
          `addrgrp6 ${g} holds [${have?.join(', ') ?? 'no group'}], want [${expect6?.join(', ') ?? 'no group'}]`,
        );
    }
    return out;
  }

  /**
   * The invariant of issue 14, read off the FortiGate: no member in a group its namespace may not
   * feed. Pod members name their namespace: only ns2's m3 puts pods anywhere, into its own group, and
   * into PA only while it owns PA or PA is shared.
   */
  function tenantViolations(): string[] {
    const out: string[] = [];
    const m3 = m3Members();
    for (const table of ['firewall/addrgrp', 'firewall/addrgrp6'] as const)
      for (const g of h.sim.state.list(table)) {
        for (const m of (g.member as { name: string }[] | undefined) ?? []) {
          const pod = /^k8s-pbt-pod6?-([^.]+)\./.exec(m.name);
          if (!pod) continue;
          if (pod[1] !== ns2 || m3?.group !== g.name) out.push(`${String(g.name)} holds ${m.name}`);
        }
      }
    return out;
  }

  /** Back to a known baseline between runs: no pods, all three mappings (m3 on PC), default node addresses, ns2 selected, the grant on and PA unshared. */
  async function baseline(): Promise<void> {
    if (duplicate) {
      await h.deleteDevice(dupName());
      duplicate = false;
    }
    for (const [name, p] of [...pods]) {
      await h.deletePod(name, nsName(p.ns));
      pods.delete(name);
    }
    for (let n = 0; n < NODE_COUNT; n++) {
      if (nodeIps[n] !== ipFor(n, 1)) await h.setNodeAddresses(`n${n}`, ipFor(n, 1) as string);
      nodeIps[n] = ipFor(n, 1);
    }
    if (!nsLabelled) await h.patchNamespaceLabels(ns2, { [`team-${h.id}`]: 'x' });
    nsLabelled = true;
    if (!access.grant || access.share) {
      access.grant = true;
      access.share = false;
      await applyAccess();
    }
    // The tenant starts on its own group: one op (m3Group) away from claiming m1's.
    if (!maps.m3 || maps.m3Group !== 'PC') {
      maps.m3Group = 'PC';
      if (!maps.m3) expect(await mappingGone('m3', 30_000, ns2)).toBe(true);
      await applyM3();
      if (!maps.m3) await recordCreated('m3');
      maps.m3 = true;
    }
    for (const which of [1, 2] as const) {
      const key = which === 1 ? 'm1' : 'm2';
      if (maps[key] && (which === 2 || maps.m1Group === 'PA')) continue;
      maps.m1Group = 'PA';
      if (!maps[key]) expect(await mappingGone(key, 30_000)).toBe(true);
      await applyMapping(which);
      if (key === 'm1') await recordCreated('m1');
      maps[key] = true;
    }
    await settle('baseline');
  }

  beforeAll(async () => {
    await h.start();
    ns2 = await h.createNamespace('two');
    for (let n = 0; n < NODE_COUNT; n++) {
      await h.createNode(`n${n}`, ipFor(n, 1) as string);
      nodeIps[n] = ipFor(n, 1);
    }
    // The firewall admin's objects: a group fortisync feeds but did not create, and objects it must never touch.
    h.sim.state.seed('firewall/address', { name: 'admin-db', subnet: '10.9.9.9/32', comment: 'database' });
    h.sim.state.seed('firewall/address', { name: 'admin-web', subnet: '10.9.9.10/32', comment: 'web' });
    h.sim.state.seed('firewall/addrgrp', { name: 'PB', member: [{ name: 'admin-db' }], comment: 'by hand' });
    h.sim.state.seed('firewall/addrgrp', { name: 'ADMIN-GRP', member: [{ name: 'admin-web' }] });
    // PB is the admin's (named), and m2 selects ns2 from h.ns (granted): issue 14's grants.
    await applyAccess();
    foreignBaseline = foreignSnapshot();
    audit.begin();
    await startOperatorWith(h, {
      retry: { retries: 1, minTimeoutMs: 50, maxTimeoutMs: 200 },
      timeouts: { connectMs: 800, responseMs: 800, requestMs: 1500 },
    });
  });

  afterAll(async () => {
    h.sim.faults.clear();
    recordFigures({
      file: 'property.test.ts',
      faults: book.tally(),
      scenarios: runs,
      ...audit.end(),
      notes: [
        ...audit.details(),
        `seed ${SEED}`,
        `operations ${JSON.stringify(opCounts)}`,
        `duplicate device at settle ${JSON.stringify(duplicateSeen)}`,
      ],
    });
    await h.stop();
  });

  it(`after any sequence, the FortiGate holds exactly the desired state (${RUNS} runs, seed ${SEED})`, async () => {
    console.log(`property test seed ${SEED} (replay: FORTISYNC_PBT_SEED=${SEED})`);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 3, maxLength: 12 }), async (ops) => {
          await baseline();
          for (const op of ops) await apply(op);
          await settle(`after ${JSON.stringify(ops)}`);
          runs++;
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    } catch (err) {
      console.log(`property test FAILED with seed ${SEED}: ${String(err)}`);
      throw err;
    }
  }, 170_000);
});
