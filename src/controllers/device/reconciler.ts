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
import { nextRun, type DeviceOutcome } from './schedule.js';
import { DeviceSync, type SyncDeps } from './sync.js';
import type { DeviceSession, DeviceSessions } from './sync-state.js';

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
    const device = this.deps.devices.get(name);
    if (!device) {
      this.deps.sessions.close(name);
      this.enqueueMappingsOf(name);
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
      session.deviceProblem = { reason: 'InvalidSpec', message: formatProblems(check.problems) };
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
    if (!session.identity || session.deviceProblem) await this.probeIdentity(client, session, ctx);
    const now = this.deps.clock.now();
    const driftDue =
      session.lastFullReadMs === undefined || now - session.lastFullReadMs >= driftIntervalMs(spec);
    const hadProblem = session.deviceProblem !== undefined || session.lastSyncTime === undefined;
    const outcome = await this.syncer.run(device, spec, session, client, driftDue, ctx);
    session.deviceProblem = undefined;
    // Not awaited: the changes queued behind this sync should not wait for the API server. The
    // writer keeps status writes in order, and a failed one is retried by a later sync.
    this.submitStatus(name, session, true).catch((e: unknown) => {
      ctx.logger.warn('status write failed', { error: errorMessage(e) });
      this.runAgainLater(name, { kind: 'status', failed: true });
    });
    // Mapping status follows its groups and the generation applied: only mappings whose group
    // changed, or whose new spec this sync applied, need a new status.
    if (hadProblem) this.enqueueMappingsOf(name);
    else this.enqueueMappingsOfGroups(name, outcome.changedGroups, outcome.advancedMappings);
    return outcome;
  }

  private async probeIdentity(client: FortiOSApi, session: DeviceSession, ctx: ReconcileContext) {
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
      // Resolved before the lockout check: a new token (or URL, CA) is a new credential, and a new
      // client starts with an open guard. Reading the Secret from the cache costs the device nothing.
      client = await deviceClient(this.deps, device, spec, session, ctx.signal);
      const heldUntil = client.authBlockedUntilMs();
      if (heldUntil > this.deps.clock.now()) return { kind: 'held', untilMs: heldUntil };
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
    if (spec.deletionPolicy !== 'Retain' && !spec.suspend) {
      const cleaned = await this.withDevice(device, spec, session, ctx, (client) =>
        this.removeOwnedObjects(device, spec, client, ctx),
      );
      if (cleaned.kind !== 'idle') return cleaned;
    }
    const ref = { ...DEVICE_GVP, name: device.metadata.name };
    await removeFinalizer(this.deps.customObjects, ref, device, CLEANUP_FINALIZER);
    this.deps.sessions.close(device.metadata.name);
    return { kind: 'idle' };
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
  ): void {
    if (groups.size === 0 && advanced.size === 0) return;
    for (const m of this.deps.mappings.byIndex(DEVICE_INDEX, device)) {
      const key = objectKey(m);
      const check = checkMappingSpec(m.spec); // cached per spec object
      // An invalid mapping's status does not depend on any group.
      const groupChanged =
        check.ok && check.spec.ipFamilies.some((f) => groups.has(groupKey(f, check.spec.addressGroup)));
      if (groupChanged || advanced.has(key)) this.deps.enqueueMapping(key);
    }
  }

  private enqueueMappingsOf(device: string): void {
    for (const m of this.deps.mappings.byIndex(DEVICE_INDEX, device)) {
      this.deps.enqueueMapping(objectKey(m));
    }
  }
}

/** A device without a valid spec is not drift-checked; the value only bounds `nextRun`'s delays. */
function driftIntervalMs(spec: ValidDeviceSpec | undefined): number {
  return (spec?.driftCheckIntervalSeconds ?? DEFAULT_DRIFT_CHECK_SECONDS) * 1000;
}

function scheduleView(session: DeviceSession) {
  return {
    ...(session.lastFullReadMs !== undefined ? { lastFullReadMs: session.lastFullReadMs } : {}),
    anyGroupFailing: [...session.groups.values()].some((g) => !g.ok),
  };
}
