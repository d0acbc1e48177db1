/**
 * The pod informer's initial sync: listed in pages (gzip-compressed or plain) against streamed from a
 * watch (issue 19):
 * `node --expose-gc dist/bench/list-cost.js [--pods N] [--rounds R] [--ways pages,plain,stream]`.
 *
 * One real control plane with the scale scenario's API server and etcd flags, N Running pods with the
 * scale scenario's labels, nodes and IPs; then the operator's own pod informer (`createInformers`, so
 * the slimmer, string pool and page size of production) is synced R times each way, alternating, in
 * this process. Per sync: wall time to synced, this process's CPU time (user + system; not sensitive
 * to other processes) and the API server's and etcd's (every such process on the machine: run it
 * alone), the heap's and the resident size's peak above where they stood before the sync (sampled
 * every 10 ms), and the heap after a full collection once synced.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import winston from 'winston';
import { createInformers } from '../src/operator/informers.js';
import { inPool } from '../src/runtime/pool.js';
import { retry } from './lib/cluster.js';
import { startBenchCluster } from './lib/env.js';
import { cpuSecondsOf } from './lib/machine-cpu.js';
import { round } from './lib/stats.js';
import { SCALE_APISERVER_ARGS, SCALE_ETCD_ARGS, scaleNodeName } from './scale.js';

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1024 * 1024;
const NAMESPACES = 50;
const API_SERVER = ['kube-apiserver', 'etcd'];

/** pages: gzip-compressed pages (fetch's default); plain: pages without compression; stream: a watch. */
type Way = 'pages' | 'plain' | 'stream';
const WAYS: readonly Way[] = ['pages', 'plain', 'stream'];

interface SyncFigures {
  way: Way;
  wallMs: number;
  cpuMs: number;
  /** kube-apiserver and etcd, while the informer synced. */
  apiServerCpuMs: number;
  heapPeakMB: number;
  rssPeakMB: number;
  heapAfterGcMB: number;
  objects: number;
}

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function heapAfterGc(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function createPods(core: CoreV1Api, count: number): Promise<void> {
  for (let n = 0; n < NAMESPACES; n++) {
    await core.createNamespace({ body: { metadata: { name: `team-${String(n).padStart(3, '0')}` } } });
  }
  const indexes = Array.from({ length: count }, (_, i) => i);
  await inPool(indexes, 64, async (i) => {
    const namespace = `team-${String(i % NAMESPACES).padStart(3, '0')}`;
    const name = `svc-${i % 997}-p${i}`;
    const labels = {
      app: `svc-${i % 997}`,
      'app.kubernetes.io/name': `${namespace}-service-${i % 997}`,
      'app.kubernetes.io/instance': `${namespace}-release`,
      'app.kubernetes.io/version': '1.24.3',
      'pod-template-hash': (0x5f7d9c8b6d + (i % 997) * 7919).toString(16).slice(-10),
    };
    const spec = {
      nodeName: scaleNodeName(i % 5000),
      containers: [{ name: 'app', image: 'example.invalid/app:1' }],
    };
    const ip = `10.${128 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
    await retry(
      () => core.createNamespacedPod({ namespace, body: { metadata: { name, labels }, spec } }),
      name,
    );
    const status = {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
    };
    await retry(
      () =>
        core.replaceNamespacedPodStatus({
          namespace,
          name,
          body: { metadata: { name, namespace, labels }, spec, status },
        }),
      `${name} status`,
    );
  });
}

async function syncOnce(kc: KubeConfig, way: Way): Promise<SyncFigures> {
  const logger = winston.createLogger({ silent: true });
  const baseHeap = heapAfterGc();
  const baseRss = process.memoryUsage().rss;
  let heapPeak = baseHeap;
  let rssPeak = baseRss;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  }, 10);
  const informers = createInformers(kc, {
    logger,
    streamingList: way === 'stream' ? 'always' : 'never',
    listCompression: way !== 'plain',
  });
  const cpu = process.cpuUsage();
  const apiServerCpu = cpuSecondsOf(API_SERVER);
  const started = performance.now();
  informers.pods.start();
  const synced = await informers.pods.waitForSync(AbortSignal.timeout(600_000));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const apiServerCpuMs = (cpuSecondsOf(API_SERVER) - apiServerCpu) * 1000;
  clearInterval(sampler);
  if (!synced) throw new Error(`the pod informer did not sync (${way})`);
  const objects = informers.pods.list().length;
  const heapAfter = heapAfterGc();
  await informers.pods.stop();
  return {
    way,
    wallMs: round(wallMs, 0),
    cpuMs: round((used.user + used.system) / 1000, 0),
    apiServerCpuMs: round(apiServerCpuMs, 0),
    heapPeakMB: round((heapPeak - baseHeap) / MB, 1),
    rssPeakMB: round((rssPeak - baseRss) / MB, 1),
    heapAfterGcMB: round((heapAfter - baseHeap) / MB, 1),
    objects,
  };
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with node --expose-gc');
  const pods = arg('pods', 20_000);
  const rounds = arg('rounds', 2);
  const at = process.argv.indexOf('--ways');
  const ways = (at >= 0 ? (process.argv[at + 1] ?? '') : WAYS.join(',')).split(',') as Way[];
  const unknown = ways.filter((w) => !WAYS.includes(w));
  if (unknown.length > 0) throw new Error(`--ways: ${unknown.join(', ')}? (${WAYS.join(', ')})`);
  const { cluster, stop } = await startBenchCluster(
    {
      controllers: [],
      maxLifetimeSeconds: 3600,
      apiserverArgs: SCALE_APISERVER_ARGS,
      etcdArgs: SCALE_ETCD_ARGS,
    },
    () => Promise.resolve(undefined),
  );
  try {
    const created = performance.now();
    await createPods(cluster.kc.makeApiClient(CoreV1Api), pods);
    console.log(`${pods} pods created in ${round((performance.now() - created) / 1000, 1)} s`);
    const results: SyncFigures[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const way of ways) {
        const figures = await syncOnce(cluster.kc, way);
        if (figures.objects !== pods)
          throw new Error(`${way}: ${figures.objects} pods cached, ${pods} exist`);
        results.push(figures);
        console.log(JSON.stringify(figures));
      }
    }
    console.table(results);
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
