import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  checkDeviceSpec,
  checkMappingSpec,
  formatProblems,
  type ValidDeviceSpec,
} from '../../api/v1alpha1/validation.js';
import type { FortiOSApi } from './fortios-api.js';
import { groupKey, type DesiredDeviceState } from '../../domain/model.js';
import { plan } from '../../domain/plan.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../runtime/controller.js';
import { hasFinalizer, removeFinalizer, ensureFinalizer } from '../../runtime/finalizers.js';
import { FortiOSError } from '../../fortigate/errors.js';
import { errorMessage } from '../../runtime/errors.js';
import { LatestWriter } from '../../runtime/latest-writer.js';
import type { StatusPatcher } from '../../runtime/status-patcher.js';
import { CLEANUP_FINALIZER, DEVICE_GVP, DEVICE_INDEX } from '../resources.js';
import { objectKey, type Lister } from '../../runtime/store.js';
import { deviceClient, type DeviceClientDeps } from './device-client.js';
import { concurrencyOf, deviceRef } from './device-ref.js';
import { deviceStatus } from './device-status.js';
import { executePlan } from './execute.js';
import { classifyFailure } from './failure.js';
import { ALL_FAMILIES, readObservedState } from './observe.js';
import { nextRun, type DeviceOutcome, type SyncOutcome } from './schedule.js';
import { DeviceSync, deviceTarget, type SyncDeps } from './sync.js';
import { anyGroupFailing, type DeviceSession, type DeviceSessions } from './sync-state.js';
import {
  CONFLICT_RECHECK_MS,
  IDENTIFY_WAIT_MS,
  claimantOf,
  conflictMessage,
  scopeDecision,
} from './scope-owner.js';
import type { Problem } from '../../domain/problem.js';

export { DEFERRED_DELETE_MS } from './schedule.js';
export { mappingInputs, type SyncObserver } from './sync.js';

const DEFAULT_DRIFT_CHECK_SECONDS = 300;

export interface DeviceReconcilerDeps extends SyncDeps, DeviceClientDeps {
  devices: Lister<FortiGateDevice>;
  mappings: Lister<FortiGateEndpointMapping>;
  sessions: DeviceSessions;
  customObjects: Pick<CustomObjectsApi, 'patchClusterCustomObject' | 'patchNamespacedCustomObject'>;
  statusPatcher: Pick<StatusPatcher, 'patchOrDefer'>;
  /** Called with mapping keys whose status may have changed. */
  enqueueMapping: (key: string) => void;
  /**
   * Runs the device again after a delay. Only for decisions taken after `reconcile` returned (a
   * status write that failed or was held back); they come from `nextRun` like every other.
   */
  requeueDevice?: (name: string, afterMs: number) => void;
  /** Secrets and ConfigMaps other kinds (FortiManagerTargets) reference: kept watched too. */
  otherReferences?: () => { kind: 'Secret' | 'ConfigMap'; namespace: string; name: string }[];
}

/**
 * Converges one FortiGate (VDOM) to what all mappings targeting it want: one key per device, so a
 * burst of pod events becomes one sync, and no two syncs of a device ever run at once.
 *
 * `reconcile` only sequences steps; what happened is a `DeviceOutcome`, and the pure `nextRun`
 * (schedule.ts) alone decides when the key runs again.
 */
export class DeviceReconciler implements Reconciler<string> {
  private readonly statusWrites = new LatestWriter<string>();
  private readonly syncer: DeviceSync;

  constructor(private readonly deps: DeviceReconcilerDeps) {
    this.syncer = new DeviceSync(deps);
  }

  async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    this.releaseUnusedReferences();
    const device = this.deps.devices.get(name);
    if (!device) {
      this.deps.sessions.close(name);
      this.enqueueMappingsOf(name);
      this.requeueConflicting(); // a device it owned a scope over may take over now
      return;
    }
    const session = this.deps.sessions.ensure(name);
    const outcome = await this.converge(device, session, ctx);
    const next = nextRun(
      outcome,
      scheduleView(session),
      driftIntervalMs(session.spec),
      this.deps.clock.now(),
    );
    if (next.after === 'delay') return { requeueAfterMs: next.ms };
    if (next.after === 'backoff' && outcome.kind === 'failed') throw outcome.error;
    return;
  }

  /** Resolves once every status write submitted so far has finished (clean shutdown). */
  flushStatus(): Promise<void> {
    return this.statusWrites.flush();
  }

  private async converge(
    device: FortiGateDevice,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const name = device.metadata.name;
    const check = checkDeviceSpec(device.spec);
    if (!check.ok) {
      const why = `the spec is invalid (${formatProblems(check.problems)})`;
      if (device.metadata.deletionTimestamp) return this.releaseWithoutCleanup(device, why);
      session.deviceProblem = { reason: 'InvalidSpec', message: formatProblems(check.problems) };
      this.releaseDeletingMappings(device, session, why);
      await this.submitStatus(name, session, false);
      this.enqueueMappingsOf(name);
      return { kind: 'idle' }; // nothing to retry until the spec changes
    }
    const spec = check.spec;
    session.spec = spec;
    if (device.metadata.deletionTimestamp) return this.finalize(device, spec, session, ctx);
    await ensureFinalizer(this.deps.customObjects, { ...DEVICE_GVP, name }, device, CLEANUP_FINALIZER);
    if (spec.suspend) {
      session.deviceProblem = {
        reason: 'Suspended',
        message: 'spec.suspend is true: fortisync writes nothing to this device',
      };
      this.releaseDeletingMappings(device, session, 'spec.suspend is true');
      await this.submitStatus(name, session, Boolean(session.identity));
      this.enqueueMappingsOf(name);
      return { kind: 'idle' };
    }
    return this.withDevice(device, spec, session, ctx, (client) =>
      this.sync(device, spec, session, client, ctx),
    );
  }

  private async sync(
    device: FortiGateDevice,
    spec: ValidDeviceSpec,
    session: DeviceSession,
    client: FortiOSApi,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const name = device.metadata.name;
    if (!session.identity || session.deviceProblem) await this.probeIdentity(client, spec, session, ctx);
    const notMine = this.scopeCheck(device, spec, session);
    if (notMine) return this.reportNotMine(device, session, notMine, ctx);
    if (spec.dryRun) this.releaseDeletingMappings(device, session, 'spec.dryRun is true');
    const driftDue = isDriftDue(session, spec, this.deps.clock.now());
    const hadProblem = session.deviceProblem !== undefined || session.lastSyncTime === undefined;
    // Further batches start beside this sync's writes only while the device stays as it was read
    // here and its drift check is not due (ADR 0009).
    const mayContinue = (): boolean => {
      const current = this.deps.devices.get(name);
      return (
        current?.metadata.generation === device.metadata.generation &&
        !current?.metadata.deletionTimestamp &&
        !isDriftDue(session, spec, this.deps.clock.now())
      );
    };
    const landed = (outcome: SyncOutcome): void => {
      session.deviceProblem = undefined;
      // Not awaited: the changes queued behind this sync should not wait for the API server. The
      // writer keeps status writes in order, and a failed one is retried by a later sync.
      this.submitStatus(name, session, true).catch((e: unknown) => {
        ctx.logger.warn('status write failed', { error: errorMessage(e) });
        this.runAgainLater(name, { kind: 'status', failed: true });
      });
      // Mapping status follows its groups and the generation applied: only mappings whose group
      // changed, or whose new spec this sync applied, need a new status.
      if (!hadProblem)
        this.enqueueMappingsOfGroups(
          name,
          outcome.changedGroups,
          outcome.advancedMappings,
          session.desiredBase?.claimants,
        );
    };
    const target = deviceTarget(device, spec);
    const outcome = await this.syncer.run(target, spec, session, client, driftDue, ctx, {
      mayContinue,
      landed,
    });
    if (hadProblem) this.enqueueMappingsOf(name);
    return outcome;
  }

  private async probeIdentity(
    client: FortiOSApi,
    spec: ValidDeviceSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ) {
    const status = await client.systemStatus();
    session.identity = {
      version: status.version,
      build: status.build,
      serial: status.serial,
      vdom: status.vdom ?? spec.vdom,
      hostname: status.hostname,
      model: status.modelName || status.model,
    };
    ctx.logger.info('connected', { version: status.version, hostname: status.hostname });
  }

  /**
   * Runs `work` with the device's client unless the lockout guard holds requests; a failure
   * becomes a `failed` outcome, reported on the device and its mappings.
   */
  private async withDevice(
    device: FortiGateDevice,
    spec: ValidDeviceSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
    work: (client: FortiOSApi) => Promise<DeviceOutcome>,
  ): Promise<DeviceOutcome> {
    let client: FortiOSApi | undefined;
    try {
      // Resolved before the lockout check: a new token is a new credential, which the guard tries
      // as soon as the host's failure budget allows. Reading the Secret from the cache is free.
      client = await deviceClient(this.deps, device, spec, session, ctx.signal);
      const heldUntil = client.authBlockedUntilMs();
      if (heldUntil > this.deps.clock.now()) {
        // Held by failures this device has not reported (another device on the same FortiGate).
        if (!session.deviceProblem) throw heldByGuard(heldUntil, this.deps.clock.now());
        // The status still says why, now for the generation just seen.
        if (device.status?.observedGeneration !== device.metadata.generation)
          await this.submitStatus(device.metadata.name, session, false);
        return { kind: 'held', untilMs: heldUntil };
      }
      return await work(client);
    } catch (err) {
      return this.recordFailure(device, session, err, client, ctx);
    }
  }

  private async finalize(
    device: FortiGateDevice,
    spec: ValidDeviceSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    if (!hasFinalizer(device, CLEANUP_FINALIZER)) return { kind: 'idle' };
    if (spec.deletionPolicy === 'Retain') return this.releaseFinalizer(device);
    if (spec.suspend) return this.releaseWithoutCleanup(device, 'spec.suspend is true');
    if (spec.dryRun) return this.releaseWithoutCleanup(device, 'spec.dryRun is true');
    const cleaned = await this.withDevice(device, spec, session, ctx, async (client) => {
      if (!session.identity || session.deviceProblem) await this.probeIdentity(client, spec, session, ctx);
      const notMine = this.scopeCheck(device, spec, session);
      if (!notMine) return this.removeOwnedObjects(device, spec, client, ctx);
      if (notMine.problem.reason !== 'Conflict')
        return { kind: 'held', untilMs: this.deps.clock.now() + notMine.retryMs };
      this.recordRetained(device, notMine.problem.message);
      return { kind: 'idle' };
    });
    if (cleaned.kind !== 'idle') return cleaned;
    return this.releaseFinalizer(device);
  }

  private async releaseFinalizer(device: FortiGateDevice): Promise<DeviceOutcome> {
    const name = device.metadata.name;
    if (hasFinalizer(device, CLEANUP_FINALIZER))
      await removeFinalizer(this.deps.customObjects, { ...DEVICE_GVP, name }, device, CLEANUP_FINALIZER);
    this.deps.sessions.close(name);
    this.requeueConflicting();
    return { kind: 'idle' };
  }

  /**
   * A device deleted while it may not write (suspended, dry-run, invalid, another device owns its
   * scope) behaves as deletionPolicy Retain, and says so: its objects stay on the FortiGate.
   */
  private async releaseWithoutCleanup(device: FortiGateDevice, why: string): Promise<DeviceOutcome> {
    if (!hasFinalizer(device, CLEANUP_FINALIZER)) return { kind: 'idle' };
    this.recordRetained(device, why);
    return this.releaseFinalizer(device);
  }

  private recordRetained(device: FortiGateDevice, why: string): void {
    void this.deps.events.record(
      deviceRef(device),
      'Warning',
      'Retained',
      'Cleanup',
      `deleted without cleanup because ${why}: the objects fortisync made on the FortiGate stay (as with deletionPolicy Retain); remove them by hand or let another device with this clusterName take them over`,
    );
  }

  /**
   * Mappings being deleted are let go by a device that may not write: their namespaces must not
   * hang in Terminating. Their members stay on the FortiGate until the device writes again (its
   * next sync no longer wants them) — an Event on the device says so.
   */
  private releaseDeletingMappings(device: FortiGateDevice, session: DeviceSession, why: string): void {
    const name = device.metadata.name;
    for (const m of this.deps.mappings.byIndex(DEVICE_INDEX, name)) {
      const uid = m.metadata.uid;
      if (!m.metadata.deletionTimestamp || !uid || session.released.has(uid)) continue;
      session.released.add(uid);
      void this.deps.events.record(
        deviceRef(device),
        'Warning',
        'MembersLeftInPlace',
        'Release',
        `mapping ${objectKey(m)} released without writing because ${why}: its members stay on the FortiGate until this device writes again (its next sync removes them)`,
      );
    }
  }

  /**
   * Whether this device may write to the FortiGate scope it just identified (scope-owner.ts): its
   * own, another device's (a Conflict problem), or not yet known (an older device is identifying).
   */
  private scopeCheck(
    device: FortiGateDevice,
    spec: ValidDeviceSpec,
    session: DeviceSession,
  ): { problem: Problem; retryMs: number } | undefined {
    const serial = session.identity?.serial;
    if (!serial) return undefined;
    const scope = { serial, vdom: session.identity?.vdom ?? spec.vdom, clusterName: spec.clusterName };
    const claimants = this.deps.devices.list().map((d) => {
      const s = this.deps.sessions.get(d.metadata.name);
      // A device this process tried and that failed before answering claims nothing, and is no
      // reason to wait.
      return claimantOf(d, s?.identity, s?.deviceProblem !== undefined);
    });
    const decision = scopeDecision(device.metadata.name, scope, claimants);
    if (decision.kind === 'owner') return undefined;
    if (decision.kind === 'conflict')
      return {
        problem: { reason: 'Conflict', message: conflictMessage(scope, decision.owner) },
        retryMs: CONFLICT_RECHECK_MS,
      };
    return {
      problem: {
        reason: 'Connecting',
        message: `waiting for the older FortiGateDevice ${decision.for} (same clusterName) to identify its FortiGate: it may own this one`,
      },
      retryMs: IDENTIFY_WAIT_MS,
    };
  }

  /** This device may not write to its FortiGate scope (now): say why, write nothing, look again. */
  private async reportNotMine(
    device: FortiGateDevice,
    session: DeviceSession,
    notMine: { problem: Problem; retryMs: number },
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const { problem } = notMine;
    const name = device.metadata.name;
    const conflict = problem.reason === 'Conflict';
    if (conflict && session.deviceProblem?.reason !== 'Conflict') {
      ctx.logger.warn('another device owns this scope; writing nothing', { problem: problem.message });
      void this.deps.events.record(deviceRef(device), 'Warning', 'Conflict', 'Sync', problem.message);
    }
    session.deviceProblem = problem;
    // Whatever this device read may be another device's business: re-read when it may write.
    session.observed = undefined;
    session.stale = true;
    if (conflict) this.releaseDeletingMappings(device, session, 'another device owns this FortiGate scope');
    await this.submitStatus(name, session, true);
    this.enqueueMappingsOf(name);
    return { kind: 'held', untilMs: this.deps.clock.now() + notMine.retryMs };
  }

  /** Stops watching Secrets and ConfigMaps no device references any more. */
  private releaseUnusedReferences(): void {
    const refs = this.deps.devices.list().flatMap((d) => {
      const s = d.spec;
      return [
        s?.credentialsSecretRef && { kind: 'Secret' as const, ...s.credentialsSecretRef },
        s?.tls?.caSecretRef && { kind: 'Secret' as const, ...s.tls.caSecretRef },
        s?.tls?.caConfigMapRef && { kind: 'ConfigMap' as const, ...s.tls.caConfigMapRef },
      ].filter((r) => r !== undefined);
    });
    this.deps.references.retain([...refs, ...(this.deps.otherReferences?.() ?? [])]);
  }

  /** Devices in Conflict run again now: the owner of their scope may be gone. */
  private requeueConflicting(): void {
    for (const name of this.deps.sessions.names()) {
      if (this.deps.sessions.get(name)?.deviceProblem?.reason === 'Conflict')
        this.deps.requeueDevice?.(name, 0);
    }
  }

  /** Deletes every object fortisync owns on the device (the Delete deletion policy). */
  private async removeOwnedObjects(
    device: FortiGateDevice,
    spec: ValidDeviceSpec,
    client: FortiOSApi,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const observed = await readObservedState(client, spec.clusterName, ALL_FAMILIES);
    const empty: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
    const thePlan = plan(empty, observed, { clusterName: spec.clusterName });
    if (spec.dryRun || thePlan.ops.length === 0) return { kind: 'idle' };
    const result = await executePlan(client, thePlan, observed, {
      clusterName: spec.clusterName,
      concurrency: concurrencyOf(spec),
    });
    for (const e of result.events)
      void this.deps.events.record(deviceRef(device), e.type, e.reason, 'Cleanup', e.message);
    const first = [...result.groupProblems.values()][0];
    if (first) throw new Error(`cleanup incomplete: ${first.message}`);
    ctx.logger.info('removed every object fortisync owned on the device', { writes: result.writes });
    return { kind: 'idle' };
  }

  private async recordFailure(
    device: FortiGateDevice,
    session: DeviceSession,
    err: unknown,
    client: FortiOSApi | undefined,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    session.stale = true;
    const { problem, retry } = classifyFailure(err);
    // Aborted: this replica is stopping (or lost its lease): nothing to report, nothing to write.
    if (err instanceof FortiOSError && err.kind === 'aborted')
      return { kind: 'failed', problem, retry, error: err };
    const changed = session.deviceProblem?.reason !== problem.reason;
    session.deviceProblem = problem;
    ctx.logger.warn('device sync failed', { reason: problem.reason, error: problem.message });
    if (changed)
      void this.deps.events.record(deviceRef(device), 'Warning', problem.reason, 'Sync', problem.message);
    await this.submitStatus(device.metadata.name, session, false).catch((e: unknown) =>
      ctx.logger.warn('status write failed', { error: String(e) }),
    );
    this.enqueueMappingsOf(device.metadata.name);
    const blocked = client?.authBlockedUntilMs();
    return {
      kind: 'failed',
      problem,
      retry,
      ...(blocked ? { authBlockedUntilMs: blocked } : {}),
      error: err,
    };
  }

  /** A decision taken after `reconcile` returned (status writes), applied through the queue. */
  private runAgainLater(name: string, outcome: DeviceOutcome): void {
    const session = this.deps.sessions.get(name);
    if (!session) return;
    const next = nextRun(
      outcome,
      scheduleView(session),
      driftIntervalMs(session.spec),
      this.deps.clock.now(),
    );
    if (next.after === 'delay') this.deps.requeueDevice?.(name, next.ms);
  }

  /** Writes the device's status from the session as it is when the write's turn comes. */
  private submitStatus(name: string, session: DeviceSession, connected: boolean): Promise<void> {
    return this.statusWrites.submit(name, async () => {
      const device = this.deps.devices.get(name);
      if (device) await this.writeStatus(device, session, connected);
    });
  }

  private async writeStatus(
    device: FortiGateDevice,
    session: DeviceSession,
    connected: boolean,
  ): Promise<void> {
    const status = deviceStatus(
      {
        connected,
        ...(session.deviceProblem ? { problem: session.deviceProblem } : {}),
        ...(session.identity ? { identity: session.identity } : {}),
        groups: session.groups,
        ...(session.observed ? { managedAddresses: session.observed.addresses.size } : {}),
        ...(session.lastSyncTime ? { lastSyncTime: session.lastSyncTime } : {}),
        ...(session.lastFullReadMs ? { lastFullReadMs: session.lastFullReadMs } : {}),
        insecureSkipVerify: session.spec?.tls?.insecureSkipVerify === true,
        plainHTTP: session.spec?.url.startsWith('http://') === true,
        ...(session.spec && !session.spec.adoption ? { adoption: null } : {}),
        ...(session.adoption?.status ? { adoption: session.adoption.status } : {}),
      },
      device.status,
      device.metadata.generation,
      this.deps.clock.now(),
    );
    this.deps.observer?.deviceState?.(
      device.metadata.name,
      status.managedAddresses ?? 0,
      status.managedGroups ?? 0,
      connected,
    );
    const written = await this.deps.statusPatcher.patchOrDefer(device, status);
    // Counts held back by the progress interval are written by a later sync.
    if (written.retryAfterMs !== undefined)
      this.runAgainLater(device.metadata.name, {
        kind: 'status',
        failed: false,
        deferredMs: written.retryAfterMs,
      });
  }

  private enqueueMappingsOfGroups(
    device: string,
    groups: ReadonlySet<string>,
    advanced: ReadonlySet<string>,
    claimants: ReadonlyMap<string, ReadonlySet<string>> | undefined,
  ): void {
    if (groups.size === 0 && advanced.size === 0) return;
    for (const key of advanced) if (this.deps.mappings.get(key)) this.deps.enqueueMapping(key);
    // The claimants of the changed groups, as the sync's desired state knows them: a look at the
    // few mappings concerned instead of every mapping of the device (issue 19).
    const candidates = claimants
      ? [...new Set([...groups].flatMap((k) => [...(claimants.get(groupNameOf(k)) ?? [])]))].flatMap(
          (key) => {
            const m = this.deps.mappings.get(key);
            return m ? [m] : [];
          },
        )
      : this.deps.mappings.byIndex(DEVICE_INDEX, device);
    for (const m of candidates) {
      const key = objectKey(m);
      if (advanced.has(key)) continue;
      const check = checkMappingSpec(m.spec); // cached per spec object
      // An invalid mapping's status does not depend on any group.
      if (check.ok && check.spec.ipFamilies.some((f) => groups.has(groupKey(f, check.spec.addressGroup))))
        this.deps.enqueueMapping(key);
    }
  }

  private enqueueMappingsOf(device: string): void {
    for (const m of this.deps.mappings.byIndex(DEVICE_INDEX, device)) {
      this.deps.enqueueMapping(objectKey(m));
    }
  }
}

function heldByGuard(untilMs: number, now: number): FortiOSError {
  const seconds = Math.ceil((untilMs - now) / 1000);
  return new FortiOSError(
    `not sent: a token was refused by this FortiGate moments ago (this or another FortiGateDevice on the same host); waiting${seconds > 0 ? ` about ${seconds} s` : ''} so the FortiGate does not lock the operator out`,
    { kind: 'unauthorized', method: 'GET', path: '/api/v2/monitor/system/status', httpStatus: 401 },
  );
}

/** A device without a valid spec is not drift-checked; the value only bounds `nextRun`'s delays. */
function driftIntervalMs(spec: ValidDeviceSpec | undefined): number {
  return (spec?.driftCheckIntervalSeconds ?? DEFAULT_DRIFT_CHECK_SECONDS) * 1000;
}

/** The group name of a group key (family/name). */
function groupNameOf(key: string): string {
  return key.slice(key.indexOf('/') + 1);
}

function scheduleView(session: DeviceSession) {
  return {
    ...(session.lastFullReadMs !== undefined ? { lastFullReadMs: session.lastFullReadMs } : {}),
    anyGroupFailing: anyGroupFailing(session.groups),
  };
}

/** The device has not been read in full for a drift interval (or ever). */
function isDriftDue(session: DeviceSession, spec: ValidDeviceSpec, now: number): boolean {
  return session.lastFullReadMs === undefined || now - session.lastFullReadMs >= driftIntervalMs(spec);
}
