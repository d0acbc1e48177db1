import { CoreV1Api, CustomObjectsApi, EventsV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import { DeviceReconciler, type SyncObserver } from '../controllers/device/reconciler.js';
import { ReferencedObjects } from '../controllers/device/referenced-objects.js';
import { DeviceSessions } from '../controllers/device/sync-state.js';
import { MappingReconciler } from '../controllers/mapping/reconciler.js';
import { FortiManagerTargetReconciler } from '../controllers/fortimanager/reconciler.js';
import { SecretSessionStore, type SecretRef } from '../controllers/fortimanager/session-store.js';
import { DEVICE_GVP, FORTIMANAGER_TARGET_GVP, MAPPING_GVP } from '../controllers/resources.js';
import { FortiManagerClient, type FortiManagerClientOptions } from '../fortimanager/index.js';
import { registerWatches } from '../controllers/watches.js';
import { AUTH_BACKOFF_MS } from '../controllers/device/schedule.js';
import { AuthGate } from '../fortigate/auth-gate.js';
import { FortiGateClient, type FortiGateClientOptions } from '../fortigate/client.js';
import { realClock, type Clock } from '../runtime/clock.js';
import { Controller } from '../runtime/controller.js';
import { withCallDeadline } from '../runtime/kube-deadline.js';
import { defaultControllerRateLimiter } from '../runtime/rate-limiter.js';
import { EventRecorder } from '../runtime/event-recorder.js';
import { StatusPatcher } from '../runtime/status-patcher.js';
import { objectKey } from '../runtime/store.js';
import { registerSecret } from './logging.js';
import { packageVersion } from '../version.js';
import { MemberCache } from '../controllers/member-cache.js';
import { clusterView, createInformers, type OperatorInformers } from './informers.js';
import { OperatorMetrics } from './metrics.js';
import { groupStates } from './group-states.js';
import { PendingChanges } from './pending-changes.js';
import { registerStatusMetrics } from './status-metrics.js';
import { FortiManagerMetrics } from './fortimanager-metrics.js';
import { registerTargetStatusMetrics } from './target-status-metrics.js';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  registry: Registry;
  /** Who writes Events (the pod name / leader identity). */
  identity: string;
  clock?: Clock;
  deviceWorkers?: number;
  /** ADR 0009: how long a FortiGate's sync may start further batches beside its writes (0: never; default 5 s). */
  overlapWindowMs?: number;
  mappingWorkers?: number;
  /** Extra options for every FortiGate client (timeouts, retries). */
  clientOptions?: Partial<FortiGateClientOptions>;
  /** Extra options for every FortiManager client (timeouts, retries). */
  fortiManagerClientOptions?: Partial<FortiManagerClientOptions>;
  targetWorkers?: number;
  /**
   * The pre-created Secret where FortiManager Session-mode session ids are kept (one key per
   * target), so a restarted process logs a crashed one out (its lock and half-done change go at
   * once). The operator gets and updates only this Secret. Unset: not kept, and a crashed session's
   * lock lasts until FMG's idle timeout.
   */
  fortiManagerSessionSecret?: SecretRef;
  /**
   * Tests: every incremental device sync is recomputed in full and compared; a difference is
   * logged, counted (`incrementalDivergences`) and the full result used.
   */
  verifyIncremental?: boolean;
  /** Re-enqueue every device and mapping this often even without events (default 10 min). */
  resyncPeriodMs?: number;
  /**
   * Member counts and sync times in statuses are written at most this often per object (default
   * 5 s); conditions are always written at once.
   */
  statusProgressIntervalMs?: number;
  /** Only manage FortiGateDevices and FortiGateEndpointMappings matching this label selector (sharding). */
  watchSelector?: string;
  /**
   * The namespaces whose Secrets and ConfigMaps devices may reference (what the install's RBAC
   * grants); a reference elsewhere is refused without asking the API server. Undefined: any.
   */
  credentialsNamespaces?: readonly string[];
}

/**
 * Wires informers, watches and the two controllers. Informers run on every replica (warm caches,
 * readiness); controllers only on the leader, via startControllers().
 */
export class Operator {
  readonly informers: OperatorInformers;
  readonly metrics: OperatorMetrics;
  readonly fortiManagerMetrics: FortiManagerMetrics;
  readonly sessions = new DeviceSessions();
  /** Sync state per FortiManagerTarget (same shape as a device's). */
  readonly targetSessions = new DeviceSessions();
  private readonly deviceController: Controller<string>;
  private readonly targetController: Controller<string>;
  private readonly targetReconciler: FortiManagerTargetReconciler;
  private readonly mappingController: Controller<string>;
  private readonly deviceReconciler: DeviceReconciler;
  private readonly memberCache: MemberCache;
  private readonly references: ReferencedObjects;
  private readonly clock: Clock;
  private controllersStarted = false;
  /** With verifyIncremental: incremental syncs whose result differed from a full computation. */
  readonly incrementalDivergences: string[] = [];
  private readonly pendingChanges = new PendingChanges();
  private metricsTimer: NodeJS.Timeout | undefined;
  /** Aborted when this replica must stop talking to FortiGates at once (leadership lost). */
  private readonly deviceRequests = new AbortController();

  constructor(private readonly opts: OperatorOptions) {
    const { logger, registry } = opts;
    // Every API call of the operator (status, finalizers, Events, reads) gets a deadline.
    const kc = withCallDeadline(opts.kubeConfig);
    this.clock = opts.clock ?? realClock;
    this.metrics = new OperatorMetrics(registry);
    this.fortiManagerMetrics = new FortiManagerMetrics(registry);
    this.informers = createInformers(kc, {
      logger,
      resyncPeriodMs: opts.resyncPeriodMs ?? 10 * 60_000,
      ...(opts.watchSelector ? { watchSelector: opts.watchSelector } : {}),
    });
    const customObjects = kc.makeApiClient(CustomObjectsApi);
    const events = new EventRecorder({
      api: kc.makeApiClient(EventsV1Api),
      reportingController: 'fortisync.io/operator',
      reportingInstance: opts.identity,
      logger,
      clock: this.clock,
    });
    const view = clusterView(this.informers);
    this.memberCache = new MemberCache(view);
    // The controllers enqueue into each other; the closures run only after both exist.
    const enqueueDevice = (name: string): void => this.deviceController.enqueue(name);
    const enqueueMapping = (key: string): void => this.mappingController.enqueue(key);
    const enqueueTarget = (name: string): void => this.targetController.enqueue(name);
    this.references = new ReferencedObjects(kc, logger, (ref) => this.devicesReferring(ref), {
      onSecretValue: registerSecret,
      ...(opts.credentialsNamespaces ? { allowedNamespaces: opts.credentialsNamespaces } : {}),
    });
    const clientOptions = opts.clientOptions ?? {};
    const authGate = new AuthGate({ retryAfterMs: AUTH_BACKOFF_MS, now: () => this.clock.now() });
    const deviceSignal = clientOptions.signal
      ? AbortSignal.any([clientOptions.signal, this.deviceRequests.signal])
      : this.deviceRequests.signal;
    const verify = opts.verifyIncremental
      ? {
          verifyIncremental: (device: string, what: string) => {
            this.incrementalDivergences.push(`${device}: ${what}`);
            logger.error('incremental sync differs from a full one', { device, what });
          },
        }
      : {};
    const statusOptions = { progressIntervalMs: opts.statusProgressIntervalMs ?? 5000, clock: this.clock };
    this.deviceReconciler = new DeviceReconciler({
      devices: this.informers.devices,
      mappings: this.informers.mappings,
      view,
      memberCache: this.memberCache,
      sessions: this.sessions,
      references: this.references,
      customObjects,
      statusPatcher: new StatusPatcher(customObjects, DEVICE_GVP, statusOptions),
      events,
      clock: this.clock,
      authGate,
      enqueueMapping,
      requeueDevice: (name, afterMs) => this.deviceController.queue.addAfter(name, afterMs),
      otherReferences: () => this.targetReferences(),
      createClient: (device, options) =>
        new FortiGateClient({
          ...clientOptions,
          ...options,
          signal: deviceSignal,
          userAgent: `fortisync/${packageVersion()} (${opts.identity})`,
          onRequest: this.metrics.requestHook(device),
        }),
      observer: this.syncMetrics(),
      ...(opts.overlapWindowMs !== undefined ? { overlapWindowMs: opts.overlapWindowMs } : {}),
      ...verify,
    });
    this.deviceController = new Controller<string>({
      name: 'fortigatedevice',
      // client-go's per-key backoff grows to 1000 s; a FortiGate back from a long outage should be
      // synced within a minute, and 1 s is still gentle (no device sees more than one sync a second).
      rateLimiter: defaultControllerRateLimiter<string>({
        baseDelayMs: 1000,
        maxDelayMs: 60_000,
        clock: this.clock,
      }),
      workers: opts.deviceWorkers ?? 2,
      logger,
      clock: this.clock,
      registry,
      reconciler: this.deviceReconciler,
    });
    this.targetReconciler = new FortiManagerTargetReconciler({
      ...verify,
      targets: this.informers.fortiManagerTargets,
      mappings: this.informers.mappings,
      view,
      memberCache: this.memberCache,
      sessions: this.targetSessions,
      references: this.references,
      customObjects,
      statusPatcher: new StatusPatcher(customObjects, FORTIMANAGER_TARGET_GVP, statusOptions),
      events,
      clock: this.clock,
      enqueueMapping,
      requeueTarget: (name, afterMs) => this.targetController.queue.addAfter(name, afterMs),
      ...(opts.fortiManagerSessionSecret
        ? {
            sessionStore: new SecretSessionStore(kc.makeApiClient(CoreV1Api), opts.fortiManagerSessionSecret),
          }
        : {}),
      createClient: (target, options) =>
        new FortiManagerClient({
          ...opts.fortiManagerClientOptions,
          ...options,
          signal: deviceSignal,
          onRequest: this.fortiManagerMetrics.requestHook(target),
        }),
      observer: this.fortiManagerMetrics.syncObserver(),
      targetObserver: this.fortiManagerMetrics.targetObserver(),
    });
    this.targetController = new Controller<string>({
      name: 'fortimanagertarget',
      rateLimiter: defaultControllerRateLimiter<string>({
        baseDelayMs: 1000,
        maxDelayMs: 60_000,
        clock: this.clock,
      }),
      workers: opts.targetWorkers ?? 2,
      logger,
      clock: this.clock,
      registry,
      reconciler: this.targetReconciler,
    });
    this.mappingController = new Controller<string>({
      name: 'fortigateendpointmapping',
      rateLimiter: defaultControllerRateLimiter<string>({ maxDelayMs: 300_000, clock: this.clock }),
      workers: opts.mappingWorkers ?? 4,
      logger,
      clock: this.clock,
      registry,
      reconciler: new MappingReconciler({
        mappings: this.informers.mappings,
        devices: this.informers.devices,
        view,
        memberCache: this.memberCache,
        syncReports: this.sessions,
        fortiManagerTargets: this.informers.fortiManagerTargets,
        targetReports: this.targetSessions,
        customObjects,
        statusPatcher: new StatusPatcher(customObjects, MAPPING_GVP, statusOptions),
        events,
        clock: this.clock,
        enqueueDevice,
        onMembers: (namespace, mapping, members) => {
          if (members === undefined) this.metrics.mappingMembers.remove({ namespace, mapping });
          else this.metrics.mappingMembers.set({ namespace, mapping }, members);
        },
      }),
    });
    this.watch(enqueueDevice, enqueueMapping, enqueueTarget);
  }

  /** Maps every watched event to the keys to reconcile, once the controllers run. */
  private watch(
    enqueueDevice: (name: string) => void,
    enqueueMapping: (key: string) => void,
    enqueueTarget: (name: string) => void,
  ): void {
    registerWatches(this.informers, {
      enqueueDevice: (n) => {
        if (this.controllersStarted) enqueueDevice(n);
      },
      enqueueTarget: (n) => {
        if (this.controllersStarted) enqueueTarget(n);
      },
      enqueueMapping: (k) => {
        if (this.controllersStarted) enqueueMapping(k);
      },
      now: () => this.clock.now(),
      membersChanged: (key) => {
        this.memberCache.invalidate(key);
        this.sessions.mappingChanged(key);
        this.targetSessions.mappingChanged(key);
      },
      allMembersChanged: () => {
        this.memberCache.invalidateAll();
        this.sessions.everythingChanged();
        this.targetSessions.everythingChanged();
      },
      podChangeSeen: (devices, mappings, at) => {
        for (const d of devices) this.pendingChanges.seen(d, mappings, at);
      },
      active: () => this.controllersStarted,
    });
    this.informers.devices.onDelete((d) => this.pendingChanges.forget(d.metadata.name));
    // Per-object health series (ready, conditions, last sync, group members), read from the
    // caches and device sessions at scrape time, on the leader only.
    registerStatusMetrics(this.opts.registry, {
      active: () => this.controllersStarted,
      mappings: () => this.informers.mappings.list(),
      devices: () => this.informers.devices.list(),
      groups: () => groupStates(this.sessions),
    });
    registerTargetStatusMetrics(this.opts.registry, {
      active: () => this.controllersStarted,
      targets: () => this.informers.fortiManagerTargets.list(),
      groups: () => groupStates(this.targetSessions),
    });
  }

  /** The Secrets and ConfigMaps FortiManagerTargets reference (kept watched). */
  private targetReferences(): { kind: 'Secret' | 'ConfigMap'; namespace: string; name: string }[] {
    return this.informers.fortiManagerTargets.list().flatMap((t) => {
      const s = t.spec;
      return [
        s?.credentialsSecretRef && { kind: 'Secret' as const, ...s.credentialsSecretRef },
        s?.tls?.caSecretRef && { kind: 'Secret' as const, ...s.tls.caSecretRef },
        s?.tls?.caConfigMapRef && { kind: 'ConfigMap' as const, ...s.tls.caConfigMapRef },
      ].filter((r) => r !== undefined);
    });
  }

  /** A referenced Secret or ConfigMap changed: the devices and targets using it sync again. */
  private devicesReferring(ref: { namespace: string; name: string }): void {
    for (const t of this.informers.fortiManagerTargets.list()) {
      const s = t.spec;
      const refs = [s?.credentialsSecretRef, s?.tls?.caSecretRef, s?.tls?.caConfigMapRef];
      if (refs.some((r) => r && r.namespace === ref.namespace && r.name === ref.name))
        this.targetController.enqueue(t.metadata.name);
    }
    for (const d of this.informers.devices.list()) {
      const s = d.spec;
      const refs = [s?.credentialsSecretRef, s?.tls?.caSecretRef, s?.tls?.caConfigMapRef];
      if (refs.some((r) => r && r.namespace === ref.namespace && r.name === ref.name))
        this.deviceController.enqueue(d.metadata.name);
    }
  }

  /** Sync results as metrics: writes, propagation latency, managed objects, connectivity. */
  private syncMetrics(): SyncObserver {
    return {
      synced: (device, r) => {
        this.metrics.syncWrites.inc({ device }, r.writes);
        const handled = { startedMs: r.startedMs, mappings: r.handledMappings, written: r.writtenMappings };
        for (const ms of this.pendingChanges.appliedBy(device, handled))
          this.metrics.propagation.observe({ device }, ms / 1000);
      },
      deviceState: (device, addresses, groups, connected) => {
        this.metrics.managedObjects.set({ device, kind: 'address' }, addresses);
        this.metrics.managedObjects.set({ device, kind: 'group' }, groups);
        this.metrics.deviceConnected.set({ device }, connected ? 1 : 0);
      },
    };
  }

  /** Starts every informer; resolves once all have synced (readiness). */
  async startInformers(signal?: AbortSignal): Promise<void> {
    for (const inf of this.informers.all()) inf.start();
    this.metricsTimer = setInterval(() => {
      for (const inf of this.informers.all()) {
        const last = inf.lastEventTime;
        if (last !== undefined)
          this.metrics.informerLastEvent.set({ informer: inf.name }, (this.clock.now() - last) / 1000);
      }
    }, 5_000);
    this.metricsTimer.unref();
    await Promise.all(this.informers.all().map((inf) => inf.waitForSync(signal)));
  }

  /**
   * Nothing waits in or runs from either work queue (delayed requeues aside): every event the caches
   * have delivered has been acted on. Tests use it as the positive signal before counting writes.
   */
  idle(): boolean {
    return [this.deviceController, this.mappingController, this.targetController].every(
      (c) => c.queue.len() === 0 && c.queue.processingCount() === 0,
    );
  }

  informersSynced(): boolean {
    return this.informers.all().every((i) => i.hasSynced());
  }

  /**
   * Starts reconciling. Only after every cache has synced: a desired state computed from a partial
   * cache would empty groups.
   */
  startControllers(): void {
    if (this.controllersStarted) return;
    if (!this.informersSynced()) throw new Error('informers have not synced');
    this.controllersStarted = true;
    this.metrics.leader.set(1);
    this.deviceController.start();
    this.targetController.start();
    this.mappingController.start();
    for (const d of this.informers.devices.list()) this.deviceController.enqueue(d.metadata.name);
    for (const t of this.informers.fortiManagerTargets.list()) this.targetController.enqueue(t.metadata.name);
    for (const m of this.informers.mappings.list()) {
      this.mappingController.enqueue(objectKey(m));
    }
  }

  /**
   * Aborts every FortiOS request in flight or waiting, now: a replica that lost its lease must not
   * write after a successor may have started. Call before `stop`.
   */
  abortDeviceRequests(reason = 'leadership lost'): void {
    this.deviceRequests.abort(new Error(reason));
  }

  /** Stops taking work, waits for in-flight reconciles up to the deadline, then stops the informers. */
  async stop(deadlineMs: number): Promise<void> {
    const started = Date.now();
    /** Waits for `work`, but not past the deadline. */
    const withinDeadline = (work: Promise<unknown>): Promise<unknown> =>
      Promise.race([
        work,
        new Promise((r) => setTimeout(r, Math.max(0, deadlineMs - (Date.now() - started))).unref()),
      ]);
    await Promise.all([
      this.deviceController.stop(deadlineMs),
      this.targetController.stop(deadlineMs),
      this.mappingController.stop(deadlineMs),
    ]);
    await withinDeadline(this.deviceReconciler.flushStatus());
    this.metrics.leader.set(0);
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    await withinDeadline(Promise.all([...this.informers.all().map((i) => i.stop()), this.references.stop()]));
    this.sessions.closeAll();
    // Logs the FortiManager sessions out: FMG drops whatever they held.
    await withinDeadline(this.targetReconciler.closeAll());
  }
}
