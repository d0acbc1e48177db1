import { createHash } from 'node:crypto';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  DEFAULT_MAX_CONCURRENT_REQUESTS,
  type FortiGateDevice,
  type FortiGateDeviceSpec,
  type FortiGateDeviceStatus,
} from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping, IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { checkDeviceSpec, checkMappingSpec, formatProblems } from '../../api/v1alpha1/validation.js';
import type { FortiGateClient, FortiGateClientOptions } from '../../fortigate/client.js';
import { FortiOSError } from '../../fortigate/errors.js';
import {
  desiredDeviceState,
  type ClusterView,
  type DeviceInput,
  type MappingInput,
} from '../../domain/desired.js';
import { addressKey, groupKey, type DesiredDeviceState, type Plan } from '../../domain/model.js';
import { opsForGroup, plan } from '../../domain/plan.js';
import type { Clock } from '../../runtime/clock.js';
import { formatTime, setCondition, type Condition } from '../../runtime/conditions.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/event-recorder.js';
import { hasFinalizer, removeFinalizer, ensureFinalizer } from '../../runtime/finalizers.js';
import { errorMessage } from '../../runtime/errors.js';
import type { Informer } from '../../runtime/informer.js';
import { LatestWriter } from '../../runtime/latest-writer.js';
import type { StatusPatcher } from '../../runtime/status-patcher.js';
import { CLEANUP_FINALIZER, DEVICE_GVP, mappingKeyOf } from '../resources.js';
import { executePlan, undeletableGroupKey, type Problem } from './execute.js';
import { readObservedState } from './observe.js';
import { ADVICE, DEVICE_WIDE_KINDS, REASON_BY_KIND } from './reasons.js';
import type { MemberCache } from '../member-cache.js';
import { ReferenceProblem, type ReferencedObjects } from './referenced-objects.js';
import type { DeviceSession, DeviceSessions } from './sync-state.js';

const ALL_FAMILIES: IPFamily[] = ['IPv4', 'IPv6'];
/** After a 401 or 429, wait this long: FortiOS locks a source out after 3 failures within 60 s. */
export const AUTH_BACKOFF_MS = 120_000;
/** A sync that left a group failing tries again after this long (or at the drift check, if sooner). */
export const GROUP_RETRY_MS = 10_000;
/**
 * Unused addresses a sync left behind are deleted by a sync this much later at the latest; under a
 * stream of changes the next sync comes sooner and takes them along.
 */
export const DEFERRED_DELETE_MS = 1000;
const STATUS_RETRY_MS = 5000;

export interface SyncObserver {
  /** A sync performed these operations (for metrics and propagation timing). */
  synced?(
    device: string,
    result: { writes: number; reads: number; durationMs: number; opCount: number },
  ): void;
  deviceState?(device: string, managedAddresses: number, managedGroups: number, connected: boolean): void;
}

export interface DeviceReconcilerDeps {
  devices: Informer<FortiGateDevice>;
  mappings: Informer<FortiGateEndpointMapping>;
  view: ClusterView;
  /** Members remembered between syncs (see MemberCache); computed afresh on every sync without. */
  memberCache?: MemberCache;
  sessions: DeviceSessions;
  references: ReferencedObjects;
  customObjects: Pick<CustomObjectsApi, 'patchClusterCustomObject' | 'patchNamespacedCustomObject'>;
  statusPatcher: StatusPatcher;
  events: EventRecorder;
  createClient: (device: string, options: FortiGateClientOptions) => FortiGateClient;
  clock: Clock;
  /** Called with mapping keys whose status may have changed. */
  enqueueMapping: (key: string) => void;
  /** Reconcile this device again after a delay (a status write that failed after the sync returned). */
  requeueDevice?: (name: string, afterMs: number) => void;
  observer?: SyncObserver;
  /** Extra client options (timeouts, request hook) applied to every device client. */
  clientOptions?: Partial<FortiGateClientOptions>;
}

/** The mappings of the cache, validated, as the desired-state computation takes them. */
export function mappingInputs(mappings: FortiGateEndpointMapping[]): MappingInput[] {
  const inputs: MappingInput[] = [];
  for (const m of mappings) {
    const check = checkMappingSpec(m.spec);
    if (!check.ok) continue; // contributes nothing: its members leave (fail closed)
    inputs.push({
      key: mappingKeyOf(m.metadata.namespace ?? '', m.metadata.name),
      namespace: m.metadata.namespace ?? '',
      name: m.metadata.name,
      spec: check.spec,
      deleting: Boolean(m.metadata.deletionTimestamp),
      ...(m.metadata.uid ? { uid: m.metadata.uid } : {}),
    });
  }
  return inputs;
}

/**
 * Converges one FortiGate (VDOM) to what all mappings targeting it want: one key per device, so a
 * burst of pod events becomes one sync, and no two syncs of a device ever run at once.
 */
export class DeviceReconciler implements Reconciler<string> {
  private readonly statusWrites = new LatestWriter<string>();

  constructor(private readonly deps: DeviceReconcilerDeps) {}

  async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileRequest | void> {
    const { deps } = this;
    const device = deps.devices.get(name);
    if (!device) {
      deps.sessions.close(name);
      this.enqueueMappingsOf(name);
      return;
    }
    const check = checkDeviceSpec(device.spec);
    const session = deps.sessions.ensure(name);
    if (!check.ok) {
      session.deviceProblem = { reason: 'InvalidSpec', message: formatProblems(check.problems) };
      await this.submitStatus(name, session, false);
      this.enqueueMappingsOf(name);
      return; // nothing to retry until the spec changes
    }
    const spec = check.spec;
    session.spec = spec;

    if (device.metadata.deletionTimestamp) return this.finalize(device, spec, session, ctx);
    await ensureFinalizer(deps.customObjects, { ...DEVICE_GVP, name }, device, CLEANUP_FINALIZER);

    if (spec.suspend) {
      session.deviceProblem = {
        reason: 'Suspended',
        message: 'spec.suspend is true: fortisync writes nothing to this device',
      };
      await this.submitStatus(name, session, Boolean(session.identity));
      this.enqueueMappingsOf(name);
      return;
    }
    try {
      // Resolved before the 401 back-off check: a new token (or URL, CA) is a new credential, and
      // clientFor() clears the wait when the client's fingerprint changes. Reading the Secret from
      // the cache costs the device nothing.
      const client = await this.clientFor(device, spec, session, ctx);
      const waitMs = (session.notBeforeMs ?? 0) - deps.clock.now();
      if (waitMs > 0) return { requeueAfterMs: waitMs };
      if (!session.identity || session.deviceProblem) {
        const status = await client.systemStatus();
        session.identity = {
          version: status.version,
          build: status.build,
          serial: status.serial,
          hostname: status.hostname,
          model: status.modelName || status.model,
        };
        ctx.logger.info('connected', { version: status.version, hostname: status.hostname });
      }
      const driftDue =
        session.lastFullReadMs === undefined ||
        deps.clock.now() - session.lastFullReadMs >= (spec.driftCheckIntervalSeconds ?? 300) * 1000;
      const hadProblem = session.deviceProblem !== undefined || session.lastSyncTime === undefined;
      const changedGroups = await this.sync(device, spec, session, client, driftDue, ctx);
      session.deviceProblem = undefined;
      // Not awaited: the changes queued behind this sync should not wait for the API server. The
      // writer keeps status writes in order, and a failed one is retried by a later sync.
      this.submitStatus(name, session, true).catch((e: unknown) => {
        ctx.logger.warn('status write failed', { error: errorMessage(e) });
        deps.requeueDevice?.(name, STATUS_RETRY_MS);
      });
      // Mapping status follows its groups: only mappings whose group changed need a new status.
      if (hadProblem) this.enqueueMappingsOf(name);
      else this.enqueueMappingsOfGroups(name, changedGroups);
      const nextDrift =
        (session.lastFullReadMs ?? deps.clock.now()) + (spec.driftCheckIntervalSeconds ?? 300) * 1000;
      // A group that could not be written (table full, name conflict, a member refused…) is retried
      // well before the next drift check: its cause may be gone without any Kubernetes event.
      const failing = session.lastSyncHadProblems === true || [...session.groups.values()].some((g) => !g.ok);
      const next = Math.max(1000, nextDrift - deps.clock.now());
      // When this sync wrote something (e.g. deleted addresses, making room in a full table), soon.
      const retry = (session.lastWrites ?? 0) > 0 ? 1000 : GROUP_RETRY_MS;
      // Addresses released by this sync's group writes are deleted by the next one.
      if (session.deferredDeletes > 0) return { requeueAfterMs: Math.min(next, DEFERRED_DELETE_MS) };
      return { requeueAfterMs: failing ? Math.min(next, retry) : next };
    } catch (err) {
      return this.handleFailure(device, session, err, ctx);
    }
  }

  private async sync(
    device: FortiGateDevice,
    spec: FortiGateDeviceSpec,
    session: DeviceSession,
    client: FortiGateClient,
    fullRead: boolean,
    ctx: ReconcileContext,
  ): Promise<Set<string>> {
    const { deps } = this;
    const started = deps.clock.now();
    let reads = 0;
    if (fullRead || session.stale || !session.observed) {
      session.observed = await readObservedState(client, spec.clusterName, ALL_FAMILIES);
      reads += ALL_FAMILIES.length * 2;
      session.lastFullReadMs = deps.clock.now();
      session.stale = false;
      session.undeletable.clear();
      // The drift check re-reads the device; the cluster side starts afresh too.
      deps.memberCache?.invalidateAll();
    }
    const input: DeviceInput = { name: device.metadata.name, spec };
    const mappings = mappingInputs(deps.mappings.list());
    const desired = desiredDeviceState(input, mappings, deps.view, deps.memberCache?.membersOf);
    const limits = {
      clusterName: spec.clusterName,
      ...(spec.limits?.maxAddresses !== undefined ? { maxAddresses: spec.limits.maxAddresses } : {}),
      ...(spec.limits?.maxMembersPerGroup !== undefined
        ? { maxMembersPerGroup: spec.limits.maxMembersPerGroup }
        : {}),
    };
    const thePlan = plan(desired, session.observed, limits);
    // Addresses that a policy pins are not retried on every sync, only after the next full read.
    thePlan.ops = thePlan.ops.filter(
      (op) =>
        !(op.op === 'deleteAddress' && session.undeletable.has(addressKey(op.family, op.name))) &&
        !(op.op === 'deleteGroup' && session.undeletable.has(undeletableGroupKey(op.family, op.name))),
    );
    const now = formatTime(deps.clock.now());
    this.recordDryRunPlans(desired, session, limits);

    let writes = 0;
    session.lastWrites = 0;
    session.deferredDeletes = 0;
    session.lastSyncHadProblems = false;
    let groupProblems = new Map(thePlan.problems);
    if (thePlan.ops.length > 0 && !spec.dryRun) {
      ctx.logger.info('applying plan', { ops: thePlan.ops.length, summary: summarize(thePlan) });
      const result = await executePlan(client, thePlan, session.observed, {
        clusterName: spec.clusterName,
        concurrency: concurrencyOf(spec),
        deferLateDeletes: true,
      });
      session.deferredDeletes = result.deferredDeletes;
      writes = result.writes;
      session.lastWrites = writes;
      reads += result.reads;
      groupProblems = result.groupProblems;
      session.lastSyncHadProblems =
        groupProblems.size > 0 || result.stale || result.events.some((e) => e.reason === 'DeleteFailed');
      if (result.stale) session.stale = true;
      for (const k of result.undeletable) session.undeletable.add(k);
      for (const e of result.events) {
        void deps.events.record(deviceRef(device), e.type, e.reason, 'Sync', e.message);
      }
    }
    const touched = spec.dryRun ? new Set<string>() : touchedGroups(thePlan, desired);
    const changed = new Set<string>();
    for (const [key, g] of desired.groups) {
      const before = session.groups.get(key);
      if (g.frozen) {
        if (before?.plannedOps) changed.add(key); // dry-run previews live in mapping status
        continue;
      }
      const problem = groupProblems.get(key);
      const lastSyncTime = problem
        ? before?.lastSyncTime
        : touched.has(key) || !before?.lastSyncTime
          ? now
          : before.lastSyncTime;
      const next = {
        ok: !problem,
        ...(problem ? { problem } : {}),
        ...(lastSyncTime ? { lastSyncTime } : {}),
        ...(before?.plannedOps ? { plannedOps: before.plannedOps } : {}),
      };
      if (
        !before ||
        before.ok !== next.ok ||
        before.problem?.message !== next.problem?.message ||
        before.lastSyncTime !== next.lastSyncTime
      ) {
        changed.add(key);
      }
      session.groups.set(key, next);
    }
    for (const key of [...session.groups.keys()]) {
      if (!desired.groups.has(key)) {
        session.groups.delete(key);
        changed.add(key);
      }
    }
    for (const rel of desired.releasing.values())
      for (const f of rel.families) changed.add(groupKey(f, rel.group));
    // Deleting mappings whose groups were written without a problem have left this device.
    for (const m of mappings) {
      if (!m.deleting) continue;
      const families = m.spec.ipFamilies ?? ['IPv4'];
      const failed = families.some((f) => groupProblems.has(groupKey(f, m.spec.addressGroup)));
      const uid = m.uid;
      if (!failed && uid && !spec.dryRun) session.released.add(uid);
    }
    if (groupProblems.size === 0 && (writes > 0 || !session.lastSyncTime)) session.lastSyncTime = now;
    deps.observer?.synced?.(device.metadata.name, {
      writes,
      reads,
      durationMs: deps.clock.now() - started,
      opCount: thePlan.ops.length,
    });
    return changed;
  }

  /** For groups in dry-run (device or mapping), the operations a real sync would perform. */
  private recordDryRunPlans(
    desired: DesiredDeviceState,
    session: DeviceSession,
    limits: Parameters<typeof plan>[2],
  ): void {
    const frozenKeys = [...desired.groups.entries()].filter(([, g]) => g.frozen).map(([k]) => k);
    for (const [key, g] of desired.groups) {
      const state = session.groups.get(key);
      if (!g.frozen && state) delete state.plannedOps;
    }
    if (frozenKeys.length === 0 || !session.observed) return;
    const thawed: DesiredDeviceState = {
      ...desired,
      groups: new Map([...desired.groups].map(([k, g]) => [k, { ...g, frozen: false }])),
    };
    const preview = plan(thawed, session.observed, limits);
    for (const key of frozenKeys) {
      const g = desired.groups.get(key)!;
      session.groups.set(key, {
        ...(session.groups.get(key) ?? { ok: true }),
        plannedOps: opsForGroup(preview, g.family, g.name, thawed),
      });
    }
  }

  private async finalize(
    device: FortiGateDevice,
    spec: FortiGateDeviceSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<ReconcileRequest | void> {
    const { deps } = this;
    if (!hasFinalizer(device, CLEANUP_FINALIZER)) return;
    if (spec.deletionPolicy !== 'Retain' && !spec.suspend) {
      try {
        const client = await this.clientFor(device, spec, session, ctx);
        // After a 401 or 429, the cleanup waits too (lockout safety).
        const waitMs = (session.notBeforeMs ?? 0) - deps.clock.now();
        if (waitMs > 0) return { requeueAfterMs: waitMs };
        const observed = await readObservedState(client, spec.clusterName, ALL_FAMILIES);
        const empty: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
        const thePlan = plan(empty, observed, { clusterName: spec.clusterName });
        if (!spec.dryRun && thePlan.ops.length > 0) {
          const result = await executePlan(client, thePlan, observed, {
            clusterName: spec.clusterName,
            concurrency: concurrencyOf(spec),
          });
          for (const e of result.events)
            void deps.events.record(deviceRef(device), e.type, e.reason, 'Cleanup', e.message);
          if (result.groupProblems.size > 0) {
            const first = [...result.groupProblems.values()][0] as Problem;
            throw new Error(`cleanup incomplete: ${first.message}`);
          }
          ctx.logger.info('removed every object fortisync owned on the device', { writes: result.writes });
        }
      } catch (err) {
        return this.handleFailure(device, session, err, ctx);
      }
    }
    await removeFinalizer(
      deps.customObjects,
      { ...DEVICE_GVP, name: device.metadata.name },
      device,
      CLEANUP_FINALIZER,
    );
    deps.sessions.close(device.metadata.name);
  }

  private async clientFor(
    device: FortiGateDevice,
    spec: FortiGateDeviceSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<FortiGateClient> {
    const { deps } = this;
    const ref = spec.credentialsSecretRef;
    const token = await deps.references.value(
      { kind: 'Secret', namespace: ref.namespace, name: ref.name, key: ref.key ?? 'token' },
      ctx.signal,
    );
    let ca: string | undefined = spec.tls?.caBundle;
    if (spec.tls?.caSecretRef) {
      const r = spec.tls.caSecretRef;
      ca = await deps.references.value(
        { kind: 'Secret', namespace: r.namespace, name: r.name, key: r.key ?? 'ca.crt' },
        ctx.signal,
      );
    } else if (spec.tls?.caConfigMapRef) {
      const r = spec.tls.caConfigMapRef;
      ca = await deps.references.value(
        { kind: 'ConfigMap', namespace: r.namespace, name: r.name, key: r.key ?? 'ca.crt' },
        ctx.signal,
      );
    }
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          spec.url,
          spec.vdom,
          token,
          ca ?? '',
          spec.tls?.insecureSkipVerify ?? false,
          concurrencyOf(spec),
        ]),
      )
      .digest('hex');
    if (session.client && session.clientFingerprint === fingerprint) return session.client;
    session.client?.close();
    session.client = deps.createClient(device.metadata.name, {
      ...deps.clientOptions,
      baseUrl: spec.url,
      vdom: spec.vdom ?? 'root',
      token,
      ...(ca ? { ca } : {}),
      insecureSkipVerify: spec.tls?.insecureSkipVerify ?? false,
      maxSockets: concurrencyOf(spec),
    });
    session.clientFingerprint = fingerprint;
    session.identity = undefined;
    session.stale = true;
    session.notBeforeMs = undefined;
    return session.client;
  }

  private async handleFailure(
    device: FortiGateDevice,
    session: DeviceSession,
    err: unknown,
    ctx: ReconcileContext,
  ): Promise<ReconcileRequest | void> {
    const { deps } = this;
    session.stale = true;
    let problem: Problem;
    let retry: ReconcileRequest | undefined;
    if (err instanceof ReferenceProblem) {
      problem = {
        reason: err.reason,
        message: `${err.message}: create it or fix spec.credentialsSecretRef / spec.tls`,
      };
      retry = {}; // the watch on the object re-triggers when it appears
    } else if (err instanceof FortiOSError && DEVICE_WIDE_KINDS.has(err.kind)) {
      const reason = REASON_BY_KIND[err.kind];
      problem = { reason, message: `${err.message}${ADVICE[reason] ? ` — ${ADVICE[reason]}` : ''}` };
      if (err.kind === 'unauthorized' || err.kind === 'locked-out') {
        session.notBeforeMs = deps.clock.now() + AUTH_BACKOFF_MS;
        retry = { requeueAfterMs: AUTH_BACKOFF_MS };
      }
    } else if (err instanceof FortiOSError) {
      problem = { reason: REASON_BY_KIND[err.kind], message: err.message };
    } else {
      problem = { reason: 'SyncFailed', message: err instanceof Error ? err.message : String(err) };
    }
    const changed = session.deviceProblem?.reason !== problem.reason;
    session.deviceProblem = problem;
    ctx.logger.warn('device sync failed', { reason: problem.reason, error: problem.message });
    if (changed)
      void deps.events.record(deviceRef(device), 'Warning', problem.reason, 'Sync', problem.message);
    await this.submitStatus(device.metadata.name, session, false).catch((e: unknown) =>
      ctx.logger.warn('status write failed', { error: String(e) }),
    );
    this.enqueueMappingsOf(device.metadata.name);
    if (retry) return retry;
    throw err; // rate-limited retry with per-key backoff
  }

  /** Writes the device's status from the session as it is when the write's turn comes. */
  private submitStatus(name: string, session: DeviceSession, connected: boolean): Promise<void> {
    return this.statusWrites.submit(name, async () => {
      const device = this.deps.devices.get(name);
      if (device) await this.writeStatus(device, session, connected);
    });
  }

  /** Resolves once every status write submitted so far has finished (clean shutdown). */
  flushStatus(): Promise<void> {
    return this.statusWrites.flush();
  }

  private async writeStatus(
    device: FortiGateDevice,
    session: DeviceSession,
    connected: boolean,
  ): Promise<void> {
    const now = this.deps.clock.now();
    const generation = device.metadata.generation;
    const prev = device.status ?? {};
    let conditions: Condition[] = (prev.conditions ?? []) as Condition[];
    const p = session.deviceProblem;
    const connectedCond = connected
      ? {
          type: 'Connected',
          status: 'True' as const,
          reason: 'Connected',
          message: `FortiOS ${session.identity?.version ?? ''} answered`.trim(),
        }
      : {
          type: 'Connected',
          status: (p?.reason === 'InvalidSpec' || p?.reason === 'Suspended' ? 'Unknown' : 'False') as
            'Unknown' | 'False',
          reason: p?.reason ?? 'Connecting',
          message: p?.message ?? 'not contacted yet',
        };
    conditions = setCondition(
      conditions,
      { ...connectedCond, ...(generation ? { observedGeneration: generation } : {}) },
      now,
    );
    const failing = [...session.groups.entries()].filter(([, g]) => !g.ok);
    const ready = p
      ? { status: 'False' as const, reason: p.reason, message: p.message }
      : failing.length > 0
        ? {
            status: 'False' as const,
            reason: failing[0]?.[1].problem?.reason ?? 'SyncFailed',
            message: failing
              .map(([k, g]) => `${k}: ${g.problem?.message ?? 'failed'}`)
              .join('; ')
              .slice(0, 2000),
          }
        : { status: 'True' as const, reason: 'Synced', message: `${session.groups.size} group(s) in sync` };
    conditions = setCondition(
      conditions,
      { type: 'Ready', ...ready, ...(generation ? { observedGeneration: generation } : {}) },
      now,
    );
    const insecure = session.spec?.tls?.insecureSkipVerify === true;
    conditions = insecure
      ? setCondition(
          conditions,
          {
            type: 'InsecureTLS',
            status: 'True',
            reason: 'CertificateNotVerified',
            message:
              'spec.tls.insecureSkipVerify is set: the FortiGate certificate is not verified and the token could be intercepted',
          },
          now,
        )
      : conditions.filter((c) => c.type !== 'InsecureTLS');
    const observed = session.observed;
    const status: FortiGateDeviceStatus = {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions,
      ...(session.identity ? { fortios: session.identity } : prev.fortios ? { fortios: prev.fortios } : {}),
      ...(observed
        ? {
            managedAddresses: observed.addresses.size,
            managedGroups: [...session.groups.keys()].length,
          }
        : {}),
      ...(session.lastSyncTime
        ? { lastSyncTime: session.lastSyncTime }
        : prev.lastSyncTime
          ? { lastSyncTime: prev.lastSyncTime }
          : {}),
      ...(session.lastFullReadMs ? { lastDriftCheckTime: formatTime(session.lastFullReadMs) } : {}),
    };
    this.deps.observer?.deviceState?.(
      device.metadata.name,
      status.managedAddresses ?? 0,
      status.managedGroups ?? 0,
      connected,
    );
    const outcome = await this.deps.statusPatcher.patchOrDefer(device, status);
    // Counts held back by the progress interval are written by a later sync.
    if (outcome.retryAfterMs !== undefined)
      this.deps.requeueDevice?.(device.metadata.name, outcome.retryAfterMs);
  }

  private enqueueMappingsOfGroups(device: string, groups: Set<string>): void {
    if (groups.size === 0) return;
    for (const m of this.deps.mappings.byIndex('device', device)) {
      const families = m.spec?.ipFamilies ?? ['IPv4'];
      if (families.some((f) => groups.has(groupKey(f, m.spec?.addressGroup ?? '')))) {
        this.deps.enqueueMapping(mappingKeyOf(m.metadata.namespace ?? '', m.metadata.name));
      }
    }
  }

  private enqueueMappingsOf(device: string): void {
    for (const m of this.deps.mappings.byIndex('device', device)) {
      this.deps.enqueueMapping(mappingKeyOf(m.metadata.namespace ?? '', m.metadata.name));
    }
  }
}

/** Requests in flight to the device at once: the plan's concurrency and the client's sockets. */
function concurrencyOf(spec: FortiGateDeviceSpec): number {
  return spec.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
}

function deviceRef(device: FortiGateDevice) {
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateDevice',
    name: device.metadata.name,
    ...(device.metadata.uid ? { uid: device.metadata.uid } : {}),
  };
}

/** Groups a plan writes, directly or through the addresses they hold. */
function touchedGroups(p: Plan, desired: DesiredDeviceState): Set<string> {
  const touched = new Set<string>();
  const changedAddresses = new Set<string>();
  for (const op of p.ops) {
    if (op.op === 'createGroup' || op.op === 'setGroupMembers' || op.op === 'deleteGroup') {
      touched.add(groupKey(op.family, op.name));
    } else if (op.op === 'createAddress' || op.op === 'updateAddress') {
      changedAddresses.add(addressKey(op.address.family, op.address.name));
    }
  }
  if (changedAddresses.size > 0) {
    for (const [key, g] of desired.groups) {
      for (const m of g.members) if (changedAddresses.has(addressKey(g.family, m))) touched.add(key);
    }
  }
  return touched;
}

function summarize(p: Plan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of p.ops) counts[op.op] = (counts[op.op] ?? 0) + 1;
  return counts;
}
