/**
 * What one pod event costs a whole device sync (issue 19): `DeviceReconciler.reconcile` — the
 * incremental desired state and plan, the plan's execution against an in-memory FortiGate, the
 * sync's bookkeeping, the device status and the mapping keys enqueued — against the number of
 * mappings, in this process, on the CPU time this process used. No control plane and no HTTP, so
 * what is left is the operator's own work per sync, and machine load barely moves it.
 *
 *   node dist/bench/sync-run-cost.js [--pods 5000] [--mappings 100,1000,5000] [--events 400] [--batch 1]
 *
 * `--batch k` applies k pod events before each sync (a loaded operator covers several per sync).
 * Run it under `node --cpu-prof` to see where a sync's time goes.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { FortiGateEndpointMapping } from '../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ClusterView } from '../src/domain/desired.js';
import {
  endpointMapping,
  mappingStore,
  reconcileContext,
  reconcilerOverFakes,
} from '../test/unit/controllers/fakes.js';
import { mulberry32 } from './lib/stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** The churn bench's layout: mapping i selects app=m<i> in bench-<i % 10>; even ones Pod mode; 50 nodes. */
function world(mappings: number, pods: number) {
  const byNs = new Map<string, Map<string, V1Pod>>();
  let serial = 0;
  const ip = (j: number): string => `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}`;
  const addPod = (i: number): { ns: string; name: string; mapping: string } => {
    const j = serial++;
    const ns = `bench-${i % 10}`;
    const name = `p${j}`;
    const p: V1Pod = {
      metadata: { name, namespace: ns, labels: { app: `m${i}` } },
      spec: { nodeName: `n${j % 50}`, containers: [] },
      status: { phase: 'Running', podIP: ip(j), podIPs: [{ ip: ip(j) }] },
    };
    let inNs = byNs.get(ns);
    if (!inNs) byNs.set(ns, (inNs = new Map()));
    inNs.set(name, p);
    return { ns, name, mapping: `${ns}/m${i}` };
  };
  const live: { ns: string; name: string; mapping: string }[] = [];
  for (let j = 0; j < pods; j++) live.push(addPod(j % mappings));
  const view: ClusterView = {
    podsInNamespace: (ns) => byNs.get(ns)?.values() ?? [],
    node: (n) => ({
      metadata: { name: n },
      status: { addresses: [{ type: 'InternalIP', address: `192.0.2.${Number(n.slice(1)) + 1}` }] },
    }),
    namespace: (n) => ({ metadata: { name: n } }),
    namespaces: () => [...byNs.keys()].map((n) => ({ metadata: { name: n } })),
  };
  const store = mappingStore();
  for (let i = 0; i < mappings; i++) {
    const m: FortiGateEndpointMapping = endpointMapping(
      {
        addressGroup: `g${i}`,
        podSelector: { matchLabels: { app: `m${i}` } },
        addressType: i % 2 === 0 ? 'Pod' : 'Node',
      },
      { namespace: `bench-${i % 10}`, name: `m${i}`, uid: `u${i}` },
    );
    store.set(`bench-${i % 10}/m${i}`, m);
  }
  const rnd = mulberry32(7);
  /** One churn event: a new pod of a random mapping, or a random pod gone; the mapping key it changes. */
  const event = (n: number): string => {
    if (n % 2 === 0) {
      const created = addPod(Math.floor(rnd() * mappings));
      live.push(created);
      return created.mapping;
    }
    const idx = Math.floor(rnd() * live.length);
    const gone = live[idx] as (typeof live)[number];
    live[idx] = live[live.length - 1] as (typeof live)[number];
    live.pop();
    byNs.get(gone.ns)?.delete(gone.name);
    return gone.mapping;
  };
  return { view, store, event };
}

function countBy(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return counts;
}

async function measure(mappings: number, pods: number, events: number, batch: number) {
  const w = world(mappings, pods);
  let enqueued = 0;
  const { reconciler, clock, fortigate, sessions, memberCache } = reconcilerOverFakes({
    mappings: w.store,
    view: w.view,
    enqueueMapping: () => enqueued++,
  });
  const ctx = reconcileContext();
  const sync = async (): Promise<void> => {
    await reconciler.reconcile('fw1', ctx);
    await reconciler.flushStatus();
    await clock.advance(20);
  };
  await sync(); // the initial convergence: not measured
  await sync();
  const callsBefore = fortigate.calls.length;
  enqueued = 0;
  const start = process.cpuUsage();
  for (let n = 0; n < events;) {
    for (let k = 0; k < batch && n < events; k++, n++) {
      const key = w.event(n);
      memberCache.invalidate(key);
      sessions.mappingChanged(key);
    }
    await sync();
  }
  const used = process.cpuUsage(start);
  const calls = fortigate.calls.slice(callsBefore);
  return {
    cpuMs: (used.user + used.system) / 1000 / events,
    reads: calls.filter((c) => c.method === 'get' || c.method === 'list').length / events,
    writes: calls.filter((c) => c.method !== 'get' && c.method !== 'list').length / events,
    enqueued: enqueued / events,
    byCall: [...countBy(calls.map((c) => `${c.method} ${c.table ?? ''}`))]
      .map(([k, v]) => `${k} ${(v / events).toFixed(2)}`)
      .join(', '),
  };
}

const pods = Number(arg('pods', '5000'));
const events = Number(arg('events', '400'));
const batch = Number(arg('batch', '1'));
console.log(
  `${pods} pods, ${events} pod events, ${batch} per sync: per pod event, the whole device sync in-process`,
);
console.log('mappings   CPU ms    FortiOS reads   FortiOS writes   mappings enqueued');
for (const m of arg('mappings', '100,1000,5000').split(',').map(Number)) {
  const r = await measure(m, pods, events, batch);
  console.log(
    `${String(m).padEnd(10)} ${r.cpuMs.toFixed(3).padStart(6)}    ${r.reads.toFixed(2).padStart(13)}   ${r.writes.toFixed(2).padStart(14)}   ${r.enqueued.toFixed(2).padStart(17)}`,
  );
  if (process.argv.includes('--calls')) console.log(`           FortiOS calls per event: ${r.byCall}`);
}
