/**
 * What one Prometheus scrape of /metrics costs the operator's event loop, against the number of
 * mappings (issue 19): the per-object health series (status-metrics.ts) over the scale scenario's
 * shape — mappings with their conditions, devices, and the groups each device session writes, with
 * their members — rendered by the operator's own registry, in this process. No control plane and no
 * FortiGate: the figure is the scrape alone (wall time of a synchronous render, the loop blocked).
 *
 *   node dist/bench/metrics-cost.js [--mappings 100,1000,5000] [--devices 5] [--pods 150000] [--rounds 20]
 */
import type { FortiGateDevice } from '../src/api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import { DeviceSessions } from '../src/controllers/device/sync-state.js';
import { addressKey, groupKey, ObservedGroups, type ObservedAddress } from '../src/domain/model.js';
import { groupStates } from '../src/operator/group-states.js';
import { OperatorMetrics } from '../src/operator/metrics.js';
import { registerStatusMetrics } from '../src/operator/status-metrics.js';
import { Registry } from 'prom-client';
import { distribution } from './lib/stats.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const NOW = '2026-12-02T00:00:00Z';
const condition = (type: string, reason: string) => ({
  type,
  status: 'True',
  reason,
  message: 'm',
  lastTransitionTime: NOW,
  observedGeneration: 1,
});

function mapping(i: number): FortiGateEndpointMapping {
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateEndpointMapping',
    metadata: { name: `m${i}`, namespace: `ns-${i % 500}`, generation: 1 },
    spec: { selector: { matchLabels: { app: `m${i}` } }, addressGroup: `G${i}`, devices: ['fw-0'] },
    status: {
      lastSyncTime: NOW,
      conditions: [
        condition('Ready', 'Synced'),
        condition('Synced', 'Synced'),
        { ...condition('Reconciling', 'Synced'), status: 'False' },
        { ...condition('Stalled', 'Synced'), status: 'False' },
      ],
    },
  } as unknown as FortiGateEndpointMapping;
}

function device(d: number): FortiGateDevice {
  return {
    metadata: { name: `fw-${d}`, generation: 1 },
    spec: {},
    status: {
      lastSyncTime: NOW,
      lastDriftCheckTime: NOW,
      conditions: [
        condition('Ready', 'Synced'),
        condition('Synced', 'Synced'),
        condition('Connected', 'Connected'),
      ],
    },
  } as unknown as FortiGateDevice;
}

/** Every device writes one group per mapping; the pods' addresses are spread over the groups. */
function sessions(devices: number, mappings: number, pods: number): DeviceSessions {
  const all = new DeviceSessions();
  const perDevice = Math.floor(pods / devices);
  for (let d = 0; d < devices; d++) {
    const s = all.ensure(`fw-${d}`);
    const addresses = new Map<string, ObservedAddress>();
    const groups = new ObservedGroups();
    const members: string[][] = Array.from({ length: mappings }, () => []);
    for (let p = 0; p < perDevice; p++) {
      const name = `k8s-${d}-${p}`;
      addresses.set(addressKey('IPv4', name), { name, family: 'IPv4', ip: `10.0.0.${p % 250}`, comment: '' });
      members[p % mappings]?.push(name);
    }
    for (let i = 0; i < mappings; i++) {
      const key = groupKey('IPv4', `G${i}`);
      groups.set(key, { name: `G${i}`, family: 'IPv4', members: members[i] ?? [], comment: '' });
      s.groups.set(key, { ok: true, lastSyncTime: NOW });
    }
    s.observed = { addresses, groups };
  }
  return all;
}

async function measure(mappingCount: number, devices: number, pods: number, rounds: number) {
  const registry = new Registry();
  new OperatorMetrics(registry);
  const mappings = Array.from({ length: mappingCount }, (_, i) => mapping(i));
  const deviceList = Array.from({ length: devices }, (_, d) => device(d));
  const all = sessions(devices, mappingCount, pods);
  registerStatusMetrics(registry, {
    active: () => true,
    mappings: () => mappings,
    devices: () => deviceList,
    groups: () => groupStates(all),
  });
  const times: number[] = [];
  let text = '';
  for (let r = 0; r < rounds + 2; r++) {
    const t0 = performance.now();
    text = await registry.metrics();
    if (r >= 2) times.push(performance.now() - t0); // two warm-up scrapes
  }
  const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const d = distribution(times);
  return { series, kb: Math.round(text.length / 1024), p50: d?.p50 ?? 0, max: d?.max ?? 0 };
}

const mappingCounts = arg('mappings', '100,1000,5000').split(',').map(Number);
const devices = Number(arg('devices', '5'));
const pods = Number(arg('pods', '150000'));
const rounds = Number(arg('rounds', '20'));
console.log(`devices ${devices}, ${pods} addresses over their groups, ${rounds} scrapes each`);
console.log('mappings  series   body KB  scrape p50 ms  max ms');
for (const m of mappingCounts) {
  const r = await measure(m, devices, pods, rounds);
  console.log(
    `${String(m).padStart(8)}  ${String(r.series).padStart(6)}  ${String(r.kb).padStart(8)}  ${r.p50.toFixed(1).padStart(13)}  ${r.max.toFixed(1).padStart(6)}`,
  );
}
