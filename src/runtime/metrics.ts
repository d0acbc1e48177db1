import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

// Names, labels and buckets follow client-go's workqueue metrics and controller-runtime's
// controller metrics, because that is what existing dashboards and alerts query.

export interface InFlightProbe {
  unfinishedSeconds: number;
  longestSeconds: number;
}

export interface WorkQueueMetrics {
  add(): void;
  setDepth(depth: number): void;
  observeQueueLatency(seconds: number): void;
  observeWorkDuration(seconds: number): void;
  retry(): void;
  /** Registers a probe read at scrape time; returns a function that unregisters it. */
  trackInFlight(probe: () => InFlightProbe): () => void;
}

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export interface ControllerMetrics {
  reconcileTotal(result: ReconcileResult): void;
  reconcileError(): void;
  terminalReconcileError(): void;
  observeReconcileTime(seconds: number): void;
  setActiveWorkers(n: number): void;
  setMaxConcurrentReconciles(n: number): void;
}

export interface InformerProbe {
  synced: boolean;
  objects: number;
  /** Epoch ms of the last watch event or bookmark. */
  lastEventMs?: number;
}

export interface InformerMetrics {
  listed(result: 'success' | 'error'): void;
  watchEnded(reason: string): void;
  /** Registers a probe read at scrape time; returns a function that unregisters it. */
  track(probe: () => InformerProbe): () => void;
}

export interface LeaderMetrics {
  setLeading(leading: boolean): void;
}

export const noopInformerMetrics: InformerMetrics = {
  listed: () => {},
  watchEnded: () => {},
  track: () => () => {},
};

export const noopLeaderMetrics: LeaderMetrics = { setLeading: () => {} };

export const noopWorkQueueMetrics: WorkQueueMetrics = {
  add: () => {},
  setDepth: () => {},
  observeQueueLatency: () => {},
  observeWorkDuration: () => {},
  retry: () => {},
  trackInFlight: () => () => {},
};

export const noopControllerMetrics: ControllerMetrics = {
  reconcileTotal: () => {},
  reconcileError: () => {},
  terminalReconcileError: () => {},
  observeReconcileTime: () => {},
  setActiveWorkers: () => {},
  setMaxConcurrentReconciles: () => {},
};

const workqueueBuckets = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1000];
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** All runtime metrics of one prom-client Registry. Obtain it with `runtimeMetrics(registry)`. */
export class RuntimeMetrics {
  private readonly probes = new Map<string, Set<() => InFlightProbe>>();
  private readonly depth: Gauge<'name'>;
  private readonly adds: Counter<'name'>;
  private readonly queueDuration: Histogram<'name'>;
  private readonly workDuration: Histogram<'name'>;
  private readonly retries: Counter<'name'>;
  private readonly reconcileTotalC: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly terminalErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly activeWorkers: Gauge<'controller'>;
  private readonly maxConcurrent: Gauge<'controller'>;
  private readonly informerProbes = new Map<string, () => InformerProbe>();
  private readonly informerLists: Counter<'informer' | 'result'>;
  private readonly informerWatchEnds: Counter<'informer' | 'reason'>;
  private readonly leaderStatus: Gauge<'name'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const probes = this.probes;
    const sumProbes = (
      name: string,
      pick: (p: InFlightProbe) => number,
      combine: (a: number, b: number) => number,
    ) => [...(probes.get(name) ?? [])].reduce((acc, probe) => combine(acc, pick(probe())), 0);

    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: workqueueBuckets,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: workqueueBuckets,
      registers,
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    // Computed at scrape time rather than by a periodic updater: always fresh, no timer to leak.
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        'How many seconds of work has been done that is in progress and has not been observed by ' +
        'work_duration. Large values indicate stuck threads.',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const name of probes.keys())
          this.set(
            { name },
            sumProbes(
              name,
              (p) => p.unfinishedSeconds,
              (a, b) => a + b,
            ),
          );
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const name of probes.keys())
          this.set(
            { name },
            sumProbes(name, (p) => p.longestSeconds, Math.max),
          );
      },
    });
    this.reconcileTotalC = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.terminalErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.maxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    const informerProbes = this.informerProbes;
    const informerGauge = (name: string, help: string, pick: (p: InformerProbe) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['informer'],
        registers,
        collect() {
          this.reset();
          for (const [informer, probe] of informerProbes) {
            const v = pick(probe());
            if (v !== undefined) this.set({ informer }, v);
          }
        },
      });
    informerGauge(
      'informer_synced',
      'Whether the informer has completed its first list (1) or not (0)',
      (p) => (p.synced ? 1 : 0),
    );
    informerGauge('informer_objects', 'Number of objects in the informer cache', (p) => p.objects);
    informerGauge(
      'informer_last_event_timestamp_seconds',
      'Unix time of the last watch event or bookmark the informer received',
      (p) => (p.lastEventMs === undefined ? undefined : p.lastEventMs / 1000),
    );
    this.informerLists = new Counter({
      name: 'informer_lists_total',
      help: 'List calls made by the informer, by result',
      labelNames: ['informer', 'result'],
      registers,
    });
    this.informerWatchEnds = new Counter({
      name: 'informer_watch_restarts_total',
      help: 'Watches that ended and were restarted, by reason (closed, gone, error, watchdog, desync)',
      labelNames: ['informer', 'reason'],
      registers,
    });
    // client-go's name for the same signal.
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: 'Whether this process is the leader (1) or not (0)',
      labelNames: ['name'],
      registers,
    });
  }

  informer(name: string): InformerMetrics {
    return {
      listed: (result) => this.informerLists.inc({ informer: name, result }),
      watchEnded: (reason) => this.informerWatchEnds.inc({ informer: name, reason }),
      track: (probe) => {
        this.informerProbes.set(name, probe);
        return () => {
          if (this.informerProbes.get(name) === probe) this.informerProbes.delete(name);
        };
      },
    };
  }

  leaderElection(name: string): LeaderMetrics {
    this.leaderStatus.set({ name }, 0);
    return { setLeading: (leading) => this.leaderStatus.set({ name }, leading ? 1 : 0) };
  }

  workQueue(name: string): WorkQueueMetrics {
    const labels = { name };
    // Touch every series so dashboards see zeros rather than "no data" before the first add.
    this.adds.inc(labels, 0);
    this.retries.inc(labels, 0);
    this.depth.set(labels, 0);
    return {
      add: () => this.adds.inc(labels),
      setDepth: (d) => this.depth.set(labels, d),
      observeQueueLatency: (s) => this.queueDuration.observe(labels, s),
      observeWorkDuration: (s) => this.workDuration.observe(labels, s),
      retry: () => this.retries.inc(labels),
      trackInFlight: (probe) => {
        let set = this.probes.get(name);
        if (!set) this.probes.set(name, (set = new Set()));
        set.add(probe);
        return () => {
          set.delete(probe);
          if (set.size === 0) this.probes.delete(name);
        };
      },
    };
  }

  controller(controller: string): ControllerMetrics {
    const labels = { controller };
    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) {
      this.reconcileTotalC.inc({ controller, result }, 0);
    }
    this.reconcileErrors.inc(labels, 0);
    this.terminalErrors.inc(labels, 0);
    return {
      reconcileTotal: (result) => this.reconcileTotalC.inc({ controller, result }),
      reconcileError: () => this.reconcileErrors.inc(labels),
      terminalReconcileError: () => this.terminalErrors.inc(labels),
      observeReconcileTime: (s) => this.reconcileTime.observe(labels, s),
      setActiveWorkers: (n) => this.activeWorkers.set(labels, n),
      setMaxConcurrentReconciles: (n) => this.maxConcurrent.set(labels, n),
    };
  }
}

const byRegistry = new WeakMap<Registry, RuntimeMetrics>();

/** The RuntimeMetrics of `registry`, created on first use (prom-client refuses duplicate names). */
export function runtimeMetrics(registry: Registry): RuntimeMetrics {
  let m = byRegistry.get(registry);
  if (!m) byRegistry.set(registry, (m = new RuntimeMetrics(registry)));
  return m;
}
