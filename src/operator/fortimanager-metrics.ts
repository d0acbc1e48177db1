import { Counter, Histogram, type Registry } from 'prom-client';
import { requestKind, type RpcEvent } from '../fortimanager/index.js';
import type { TargetObserver } from '../controllers/fortimanager/reconciler.js';
import type { SyncObserver } from '../controllers/device/sync.js';
import { requestLatencyBuckets } from './metrics.js';

/** Installs copy packages to FortiGates: seconds to tens of minutes. */
const installBuckets = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
/** Another admin's lock: seconds (a quick edit) to hours (a forgotten session). */
const lockWaitBuckets = [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

/**
 * The event-driven series of FortiManagerTargets (the status-derived ones are in
 * target-status-metrics.ts): JSON-RPC requests by kind, sync writes, installs per package, and
 * the waits behind another administrator's ADOM lock.
 */
export class FortiManagerMetrics {
  readonly requests: Counter<'target' | 'method' | 'kind' | 'outcome'>;
  readonly latency: Histogram<'target' | 'method' | 'kind'>;
  readonly syncWrites: Counter<'target'>;
  readonly installs: Counter<'target' | 'package' | 'result'>;
  readonly installDuration: Histogram<'target' | 'package'>;
  readonly lockRefusals: Counter<'target'>;
  readonly lockWait: Histogram<'target'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'fortisync_fortimanager_requests_total',
      help: 'FortiManager JSON-RPC requests (each attempt) by target, method, url kind and outcome (success or error kind).',
      labelNames: ['target', 'method', 'kind', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'fortisync_fortimanager_request_duration_seconds',
      help: 'FortiManager JSON-RPC request latency by url kind.',
      labelNames: ['target', 'method', 'kind'],
      buckets: requestLatencyBuckets,
      registers,
    });
    this.syncWrites = new Counter({
      name: 'fortisync_fortimanager_sync_writes_total',
      help: 'ADOM object writes performed by FortiManagerTarget syncs.',
      labelNames: ['target'],
      registers,
    });
    this.installs = new Counter({
      name: 'fortisync_fortimanager_installs_total',
      help: 'Package installs started by fortisync that ended, by result (done or failed).',
      labelNames: ['target', 'package', 'result'],
      registers,
    });
    this.installDuration = new Histogram({
      name: 'fortisync_fortimanager_install_duration_seconds',
      help: 'From an install started to its task ended (or failed to start).',
      labelNames: ['target', 'package'],
      buckets: installBuckets,
      registers,
    });
    this.lockRefusals = new Counter({
      name: 'fortisync_fortimanager_lock_refusals_total',
      help: 'Syncs that found the ADOM locked by another administrator (each one retried later).',
      labelNames: ['target'],
      registers,
    });
    this.lockWait = new Histogram({
      name: 'fortisync_fortimanager_lock_wait_seconds',
      help: "From the first refusal behind another administrator's lock to the sync that went through.",
      labelNames: ['target'],
      buckets: lockWaitBuckets,
      registers,
    });
  }

  requestHook(target: string): (e: RpcEvent) => void {
    return (e) => {
      const kind = requestKind(e.url);
      this.requests.inc({ target, method: e.method, kind, outcome: e.outcome });
      this.latency.observe({ target, method: e.method, kind }, e.durationMs / 1000);
    };
  }

  syncObserver(): SyncObserver {
    return { synced: (target, r) => this.syncWrites.inc({ target }, r.writes) };
  }

  targetObserver(): TargetObserver {
    return {
      installFinished: (target, pkg, ok, durationMs) => {
        this.installs.inc({ target, package: pkg, result: ok ? 'done' : 'failed' });
        this.installDuration.observe({ target, package: pkg }, durationMs / 1000);
      },
      lockRefused: (target) => this.lockRefusals.inc({ target }),
      lockWaitEnded: (target, waitedMs) => this.lockWait.observe({ target }, waitedMs / 1000),
    };
  }
}
