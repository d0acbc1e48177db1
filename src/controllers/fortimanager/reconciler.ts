import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { FORTIMANAGER_TARGET_KIND, type FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import {
  checkFortiManagerTargetSpec,
  formatProblems,
  type ValidFortiManagerTargetSpec,
} from '../../api/v1alpha1/validation.js';
import type { DesiredDeviceState } from '../../domain/model.js';
import { plan } from '../../domain/plan.js';
import type { Problem } from '../../domain/problem.js';
import type { FortiManagerClient, LockHolder, WorkspaceMode } from '../../fortimanager/index.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../runtime/controller.js';
import { errorMessage } from '../../runtime/errors.js';
import type { EventRegarding } from '../../runtime/event-recorder.js';
import { ensureFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { StatusPatcher } from '../../runtime/status-patcher.js';
import { objectKey, type Lister } from '../../runtime/store.js';
import {
  CLEANUP_FINALIZER,
  FORTIMANAGER_TARGET_GVP,
  FORTIMANAGER_TARGET_INDEX,
  objectRef,
} from '../resources.js';
import { executePlan } from '../device/execute.js';
import { ALL_FAMILIES, readObservedState } from '../device/observe.js';
import { nextRun, type DeviceOutcome } from '../device/schedule.js';
import { DeviceSync, type SyncDeps, type SyncTarget } from '../device/sync.js';
import type { DeviceSession, DeviceSessions } from '../device/sync-state.js';
import { AdomObjects, fmgCause } from './adom-objects.js';
import { classifyTargetFailure, lockRetryMs, workflowProblem } from './failure.js';
import { resolveCredentials, type TargetClientDeps } from './target-client.js';
import { targetStatus, type TargetStatusInput } from './target-status.js';
import type { SessionStore } from './session-store.js';
import { PackageInstaller, workspaceInstalls } from './installer.js';
import { LockOnWrite } from './workspace-writes.js';

/** What the target reconciler reports besides the sync (metrics). */
export interface TargetObserver {
  /** A package install ended (its task finished, failed, or did not start). */
  installFinished?(target: string, pkg: string, ok: boolean, durationMs: number): void;
  /** A sync found the ADOM locked by another administrator. */
  lockRefused?(target: string): void;
  /** A sync went through after `waitedMs` behind another administrator's lock. */
  lockWaitEnded?(target: string, waitedMs: number): void;
}

export interface TargetReconcilerDeps extends SyncDeps, TargetClientDeps {
  targetObserver?: TargetObserver;
  targets: Lister<FortiManagerTarget>;
  mappings: Lister<FortiGateEndpointMapping>;
  /** Sync state per target (the mapping controller reads it as reports). */
  sessions: DeviceSessions;
  customObjects: Pick<CustomObjectsApi, 'patchClusterCustomObject' | 'patchNamespacedCustomObject'>;
  statusPatcher: Pick<StatusPatcher, 'patch'>;
  enqueueMapping: (key: string) => void;
  /** Keeps Session-mode session ids for crash recovery; absent, a crashed session waits for FMG's idle timeout. */
  sessionStore?: SessionStore;
  /** Runs the target again after a delay (an install finished or its window opens). */
  requeueTarget?: (name: string, afterMs: number) => void;
  random?: () => number;
}

/** What the reconciler knows of one target besides the shared sync session. */
interface Connection {
  fmg: FortiManagerClient;
  objects: AdomObjects;
  fingerprint: string;
  ownUser: string | undefined;
  mode?: WorkspaceMode;
  identity?: Awaited<ReturnType<FortiManagerClient['systemStatus']>>;
  lockedBy?: LockHolder;
  lockAttempts: number;
  /** When a sync first found the ADOM locked by someone else (for the lock-wait metric). */
  lockRefusedSinceMs?: number;
  /** The target generation the workspace mode was last read for: a spec change reads it again. */
  identifiedFor?: number;
  /** Start-up recovery (a lock this cluster's admin left behind) ran for this connection. */
  recovered: boolean;
  /** Session login (not an API key): its lock belongs to the session, not to the admin. */
  sessionAuth: boolean;
  /** A session id an earlier process kept and did not log out (read before this client logged in). */
  staleSession?: string;
}

const DEFAULT_DRIFT_MS = 300_000;
const driftMs = (spec: ValidFortiManagerTargetSpec | undefined): number =>
  (spec?.driftCheckIntervalSeconds ?? DEFAULT_DRIFT_MS / 1000) * 1000;

/**
 * Converges one FortiManager ADOM to what the mappings naming it want (ADR 0003). The desired
 * state, plan and executor are the FortiGate sync's (DeviceSync over the ADOM's object tables);
 * this reconciler adds what only FortiManager has: credentials of two kinds, the workspace mode,
 * the lock around each sync's writes, and the recovery of a lock a crash left behind.
 */
export class FortiManagerTargetReconciler implements Reconciler<string> {
  private readonly syncer: DeviceSync;
  private readonly connections = new Map<string, Connection>();
  private readonly specs = new Map<string, ValidFortiManagerTargetSpec>();
  private readonly installers = new Map<string, PackageInstaller>();
  /** ms until a package install is due, per target (from the last sync). */
  private readonly installDue = new Map<string, number>();

  constructor(private readonly deps: TargetReconcilerDeps) {
    this.syncer = new DeviceSync(deps);
  }

  async reconcile(name: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const target = this.deps.targets.get(name);
    if (!target) {
      await this.disconnect(name);
      this.enqueueMappingsOf(name);
      return;
    }
    const session = this.deps.sessions.ensure(name);
    const outcome = await this.converge(target, session, ctx);
    const view = {
      ...(session.lastFullReadMs !== undefined ? { lastFullReadMs: session.lastFullReadMs } : {}),
      anyGroupFailing: [...session.groups.values()].some((g) => !g.ok),
    };
    const next = nextRun(outcome, view, driftMs(this.specs.get(name)), this.deps.clock.now());
    const install = this.installDue.get(name);
    this.installDue.delete(name);
    if (next.after === 'delay')
      return { requeueAfterMs: install === undefined ? next.ms : Math.min(next.ms, install) };
    if (install !== undefined && outcome.kind !== 'failed') return { requeueAfterMs: install };
    if (next.after === 'backoff' && outcome.kind === 'failed') throw outcome.error;
  }

  /** Logs every session out (FMG drops their locks); for shutdown. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.keys()].map((n) => this.disconnect(n)));
  }

  private async converge(
    target: FortiManagerTarget,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const name = target.metadata.name;
    const check = checkFortiManagerTargetSpec(target.spec);
    if (!check.ok) {
      if (target.metadata.deletionTimestamp)
        return this.releaseFinalizer(target, 'the spec is invalid', true);
      session.deviceProblem = { reason: 'InvalidSpec', message: formatProblems(check.problems) };
      this.releaseDeletingMappings(target, session, 'its spec is invalid');
      await this.writeStatus(target, session, false);
      this.enqueueMappingsOf(name);
      return { kind: 'idle' };
    }
    const spec = check.spec;
    this.specs.set(name, spec);
    if (target.metadata.deletionTimestamp) return this.finalize(target, spec, session, ctx);
    await ensureFinalizer(
      this.deps.customObjects,
      { ...FORTIMANAGER_TARGET_GVP, name },
      target,
      CLEANUP_FINALIZER,
    );
    if (spec.suspend) {
      session.deviceProblem = {
        reason: 'Suspended',
        message: 'spec.suspend is true: fortisync writes nothing to this ADOM',
      };
      this.releaseDeletingMappings(target, session, 'spec.suspend is true');
      await this.writeStatus(target, session, false);
      this.enqueueMappingsOf(name);
      return { kind: 'idle' };
    }
    return this.withTarget(target, spec, session, ctx, (conn) => this.sync(target, spec, session, conn, ctx));
  }

  private async sync(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    session: DeviceSession,
    conn: Connection,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    const name = target.metadata.name;
    const now = this.deps.clock.now();
    const driftDue = session.lastFullReadMs === undefined || now - session.lastFullReadMs >= driftMs(spec);
    const generation = target.metadata.generation;
    if (!conn.mode || session.deviceProblem || driftDue || conn.identifiedFor !== generation) {
      await this.identify(conn, ctx);
      conn.identifiedFor = generation;
    }
    if (!conn.recovered) await this.recoverStaleLock(target, conn, ctx);
    if (conn.mode === 'workflow') return this.refuseWorkflow(target, session);
    if (spec.dryRun) this.releaseDeletingMappings(target, session, 'spec.dryRun is true');
    const hadProblem = session.deviceProblem !== undefined || session.lastSyncTime === undefined;
    const outcome = await this.syncer.run(
      this.syncTarget(target, spec, conn),
      spec,
      session,
      conn.objects,
      driftDue,
      ctx,
    );
    session.deviceProblem = undefined;
    conn.lockedBy = undefined;
    conn.lockAttempts = 0;
    if (conn.lockRefusedSinceMs !== undefined)
      this.deps.targetObserver?.lockWaitEnded?.(name, this.deps.clock.now() - conn.lockRefusedSinceMs);
    conn.lockRefusedSinceMs = undefined;
    const installer = this.installer(name);
    if (driftDue) installer.forgetUsage();
    // The groups the sync wrote; without that record, every group it knows and those it released
    // (a released group has left session.groups, yet its members changed).
    const touched = outcome.touchedGroups ?? new Set([...session.groups.keys(), ...outcome.changedGroups]);
    if (outcome.writes > 0 && !spec.dryRun)
      await installer.noteChange(conn.fmg, spec, touched, session.groups);
    const due = await installer.startDue(workspaceInstalls(conn.fmg, conn.mode), spec);
    if (due !== undefined) this.installDue.set(name, due);
    await this.writeStatus(target, session, true);
    if (hadProblem || outcome.changedGroups.size > 0 || outcome.advancedMappings.size > 0)
      this.enqueueMappingsOf(name);
    return outcome;
  }

  /**
   * Writes go through the workspace: in `normal` mode one lock per sync, taken at its first write
   * (the plan's or adoption's), then one commit and the unlock. Adoption (ADR 0004) drains a group
   * only after its add reached the FortiGates (the install policy), and cleans up with where-used.
   */
  private syncTarget(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    conn: Connection,
  ): SyncTarget {
    const installer = this.installer(target.metadata.name);
    return {
      name: target.metadata.name,
      kind: FORTIMANAGER_TARGET_KIND,
      ref: this.ref(target),
      writes: (phase) =>
        conn.fmg.withLazyWorkspace((begin) => phase(new LockOnWrite(conn.objects, begin), begin), conn.mode),
      adoption: {
        owner: target,
        spec,
        hooks: {
          drainHold: (key, since) => installer.drainHold(spec, key, since),
          references: (table, name) =>
            conn.fmg.whereUsed(table, name).then(
              (uses) => uses.length,
              () => undefined,
            ),
        },
      },
    };
  }

  private installer(name: string): PackageInstaller {
    let installer = this.installers.get(name);
    if (!installer) {
      installer = new PackageInstaller(
        () => this.deps.clock.now(),
        () => this.deps.requeueTarget?.(name, 0),
        (pkg, ok, durationMs) => this.deps.targetObserver?.installFinished?.(name, pkg, ok, durationMs),
      );
      this.installers.set(name, installer);
    }
    return installer;
  }

  private async identify(conn: Connection, ctx: ReconcileContext): Promise<void> {
    conn.identity = await conn.fmg.systemStatus();
    conn.mode = await conn.fmg.workspaceMode();
    ctx.logger.info('connected to FortiManager', {
      hostname: conn.identity.hostname,
      adom: conn.fmg.adom,
      workspaceMode: conn.mode,
    });
  }

  /**
   * ADR 0003 §5: a lock this cluster's own admin holds when this process first reaches the ADOM was
   * left by a crash between lock and commit (this process never keeps a lock between syncs).
   * Unlocking discards the half-done change; the next sync writes it again.
   */
  private async recoverStaleLock(
    target: FortiManagerTarget,
    conn: Connection,
    ctx: ReconcileContext,
  ): Promise<void> {
    conn.recovered = true;
    if (conn.staleSession) await this.logoutStaleSession(target, conn, ctx);
    if (conn.mode !== 'normal' || !conn.ownUser || conn.sessionAuth) return;
    const info = await conn.fmg.lockInfo();
    if (!info || info.user !== conn.ownUser) return;
    const since = info.since ? ` since ${new Date(info.since).toISOString()}` : '';
    await conn.fmg.unlock();
    ctx.logger.warn('released a stale ADOM lock of this cluster', { adom: conn.fmg.adom, user: info.user });
    void this.deps.events.record(
      this.ref(target),
      'Warning',
      'StaleLockReleased',
      'Recover',
      `ADOM ${conn.fmg.adom} was locked by ${info.user} (this cluster's admin)${since}, left by an earlier process; unlocked without commit, the next sync writes the change again`,
    );
  }

  /** Session mode: the earlier process's session is logged out; FMG drops its lock and changes. */
  private async logoutStaleSession(
    target: FortiManagerTarget,
    conn: Connection,
    ctx: ReconcileContext,
  ): Promise<void> {
    const stale = conn.staleSession as string;
    conn.staleSession = undefined;
    const held = await conn.fmg.lockInfo().catch(() => undefined);
    await conn.fmg
      .logoutStaleSession(stale)
      .catch((e: unknown) =>
        ctx.logger.info('stale FortiManager session already gone', { error: errorMessage(e) }),
      );
    if (held && held.user === conn.ownUser && !(await conn.fmg.lockInfo().catch(() => undefined)))
      void this.deps.events.record(
        this.ref(target),
        'Warning',
        'StaleLockReleased',
        'Recover',
        `ADOM ${conn.fmg.adom} was locked by ${held.user} (this cluster's admin) in a session an earlier process left open; that session was logged out, FMG discarded its uncommitted change, and the next sync writes it again`,
      );
  }

  private async refuseWorkflow(target: FortiManagerTarget, session: DeviceSession): Promise<DeviceOutcome> {
    session.deviceProblem = workflowProblem(this.specs.get(target.metadata.name)?.adom ?? 'root');
    this.releaseDeletingMappings(target, session, 'the ADOM is in workflow mode');
    await this.writeStatus(target, session, true);
    this.enqueueMappingsOf(target.metadata.name);
    // A mode change on FortiManager sends no Kubernetes event: look again at the drift check.
    return { kind: 'held', untilMs: this.deps.clock.now() + driftMs(this.specs.get(target.metadata.name)) };
  }

  /** Runs `work` with the target's connection; a failure becomes a reported outcome. */
  private async withTarget(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
    work: (conn: Connection) => Promise<DeviceOutcome>,
  ): Promise<DeviceOutcome> {
    try {
      return await work(await this.connect(target, spec, session, ctx));
    } catch (err) {
      return this.recordFailure(target, session, err, ctx);
    }
  }

  /** The target's client, rebuilt (and the old session logged out) when a credential changes. */
  private async connect(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<Connection> {
    const name = target.metadata.name;
    const creds = await resolveCredentials(this.deps, spec, ctx.signal);
    const current = this.connections.get(name);
    if (current && current.fingerprint === creds.fingerprint) return current;
    if (current) await this.disconnect(name);
    const store = spec.auth === 'Session' ? this.deps.sessionStore : undefined;
    // Read before this client logs in: its own session replaces the stored one.
    const staleSession = current ? undefined : await store?.load(name).catch(() => undefined);
    const fmg = this.deps.createClient(name, {
      ...(store
        ? {
            onSession: (s: string | undefined) =>
              void store
                .save(name, s)
                .catch((e: unknown) =>
                  ctx.logger.warn('cannot keep the session id', { error: errorMessage(e) }),
                ),
          }
        : {}),
      baseUrl: spec.url.replace(/\/$/, ''),
      adom: spec.adom,
      auth: creds.auth,
      ...(creds.ca ? { ca: creds.ca } : {}),
      insecureSkipVerify: spec.tls?.insecureSkipVerify ?? false,
      maxSockets: spec.maxConcurrentRequests,
      now: () => this.deps.clock.now(),
    });
    const conn: Connection = {
      fmg,
      objects: new AdomObjects(fmg),
      fingerprint: creds.fingerprint,
      ownUser: creds.ownUser,
      lockAttempts: 0,
      recovered: false,
      sessionAuth: spec.auth === 'Session',
      ...(staleSession ? { staleSession } : {}),
    };
    this.connections.set(name, conn);
    session.client = conn.objects;
    session.stale = true;
    return conn;
  }

  private async disconnect(name: string): Promise<void> {
    const conn = this.connections.get(name);
    this.connections.delete(name);
    const session = this.deps.sessions.get(name);
    if (session) session.client = undefined;
    if (!this.deps.targets.get(name)) {
      this.deps.sessions.close(name);
      this.specs.delete(name);
      this.installers.delete(name);
    }
    await conn?.fmg.close().catch(() => undefined);
  }

  private async recordFailure(
    target: FortiManagerTarget,
    session: DeviceSession,
    err: unknown,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    session.stale = true;
    const { problem, retry } = classifyTargetFailure(err);
    const cause = fmgCause(err);
    if (cause?.kind === 'aborted') return { kind: 'failed', problem, retry, error: err };
    const conn = this.connections.get(target.metadata.name);
    const changed = session.deviceProblem?.reason !== problem.reason;
    session.deviceProblem = problem;
    ctx.logger.warn('FortiManager sync failed', { reason: problem.reason, error: problem.message });
    if (changed)
      void this.deps.events.record(this.ref(target), 'Warning', problem.reason, 'Sync', problem.message);
    if (problem.reason === 'ADOMLocked' && conn) {
      const holder = (cause as { lockedBy?: LockHolder } | undefined)?.lockedBy;
      conn.lockedBy = holder ?? { user: 'another administrator' };
      conn.lockAttempts += 1;
      conn.lockRefusedSinceMs ??= this.deps.clock.now();
      this.deps.targetObserver?.lockRefused?.(target.metadata.name);
    }
    await this.writeStatus(target, session, problem.reason === 'ADOMLocked').catch((e: unknown) =>
      ctx.logger.warn('status write failed', { error: errorMessage(e) }),
    );
    this.enqueueMappingsOf(target.metadata.name);
    if (problem.reason === 'ADOMLocked' && conn)
      return {
        kind: 'held',
        untilMs: this.deps.clock.now() + lockRetryMs(conn.lockAttempts, this.deps.random),
      };
    return { kind: 'failed', problem, retry, error: err };
  }

  private async finalize(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    session: DeviceSession,
    ctx: ReconcileContext,
  ): Promise<DeviceOutcome> {
    if (!hasFinalizer(target, CLEANUP_FINALIZER)) return { kind: 'idle' };
    if (spec.deletionPolicy === 'Retain') return this.releaseFinalizer(target, undefined, false);
    if (spec.suspend) return this.releaseFinalizer(target, 'spec.suspend is true', true);
    if (spec.dryRun) return this.releaseFinalizer(target, 'spec.dryRun is true', true);
    const cleaned = await this.withTarget(target, spec, session, ctx, async (conn) => {
      if (!conn.mode) await this.identify(conn, ctx);
      if (!conn.recovered) await this.recoverStaleLock(target, conn, ctx);
      if (conn.mode === 'workflow') return this.refuseWorkflow(target, session);
      await this.removeOwnedObjects(target, spec, conn, ctx);
      return { kind: 'idle' };
    });
    if (cleaned.kind !== 'idle') return cleaned;
    return this.releaseFinalizer(target, undefined, false);
  }

  /** Deletes every object fortisync owns in the ADOM (deletionPolicy Delete), in one workspace change. */
  private async removeOwnedObjects(
    target: FortiManagerTarget,
    spec: ValidFortiManagerTargetSpec,
    conn: Connection,
    ctx: ReconcileContext,
  ): Promise<void> {
    const observed = await readObservedState(conn.objects, spec.clusterName, ALL_FAMILIES);
    const empty: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
    const thePlan = plan(empty, observed, { clusterName: spec.clusterName });
    if (thePlan.ops.length === 0) return;
    const result = await conn.fmg.withWorkspace(
      () =>
        executePlan(conn.objects, thePlan, observed, {
          clusterName: spec.clusterName,
          concurrency: spec.maxConcurrentRequests,
        }),
      conn.mode,
    );
    for (const e of result.events)
      void this.deps.events.record(this.ref(target), e.type, e.reason, 'Cleanup', e.message);
    const first = [...result.groupProblems.values()][0];
    if (first) throw new Error(`cleanup incomplete: ${first.message}`);
    ctx.logger.info('removed every object fortisync owned in the ADOM', { writes: result.writes });
  }

  private async releaseFinalizer(
    target: FortiManagerTarget,
    retainedBecause: string | undefined,
    warn: boolean,
  ): Promise<DeviceOutcome> {
    const name = target.metadata.name;
    if (!hasFinalizer(target, CLEANUP_FINALIZER)) return { kind: 'idle' };
    if (warn && retainedBecause)
      void this.deps.events.record(
        this.ref(target),
        'Warning',
        'Retained',
        'Cleanup',
        `deleted without cleanup because ${retainedBecause}: the objects fortisync made in the ADOM stay (as with deletionPolicy Retain)`,
      );
    await removeFinalizer(
      this.deps.customObjects,
      { ...FORTIMANAGER_TARGET_GVP, name },
      target,
      CLEANUP_FINALIZER,
    );
    await this.disconnect(name);
    return { kind: 'idle' };
  }

  /** Mappings being deleted are let go by a target that may not write (their namespaces must not hang). */
  private releaseDeletingMappings(target: FortiManagerTarget, session: DeviceSession, why: string): void {
    for (const m of this.deps.mappings.byIndex(FORTIMANAGER_TARGET_INDEX, target.metadata.name)) {
      const uid = m.metadata.uid;
      if (!m.metadata.deletionTimestamp || !uid || session.released.has(uid)) continue;
      session.released.add(uid);
      void this.deps.events.record(
        this.ref(target),
        'Warning',
        'MembersLeftInPlace',
        'Release',
        `mapping ${objectKey(m)} released without writing because ${why}: its members stay in the ADOM until this target writes again`,
      );
    }
  }

  private async writeStatus(
    target: FortiManagerTarget,
    session: DeviceSession,
    connected: boolean,
  ): Promise<void> {
    const conn = this.connections.get(target.metadata.name);
    const fresh = this.deps.targets.get(target.metadata.name) ?? target;
    const problem: Problem | undefined = session.deviceProblem;
    const status = targetStatus(
      {
        connected,
        ...(problem ? { problem } : {}),
        ...(conn?.identity ? { identity: conn.identity } : {}),
        ...(conn?.mode ? { workspaceMode: conn.mode } : {}),
        ...(conn?.lockedBy ? { lockedBy: conn.lockedBy } : {}),
        groups: session.groups,
        ...(session.observed ? { managedAddresses: session.observed.addresses.size } : {}),
        ...(session.lastSyncTime ? { lastSyncTime: session.lastSyncTime } : {}),
        ...(session.lastFullReadMs ? { lastFullReadMs: session.lastFullReadMs } : {}),
        ...this.installInput(target.metadata.name),
        ...this.adoptionInput(target.metadata.name, session),
      },
      fresh.status,
      fresh.metadata.generation,
      this.deps.clock.now(),
    );
    await this.deps.statusPatcher.patch(fresh, status);
  }

  /** status.adoption: this sync's, or null (the field goes) when the spec has no adoption. */
  private adoptionInput(name: string, session: DeviceSession): Pick<TargetStatusInput, 'adoption'> {
    const spec = this.specs.get(name);
    if (spec && !spec.adoption) return { adoption: null };
    return session.adoption?.status ? { adoption: session.adoption.status } : {};
  }

  private installInput(name: string): { install?: NonNullable<TargetStatusInput['install']> } {
    const spec = this.specs.get(name);
    if (!spec) return {};
    const installer = this.installers.get(name);
    return {
      install: {
        policy: spec.install?.policy ?? 'None',
        records: [...(installer?.records.values() ?? [])],
        busy: installer?.busy() ?? false,
        unused: [...(installer?.unused ?? [])].sort(),
      },
    };
  }

  private enqueueMappingsOf(name: string): void {
    for (const m of this.deps.mappings.byIndex(FORTIMANAGER_TARGET_INDEX, name))
      this.deps.enqueueMapping(objectKey(m));
  }

  private ref(target: FortiManagerTarget): EventRegarding {
    return objectRef(FORTIMANAGER_TARGET_KIND, target);
  }
}
