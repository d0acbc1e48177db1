import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { KubeHttpError } from '../../src/runtime/kube-fetch.js';
import { StreamingWatch } from '../../src/runtime/kube-watch.js';

/**
 * The two shares of propagation (issue 19): the operator's own (watch event arrival → FortiOS write
 * acknowledged, its `fortisync_propagation_latency_seconds` histogram) and the API server's (the
 * driver's write sent → the watch event's arrival, measured by a watch of the runner's own).
 */

/** Cumulative bucket counts of one histogram: upper bound (s) → count, sorted, +Inf last. */
export type Buckets = [number, number][];

const PROPAGATION = 'fortisync_propagation_latency_seconds_bucket';

/** Sums the propagation histogram's buckets over every device from a /metrics page. */
export function propagationBuckets(metricsText: string): Buckets {
  const byLe = new Map<number, number>();
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(PROPAGATION)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    byLe.set(bound, (byLe.get(bound) ?? 0) + value);
  }
  return [...byLe].sort(([a], [b]) => a - b);
}

export async function scrapePropagation(metricsPort: number): Promise<Buckets> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return propagationBuckets(await res.text());
}

/**
 * The operator's event-loop delay since the previous scrape (prom-client's gauges from
 * `monitorEventLoopDelay`, which restart at every scrape), in ms: a scrape before a window starts
 * it, the scrape after reads it.
 */
export async function eventLoopDelay(metricsPort: number): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const gauge = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) * 1000 : NaN;
  };
  return { p99: gauge('nodejs_eventloop_lag_p99_seconds'), max: gauge('nodejs_eventloop_lag_max_seconds') };
}

/** The observations between two scrapes. */
export function bucketsSince(before: Buckets, after: Buckets): Buckets {
  const base = new Map(before);
  return after.map(([le, n]) => [le, n - (base.get(le) ?? 0)]);
}

/**
 * The q-quantile in seconds, interpolated linearly inside its bucket as Prometheus'
 * histogram_quantile does; undefined without observations. Its precision is the bucket's width.
 */
export function bucketQuantile(q: number, buckets: Buckets): number | undefined {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** When the runner's own pod watch first saw each pod with an IP, and saw it deleted (ms). */
export class WatchArrivals {
  private readonly ipSeen = new Map<string, number>();
  private readonly goneSeen = new Map<string, number>();
  private request: { abort(): void } | undefined;
  private stopped = false;
  private resourceVersion: string | undefined;

  constructor(private readonly kc: KubeConfig) {}

  /**
   * Watches from now until stop(), resuming from the last resourceVersion when the server ends a
   * watch (a re-list would report missed events late, or not at all).
   */
  async start(): Promise<void> {
    const watch = new StreamingWatch(this.kc);
    const list = await this.kc.makeApiClient(CoreV1Api).listPodForAllNamespaces({ limit: 1 });
    this.resourceVersion = list.metadata?.resourceVersion;
    const begin = async (): Promise<void> => {
      if (this.stopped) return;
      this.request = await watch.watch(
        '/api/v1/pods',
        {
          allowWatchBookmarks: true,
          ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
        },
        (type, obj) => this.onEvent(type, obj as V1Pod, Date.now()),
        (err) => {
          // Too old to resume: watch from the current state (what was missed is not measured).
          if (err instanceof KubeHttpError && err.statusCode === 410) this.resourceVersion = undefined;
          setTimeout(() => void begin(), 50);
        },
      );
    };
    await begin();
  }

  private onEvent(type: string, pod: V1Pod, at: number): void {
    this.resourceVersion = pod.metadata?.resourceVersion ?? this.resourceVersion;
    if (type === 'BOOKMARK') return;
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    if (type === 'DELETED') {
      if (!this.goneSeen.has(key)) this.goneSeen.set(key, at);
    } else if (pod.status?.podIP && !this.ipSeen.has(key)) this.ipSeen.set(key, at);
  }

  ipAt(namespace: string, name: string): number | undefined {
    return this.ipSeen.get(`${namespace}/${name}`);
  }

  goneAt(namespace: string, name: string): number | undefined {
    return this.goneSeen.get(`${namespace}/${name}`);
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
  }
}
