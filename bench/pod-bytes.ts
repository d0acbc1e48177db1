/**
 * Where a cached pod's bytes go: `node --expose-gc dist/bench/pod-bytes.js [--pods N]`.
 * Builds the scale scenario's pods as the API server sends them (pages of 500, parsed as the raw
 * lister parses them), keeps them as the pod informer does, and measures the heap after a full
 * garbage collection at each step. In-process and deterministic: the figures per pod do not depend
 * on the machine's load.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { podSlimmer } from '../src/operator/slim.js';
import { reuseUnchanged } from '../src/runtime/reuse-unchanged.js';
import { namespaceIndex, objectKey, Store } from '../src/runtime/store.js';
import { StringPool } from '../src/runtime/string-pool.js';
import { scaleNodeName } from './scale.js';

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A pod as the API server lists it (the fields the slimmer drops included, so parsing is realistic). */
function rawPod(j: number): unknown {
  const mapping = j % 1000;
  const ns = `team-${String(mapping % 500).padStart(3, '0')}-production`;
  const node = scaleNodeName((j * 7) % 5000);
  const ip = `10.${128 + ((j >> 16) & 127)}.${(j >> 8) & 255}.${j & 255}`;
  return {
    metadata: {
      name: `${ns}-svc-${mapping}-p${j}`,
      namespace: ns,
      uid: `0b6f${String(j).padStart(4, '0')}-3c1d-4f7a-9b2e-5d8c1a7e${String(j % 10000).padStart(4, '0')}`,
      resourceVersion: String(100000 + j),
      creationTimestamp: '2026-12-02T10:00:00Z',
      labels: {
        app: `m${mapping}`,
        'app.kubernetes.io/name': `${ns}-service-${mapping}`,
        'app.kubernetes.io/instance': `${ns}-release`,
        'app.kubernetes.io/version': '1.24.3',
        'pod-template-hash': (0x5f7d9c8b6d + mapping * 7919).toString(16).slice(-10),
      },
      managedFields: [
        { manager: 'kubelet', operation: 'Update', apiVersion: 'v1', time: '2026-12-02T10:00:01Z' },
      ],
    },
    spec: {
      nodeName: node,
      containers: [{ name: 'app', image: 'example.invalid/app:1', resources: {} }],
      restartPolicy: 'Always',
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
      qosClass: 'BestEffort',
    },
  };
}

/** The pods as page texts, the way they arrive on the wire. */
function pages(pods: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < pods; i += 500) {
    const items = [];
    for (let j = i; j < Math.min(pods, i + 500); j++) items.push(rawPod(j));
    out.push(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '1' }, items }));
  }
  return out;
}

function slimAll(texts: string[], slim: (raw: unknown) => V1Pod): V1Pod[] {
  const out: V1Pod[] = [];
  for (const t of texts) for (const raw of (JSON.parse(t) as { items: unknown[] }).items) out.push(slim(raw));
  return out;
}

function measure(pods: number, label: string, build: () => unknown): number {
  const before = heapAfterGc();
  const kept = build();
  const after = heapAfterGc();
  const perPod = Math.round((after - before) / pods);
  console.log(`${label.padEnd(58)} ${String(perPod).padStart(5)} bytes/pod`);
  // Keep the structure alive until after the measurement.
  if (kept === undefined) throw new Error('nothing kept');
  return perPod;
}

function main(): void {
  const i = process.argv.indexOf('--pods');
  const pods = i > 0 ? Number(process.argv[i + 1]) : 50_000;
  const texts = pages(pods);
  console.log(
    `${pods} pods, ${texts.length} pages of 500 (${Math.round(texts.join('').length / pods)} bytes/pod on the wire)`,
  );
  measure(pods, 'full parsed pods (what a typed client would cache)', () =>
    texts.flatMap((t) => (JSON.parse(t) as { items: unknown[] }).items),
  );
  measure(pods, 'slim pods, strings not shared', () => slimAll(texts, podSlimmer()));
  measure(pods, 'slim pods without labels (labels are the difference)', () =>
    slimAll(texts, (raw) => {
      const p = podSlimmer()(raw);
      if (p.metadata) p.metadata.labels = undefined;
      return p;
    }),
  );
  measure(pods, 'slim pods, strings shared (StringPool)', () => {
    const pool = new StringPool();
    return [slimAll(texts, podSlimmer(pool)), pool];
  });
  measure(pods, 'slim pods, shared, in a Store with the namespace index', () => {
    const pool = new StringPool();
    const store = new Store<V1Pod>();
    store.addIndex('namespace', namespaceIndex);
    for (const p of slimAll(texts, podSlimmer(pool))) store.set(objectKey(p), p);
    return [store, pool];
  });
  // A relist (after a 410) while the cache holds every pod: what the fresh list adds on top.
  const pool = new StringPool();
  const cache = new Store<V1Pod>();
  for (const p of slimAll(texts, podSlimmer(pool))) cache.set(objectKey(p), p);
  measure(pods, 'relist beside the cache, every pod slimmed again', () => slimAll(texts, podSlimmer(pool)));
  measure(pods, 'relist beside the cache, unchanged pods reused', () =>
    slimAll(
      texts,
      reuseUnchanged((key) => cache.get(key), podSlimmer(pool)),
    ),
  );
  measure(pods, 'slim pods, not shared, in a Store with the namespace index', () => {
    const store = new Store<V1Pod>();
    store.addIndex('namespace', namespaceIndex);
    for (const p of slimAll(texts, podSlimmer())) store.set(objectKey(p), p);
    return store;
  });
}

main();
