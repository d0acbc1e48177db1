/**
 * What one pod event costs a device sync's computation, against the number of mappings (issue 19):
 * the desired state and plan recomputed whole (as every sync did before ADR 0006) against the
 * incremental update and scoped plan, in this process, on the CPU time this process used. No
 * control plane, no FortiGate: the figure is the computation alone, so machine load barely moves it.
 *
 *   node dist/bench/sync-cost.js [--pods 5000] [--mappings 100,1000,5000] [--events 200]
 */
import type { V1Pod } from '@kubernetes/client-node';
import { desiredDeviceState, type ClusterView, type MappingInput } from '../src/domain/desired.js';
import { fullBase, updateBase } from '../src/domain/desired-base.js';
import type { DesiredDeviceState, ObservedDeviceState } from '../src/domain/model.js';
import { groupComment } from '../src/domain/naming.js';
import { plan, planScoped } from '../src/domain/plan.js';
import { MemberCache } from '../src/controllers/member-cache.js';
import { applyPlanOps } from '../test/support/apply-plan.js';

const OPTS = { clusterName: 'bench' };
const DEVICE = {
  name: 'fw',
  spec: { clusterName: 'bench', addressNamePrefix: 'k8s', suspend: false, dryRun: false },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** The churn scenario's layout: mapping i selects app=m<i> in namespace bench-<i % 10>; even ones Pod mode. */
function world(mappings: number, pods: number) {
  const byNs = new Map<string, V1Pod[]>();
  const podOf = (j: number, ip: string): V1Pod => {
    const i = j % mappings;
    return {
      metadata: { name: `p${j}`, namespace: `bench-${i % 10}`, labels: { app: `m${i}` } },
      spec: { nodeName: `n${j % 50}`, containers: [] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] },
    };
  };
  const ip = (j: number): string => `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`;
  for (let j = 0; j < pods; j++) {
    const p = podOf(j, ip(j));
    const ns = p.metadata!.namespace!;
    byNs.set(ns, [...(byNs.get(ns) ?? []), p]);
  }
  const view: ClusterView = {
    podsInNamespace: (ns) => byNs.get(ns) ?? [],
    node: (n) => ({
      metadata: { name: n },
      status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${Number(n.slice(1)) + 1}` }] },
    }),
    namespace: (n) => ({ metadata: { name: n } }),
    namespaces: () => [...byNs.keys()].map((n) => ({ metadata: { name: n } })),
  };
  const inputs = new Map<string, MappingInput>();
  for (let i = 0; i < mappings; i++) {
    const ns = `bench-${i % 10}`;
    inputs.set(`${ns}/m${i}`, {
      key: `${ns}/m${i}`,
      namespace: ns,
      name: `m${i}`,
      deleting: false,
      createdAt: '2026-01-01T00:00:00Z',
      spec: {
        devices: ['fw'],
        addressGroup: `g${i}`,
        podSelector: { matchLabels: { app: `m${i}` } },
        addressType: i % 2 === 0 ? 'Pod' : 'Node',
        ipFamilies: ['IPv4'],
        deletionPolicy: 'Delete',
        suspend: false,
        dryRun: false,
      },
    });
  }
  /** A new pod of mapping i (the event), returning the mapping key it changes. */
  const addPod = (j: number): string => {
    const p = podOf(j, ip(j));
    byNs.get(p.metadata!.namespace!)!.push(p);
    const i = j % mappings;
    return `bench-${i % 10}/m${i}`;
  };
  return { view, inputs, addPod };
}

/** The device holding exactly the desired state (after a sync that did everything). */
function observedOf(desired: DesiredDeviceState): ObservedDeviceState {
  const observed: ObservedDeviceState = { addresses: new Map(), groups: new Map() };
  for (const [k, a] of desired.addresses)
    observed.addresses.set(k, { name: a.name, family: a.family, ip: a.ip, comment: a.comment });
  for (const [k, g] of desired.groups)
    observed.groups.set(k, {
      name: g.name,
      family: g.family,
      members: [...g.members],
      comment: groupComment('bench', g.name),
    });
  return observed;
}

/** CPU milliseconds per event of `fn`, over `events` events. */
function cpuPerEvent(events: number, fn: (n: number) => void): number {
  const start = process.cpuUsage();
  for (let n = 0; n < events; n++) fn(n);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / events;
}

function measure(mappings: number, pods: number, events: number): { full: number; incremental: number } {
  const full = (() => {
    const w = world(mappings, pods);
    const cache = new MemberCache(w.view);
    let observed = observedOf(desiredDeviceState(DEVICE, [...w.inputs.values()], w.view, cache.membersOf));
    return cpuPerEvent(events, (n) => {
      cache.invalidate(w.addPod(pods + 2 * n)); // a Pod-mode mapping: always a new member
      const desired = desiredDeviceState(DEVICE, [...w.inputs.values()], w.view, cache.membersOf);
      const p = plan(desired, observed, OPTS);
      if (p.ops.length === 0) throw new Error('the event changed nothing');
      observed = observedOf(desired);
    });
  })();
  const incremental = (() => {
    const w = world(mappings, pods);
    const cache = new MemberCache(w.view);
    const all = [...w.inputs.values()];
    const base = fullBase(desiredDeviceState(DEVICE, all, w.view, cache.membersOf), all);
    const observed = observedOf(base.state);
    return cpuPerEvent(events, (n) => {
      const key = w.addPod(pods + 2 * n);
      cache.invalidate(key);
      const scope = updateBase(base, new Set([key]), (k) => w.inputs.get(k), {
        device: DEVICE,
        view: w.view,
        membersOf: cache.membersOf,
      });
      const p = planScoped(base.state, observed, OPTS, scope);
      if (p.ops.length === 0) throw new Error('the event changed nothing');
      // As the sync's execution does: the device now holds what was written.
      applyPlanOps(observed, p.ops);
    });
  })();
  return { full, incremental };
}

const pods = Number(arg('pods', '5000'));
const events = Number(arg('events', '200'));
console.log(`one pod event, ${pods} pods: CPU ms per event for the sync's desired state and plan`);
console.log('mappings   whole (every mapping, every group)   incremental (ADR 0006)');
for (const m of arg('mappings', '100,1000,5000').split(',').map(Number)) {
  const r = measure(m, pods, events);
  console.log(
    `${String(m).padEnd(10)} ${r.full.toFixed(2).padStart(8)} ms                          ${r.incremental.toFixed(3).padStart(8)} ms`,
  );
}
