import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping, TargetKind } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { checkMappingSpec, type ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import type { FortiOSApi } from './fortios-api.js';
import {
  thawMappings,
  type ClusterView,
  type TargetPolicy,
  type DesiredContext,
  type MappingInput,
} from '../../domain/desired.js';
import {
  addressKey,
  groupKey,
  type DesiredDeviceState,
  type ObservedDeviceState,
  type Plan,
  type PlanOp,
} from '../../domain/model.js';
import { foreignGroups } from '../../domain/tenancy.js';
import { opsForMapping, plan, planOptions, type PlanOptions } from '../../domain/plan.js';
import { IncrementalPlanner, type DivergenceReport, type Planned, type PlanInputs } from './incremental.js';
import { footprintOf, footprintsMeet, groupsOfChanges, type Footprint } from './overlap.js';
import { OverlappedSync, type NextBatch } from './overlapped-sync.js';
import type { Problem } from '../../domain/problem.js';
import type { Clock } from '../../runtime/clock.js';
import { formatTime } from '../../runtime/conditions.js';
import type { ReconcileContext } from '../../runtime/controller.js';
import type { EventRecorder, EventRegarding } from '../../runtime/event-recorder.js';
import type { MemberCache } from '../member-cache.js';
import { objectKey, type Lister } from '../../runtime/store.js';
import { concurrencyOf, deviceRef } from './device-ref.js';
import { executePlan, undeletableGroupKey } from './execute.js';
import {
  noteRewrites,
  prepareAdoption,
  runAdoption,
  withoutStoppedGroups,
  type AdoptionHooks,
  type AdoptionOwner,
  type AdoptionResult,
  type AdoptionSpec,
} from './adoption.js';
import { recordGroupResults, touchedGroups } from './group-results.js';
import {
  allMappings,
  bookkeepingDifferences,
  bookkeepingWithout,
  changedMappings,
  copyBookkeeping,
  type Bookkeeping,
  type MappingScope,
  recordMappingProblems,
  recordReleased,
  recordSeenGenerations,
  rememberContributions,
} from './sync-bookkeeping.js';
import { ALL_FAMILIES, readObservedState } from './observe.js';
import type { SyncOutcome } from './schedule.js';
import type { DeviceSession } from './sync-state.js';

export interface SyncObserver {
  /** A sync performed these operations (for metrics and propagation timing). */
  synced?(
    device: string,
    result: {
      writes: number;
      reads: number;
      startedMs: number;
      /** The mappings it recomputed ('all': every one): the changes seen for them were its. */
      handledMappings: ReadonlySet<string> | 'all';
      /** It started while an earlier batch of the same sync was still writing (ADR 0009). */
      beside: boolean;
      durationMs: number;
      opCount: number;
      /**
       * Mappings whose groups this sync wrote (directly or through their addresses), each with
       * when the last of those writes was acknowledged (clock of SyncDeps.clock).
       */
      writtenMappings: ReadonlyMap<string, number>;
    },
  ): void;
  deviceState?(device: string, managedAddresses: number, managedGroups: number, connected: boolean): void;
}

export interface SyncDeps {
  mappings: Lister<FortiGateEndpointMapping>;
  view: ClusterView;
  /** Members remembered between syncs (see MemberCache); computed afresh on every sync without. */
  memberCache?: MemberCache;
  events: Pick<EventRecorder, 'record'>;
  clock: Clock;
  observer?: SyncObserver;
  /** Recompute every incremental sync in full and report differences (tests). */
  verifyIncremental?: DivergenceReport;
  /** How long further batches may start beside a sync's first (ADR 0009); 0 turns it off. */
  overlapWindowMs?: number;
}

/**
 * Inputs per cached mapping object: the informer replaces the object on every change, so an entry
 * never goes stale, and a sync over thousands of unchanged mappings builds nothing (issue 19).
 */
const inputsByObject = new WeakMap<FortiGateEndpointMapping, MappingInput | null>();

/** The mappings of the cache, validated, as the desired-state computation takes them. */
export function mappingInputs(mappings: FortiGateEndpointMapping[]): MappingInput[] {
  const inputs: MappingInput[] = [];
  for (const m of mappings) {
    let input = inputsByObject.get(m);
    if (input === undefined) {
      input = mappingInput(m);
      inputsByObject.set(m, input);
    }
    if (input) inputs.push(input);
  }
  return inputs;
}

function mappingInput(m: FortiGateEndpointMapping): MappingInput | null {
  const check = checkMappingSpec(m.spec);
  if (!check.ok) return null; // contributes nothing: its members leave (fail closed)
  return {
    key: objectKey(m),
    namespace: m.metadata.namespace ?? '',
    name: m.metadata.name,
    spec: check.spec,
    deleting: Boolean(m.metadata.deletionTimestamp),
    ...(m.metadata.uid ? { uid: m.metadata.uid } : {}),
    ...(m.metadata.generation !== undefined ? { generation: m.metadata.generation } : {}),
    ...(m.metadata.creationTimestamp ? { createdAt: formatCreation(m.metadata.creationTimestamp) } : {}),
  };
}

/**
 * What one sync writes to: a FortiGateDevice, or a FortiManagerTarget's ADOM (ADR 0003). The sync
 * itself does not know which; `writes` wraps the plan's execution (FortiManager's workspace lock).
 */
export interface SyncTarget {
  name: string;
  kind?: TargetKind;
  ref: EventRegarding;
  /**
   * Wraps the sync's write phase (the plan, then adoption) and gives the client it writes with, and
   * `begin`, which the phase awaits before writes it is sure of: FortiManager's workspace, locked
   * once (by `begin` or the first write) and committed once at the end.
   */
  writes?: <R>(phase: (client: FortiOSApi, begin: () => Promise<void>) => Promise<R>) => Promise<R>;
  /** Group adoption (ADR 0004): whose spec and status, and what the kind adds. */
  adoption?: { owner: AdoptionOwner; spec: AdoptionSpec; hooks?: AdoptionHooks };
}

/** The spec fields a sync reads, shared by both kinds. */
export type SyncSpec = TargetPolicy & Pick<ValidDeviceSpec, 'maxConcurrentRequests'>;

export function deviceTarget(device: FortiGateDevice, spec: ValidDeviceSpec): SyncTarget {
  return { name: device.metadata.name, ref: deviceRef(device), adoption: { owner: device, spec } };
}

/** What applying a plan did. */
interface Applied {
  writes: number;
  reads: number;
  groupProblems: Map<string, Problem>;
  hadProblems: boolean;
  deferredDeletes: number;
  /** When each group write was acknowledged (empty when nothing was applied). */
  groupsWrittenAt: ReadonlyMap<string, number>;
}

/** What a batch's write phase did: the plan's writes, then adoption's. */
interface Written {
  applied: Applied;
  adopted: AdoptionResult | undefined;
}

/**
 * One plan of a sync, from planning to landing. A sync is one batch, or, while its writes are in
 * flight, several whose footprints do not meet (ADR 0009).
 */
interface Batch {
  /** When it was planned (its pending changes are those seen up to then). */
  started: number;
  /** Device reads before the plan (the first batch's full read). */
  reads: number;
  planned: Planned;
  /** Taken with the plan: the cache may change while the batch waits on the device. */
  mappings: MappingScope;
  /** The plan it writes (without what a policy pins or a stopped adoption holds). */
  plan: Plan;
  now: string;
  problemsChanged: Set<string>;
  /** The deleting mappings not yet released when it was planned: the ones its plan looked at again. */
  unreleasedAtPlan: ReadonlySet<string>;
  /** The session's failed-batch count when it was planned. */
  failuresAtPlan: number;
  /** What it may touch on the device; undefined: anything (a plan of the whole device). */
  footprint?: Footprint;
  /** Tests (`verifyIncremental`): the bookkeeping before its own steps, and the batches beside it. */
  shadow?: Bookkeeping;
  everyMapping?: MappingScope;
  /** Tests: the UIDs of its mappings when planned (a landing may forget a gone one's). */
  uids?: ReadonlySet<string>;
  beside: Set<Batch>;
  /** Planned while others were in flight. */
  besideOthers: boolean;
  /** Changed mappings it left for a later batch (their groups were being written). */
  held?: Held;
}

/** Changed mappings a batch left for a later one, their groups, and (tests) their UIDs. */
type Held = NonNullable<PlanInputs['held']> & { uids: ReadonlySet<string> };

/**
 * Further batches may start for this long after a sync's first (ADR 0009; `SyncDeps.overlapWindowMs`
 * changes it). The sync holds a worker meanwhile, so it also stops when another key waits for one
 * (`ReconcileContext.othersWaiting`).
 */
export const OVERLAP_WINDOW_MS = 5000;

export interface RunOptions {
  /** False once no further batch may start: the target's spec changed, a drift check is due… */
  mayContinue?: () => boolean;
  /** Told each batch's outcome as it lands (statuses need not wait for the whole sync). */
  landed?: (outcome: SyncOutcome) => void;
}

/**
 * One sync of a device: read it if our picture may be wrong (or the drift check is due), plan what
 * every mapping targeting it wants, apply the plan, and record each group's result in the session.
 * Changes seen while its writes are in flight are planned and written beside them when they touch
 * nothing those writes touch (ADR 0009). Device-wide failures are thrown; per-group failures are
 * results.
 */
export class DeviceSync {
  private readonly planner: IncrementalPlanner;

  constructor(private readonly deps: SyncDeps) {
    this.planner = new IncrementalPlanner({
      mappings: deps.mappings,
      toInputs: mappingInputs,
      view: deps.view,
      ...(deps.memberCache ? { membersOf: deps.memberCache.membersOf } : {}),
      ...(deps.verifyIncremental ? { verify: deps.verifyIncremental } : {}),
    });
  }

  async run(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    client: FortiOSApi,
    fullRead: boolean,
    ctx: ReconcileContext,
    opts: RunOptions = {},
  ): Promise<SyncOutcome> {
    const started = this.deps.clock.now();
    const reads = await this.refreshObserved(spec, session, client, fullRead);
    try {
      return await this.runBatches(device, spec, session, client, { started, reads }, ctx, opts);
    } catch (err) {
      // Whatever this sync planned may not be on the device: the next one starts afresh.
      session.desiredBase = undefined;
      session.inSync = false;
      throw err;
    }
  }

  private async runBatches(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    client: FortiOSApi,
    { started, reads }: { started: number; reads: number },
    ctx: ReconcileContext,
    opts: RunOptions,
  ): Promise<SyncOutcome> {
    const adoption = device.adoption;
    const first = this.planBatch(device, spec, session, {
      started,
      reads,
      fullRead: reads > 0 || Boolean(adoption?.spec.adoption),
      beside: [],
    });
    this.commit(device, spec, session, first);
    if (!this.mayOverlap(device, spec, session)) {
      const written = await this.write(device, spec, session, client, first, ctx);
      const outcome = this.land(device, spec, session, first, written);
      opts.landed?.(outcome);
      return outcome;
    }
    const overlapped = new OverlappedSync<Batch, Written, SyncOutcome>(
      first,
      this.deps.clock,
      this.overlapWindowMs,
    );
    const outcomes = await overlapped.run(session, {
      write: (b) => this.write(device, spec, session, client, b, ctx),
      land: (b, written) => {
        const outcome = this.land(device, spec, session, b, written, overlapped.inFlight());
        opts.landed?.(outcome);
        return outcome;
      },
      next: (inFlight) =>
        (opts.mayContinue?.() ?? true) && !ctx.othersWaiting?.()
          ? this.planBeside(device, spec, session, inFlight)
          : 'stop',
    });
    return outcomes.length === 1 ? (outcomes[0] as SyncOutcome) : mergeOutcomes(outcomes, session);
  }

  private get overlapWindowMs(): number {
    return this.deps.overlapWindowMs ?? OVERLAP_WINDOW_MS;
  }

  /** Only a FortiGate's own writes overlap: FortiManager commits once per sync; adoption reads whole groups. */
  private mayOverlap(device: SyncTarget, spec: SyncSpec, session: DeviceSession): boolean {
    return (
      this.overlapWindowMs > 0 &&
      !device.writes &&
      !device.adoption?.spec.adoption &&
      !session.adoption &&
      !spec.dryRun &&
      !spec.suspend
    );
  }

  /**
   * The next batch beside those in flight, for the changes seen since that touch none of the groups
   * they write (the others stay for a later batch): undefined when there is nothing to plan yet,
   * `wait` when every change must wait for a landing, `drain` when the batch would meet what is in
   * flight (it is planned again, with what changes meanwhile, once nothing is), `stop` when the
   * rest is the next sync's (the device must be read or planned whole).
   */
  private planBeside(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    inFlight: readonly Batch[],
  ): NextBatch<Batch> {
    const { dirty, desiredBase } = session;
    if (!session.inSync || session.stale || !desiredBase || dirty === 'all') return 'stop';
    if (dirty.size === 0) return undefined;
    const footprints = inFlight.map((b) => b.footprint);
    if (footprints.some((f) => f === undefined)) return 'drain';
    const held = this.heldBack(
      targetInput(device, spec),
      session,
      dirty,
      desiredBase,
      footprints as Footprint[],
    );
    if (held.mappings.size === dirty.size) return 'wait';
    // The held changes stay dirty: a later batch takes them once the writes they would meet land.
    for (const key of held.mappings) dirty.delete(key);
    const carried = { carriedAddresses: session.carriedAddresses, carriedScope: session.carriedScope };
    const batch = this.planBatch(device, spec, session, {
      started: this.deps.clock.now(),
      reads: 0,
      fullRead: false,
      beside: inFlight,
      ...(held.mappings.size > 0 ? { held } : {}),
    });
    const dirtyNow = session.dirty as Set<string>;
    for (const key of held.mappings) dirtyNow.add(key);
    const own = batch.footprint;
    // A plan of the whole device (no footprint) meets whatever is in flight.
    if (!inFlight.some((b) => !own || footprintsMeet(b.footprint as Footprint, own))) {
      this.commit(device, spec, session, batch);
      return batch;
    }
    this.putBack(session, batch, carried);
    for (const b of inFlight) b.beside.add(batch);
    return 'drain';
  }

  /**
   * A batch planned but not written: its changes are planned again once nothing is in flight, with
   * what changes meanwhile. The desired state already holds their parts (computing one again gives
   * the same), so what it recomputed is carried to the next plan, and the checks of the batches in
   * flight leave it out as they do a batch beside.
   */
  private putBack(
    session: DeviceSession,
    batch: Batch,
    carried: Pick<DeviceSession, 'carriedAddresses' | 'carriedScope'>,
  ): void {
    const { changedMappings, recomputed } = batch.planned;
    if (changedMappings && recomputed && session.dirty !== 'all') {
      for (const key of changedMappings) session.dirty.add(key);
      session.carriedScope = {
        groups: union(carried.carriedScope?.groups, recomputed.groups),
        addresses: union(carried.carriedScope?.addresses, recomputed.addresses),
      };
    } else session.dirty = 'all';
    session.carriedAddresses = carried.carriedAddresses;
  }

  /** The changed mappings whose groups the batches in flight write, with those groups and their UIDs. */
  private heldBack(
    target: PlanInputs['target'],
    session: DeviceSession,
    dirty: ReadonlySet<string>,
    base: NonNullable<DeviceSession['desiredBase']>,
    inFlight: readonly Footprint[],
  ): Held {
    const groupOf = (key: string): string | undefined => this.planner.groupOf(target, key);
    const writing = new Set(inFlight.flatMap((f) => [...f.groups]));
    const held = { mappings: new Set<string>(), groups: new Set<string>(), uids: new Set<string>() };
    for (const key of dirty) {
      const groups = groupsOfChanges([key], base, groupOf);
      if (!groups.some((g) => writing.has(g))) continue;
      held.mappings.add(key);
      for (const g of groups) held.groups.add(g);
      for (const uid of [this.input(key)?.uid, session.seenUids.get(key)]) if (uid) held.uids.add(uid);
    }
    return held;
  }

  private planInputs(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    fullRead: boolean,
    beside: readonly Batch[],
  ): PlanInputs {
    const { deps } = this;
    let everyMapping: MappingInput[] | undefined;
    return {
      target: targetInput(device, spec),
      mappings: () => (everyMapping ??= mappingInputs(deps.mappings.list())),
      session,
      observed: session.observed!,
      limits: planOptions(spec),
      ctx: desiredContext(session, spec.clusterName),
      fullRead,
      beside: beside.flatMap((b) => (b.footprint ? [b.footprint] : [])),
    };
  }

  private planBatch(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    at: {
      started: number;
      reads: number;
      fullRead: boolean;
      beside: readonly Batch[];
      held?: Held;
    },
  ): Batch {
    const inputs = {
      ...this.planInputs(device, spec, session, at.fullRead, at.beside),
      ...(at.held ? { held: at.held } : {}),
    };
    const planned = this.planner.planSync(inputs);
    // The deferred deletions are this plan's now (a scoped plan took them into its scope; a whole
    // one looks at every address anyway).
    session.carriedAddresses = undefined;
    session.carriedScope = undefined;
    const mappings = planned.changedMappings
      ? changedMappings(planned.changedMappings, (key) => this.input(key))
      : allMappings(inputs.mappings());
    return {
      started: at.started,
      reads: at.reads,
      planned,
      mappings,
      plan: planned.plan,
      now: '',
      problemsChanged: new Set(),
      unreleasedAtPlan: new Set(session.unreleased.keys()),
      failuresAtPlan: session.failedBatches ?? 0,
      ...(planned.scope ? { footprint: footprintOf(planned.plan, session.observed!) } : {}),
      beside: new Set(at.beside),
      besideOthers: at.beside.length > 0,
      ...(at.held ? { held: at.held } : {}),
      ...(this.deps.verifyIncremental ? { uids: uidsOf(mappings, session) } : {}),
    };
  }

  /** The batch's plan is final: the bookkeeping that goes with planning. */
  private commit(device: SyncTarget, spec: SyncSpec, session: DeviceSession, batch: Batch): void {
    const desired = batch.planned.desired;
    const adoption = device.adoption;
    if (adoption) this.adoptBeforePlan(device, adoption, session, desired, batch.reads > 0 && !spec.dryRun);
    let thePlan = withoutUndeletable(batch.planned.plan, session.undeletable);
    if (session.adoption) thePlan = withoutStoppedGroups(thePlan, session.adoption);
    batch.plan = thePlan;
    batch.now = formatTime(this.deps.clock.now());
    recordDryRunPlans(desired, session, planOptions(spec));
    // Tests: the scoped bookkeeping is done in full too, from here, and compared at the end.
    if (this.deps.verifyIncremental && batch.planned.changedMappings) {
      batch.shadow = copyBookkeeping(session);
      batch.everyMapping = this.everyMapping(); // as planned: the cache may change during the writes
    }
    rememberContributions(session, desired, batch.mappings);
    batch.problemsChanged = recordMappingProblems(session, desired, thePlan.mappingProblems);
    for (const other of batch.beside) other.beside.add(batch);
  }

  /** The batch's write phase: its plan, then adoption; on FortiManager one lock and one commit. */
  private async write(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    client: FortiOSApi,
    batch: Batch,
    ctx: ReconcileContext,
  ): Promise<Written> {
    const thePlan = batch.plan;
    const adoption = device.adoption;
    const phase = async (writer: FortiOSApi, begin: () => Promise<void>): Promise<Written> => {
      // The lock is taken before the executor runs, which reports per-object failures as results.
      if (thePlan.ops.length > 0 && !spec.dryRun) await begin();
      const applied: Applied =
        thePlan.ops.length > 0 && !spec.dryRun
          ? await this.apply(device, spec, session, writer, thePlan, ctx)
          : {
              writes: 0,
              reads: 0,
              groupProblems: new Map(thePlan.problems),
              hadProblems: false,
              deferredDeletes: 0,
              groupsWrittenAt: new Map(),
            };
      const adopted =
        spec.dryRun || !adoption
          ? undefined
          : await this.adopt(device, adoption, session, writer, batch.planned.desired, batch.reads > 0);
      return { applied, adopted };
    };
    return (
      device.writes && !spec.dryRun ? device.writes(phase) : phase(client, () => Promise.resolve())
    ).catch((err: unknown) => {
      // The bookkeeping is not done for the mappings this batch took: the next sync starts
      // afresh and does it for every mapping.
      session.desiredBase = undefined;
      session.inSync = false;
      session.failedBatches = (session.failedBatches ?? 0) + 1;
      throw err;
    });
  }

  /** The batch's writes are done: record each group's result and what the session must remember. */
  private land(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    batch: Batch,
    { applied, adopted }: Written,
    inFlight: readonly Batch[] = [],
  ): SyncOutcome {
    const { deps } = this;
    const { planned, mappings, now } = batch;
    const desired = planned.desired;
    const thePlan = batch.plan;
    for (const [key, problem] of adopted?.problems ?? []) applied.groupProblems.set(key, problem);
    const touched = spec.dryRun ? new Set<string>() : touchedGroups(thePlan, desired, planned.scope?.groups);
    const steps = (into: DeviceSession) => {
      const changed = recordGroupResults(
        into.groups,
        desired,
        applied.groupProblems,
        touched,
        now,
        planned.scope?.groups,
      );
      if (!spec.dryRun) recordReleased(into, device, mappings, applied.groupProblems, batch.unreleasedAtPlan);
      return { changed, advanced: recordSeenGenerations(into, device, mappings) };
    };
    const { changed: changedGroups, advanced } = steps(session);
    // Tests: the batches still in flight replay this one's steps over their own copies.
    for (const other of inFlight) if (other !== batch && other.shadow) steps({ ...session, ...other.shadow });
    if (batch.shadow) {
      const check = {
        desired,
        touched,
        now,
        dryRun: Boolean(spec.dryRun),
        groupProblems: applied.groupProblems,
        besides: batch.beside,
        held: batch.held,
      };
      this.verifyBookkeeping(device, session, batch.shadow, batch.everyMapping!, check, advanced);
    }
    const writes = applied.writes + (adopted?.writes ?? 0);
    this.noteInSync(session, didEverything(session, spec, planned.plan, thePlan, applied), batch);
    session.carriedAddresses = union(session.carriedAddresses, deferredDeletes(thePlan, session.observed!));
    if (applied.groupProblems.size === 0 && (writes > 0 || !session.lastSyncTime)) session.lastSyncTime = now;
    const ended = deps.clock.now();
    // A FortiManager target's writes count once its workspace is committed, at the end of the phase.
    const ackedAt = (group: string): number =>
      (device.writes ? undefined : applied.groupsWrittenAt.get(group)) ?? ended;
    deps.observer?.synced?.(device.name, {
      writes,
      reads: batch.reads + applied.reads + (adopted?.reads ?? 0),
      startedMs: batch.started,
      handledMappings: planned.changedMappings ?? 'all',
      beside: batch.besideOthers,
      durationMs: ended - batch.started,
      opCount: thePlan.ops.length,
      writtenMappings: mappingsAckedAt(touched, desired, ackedAt),
    });
    return {
      kind: 'synced',
      changedGroups,
      touchedGroups: touched,
      advancedMappings: new Set([...advanced, ...batch.problemsChanged]),
      writes,
      hadProblems: applied.hadProblems,
      deferredDeletes: applied.deferredDeletes,
      ...(adopted?.recheckMs !== undefined ? { recheckMs: adopted.recheckMs } : {}),
    };
  }

  /**
   * In sync only if this batch did all it planned and no batch failed since it was planned (its
   * scoped plan counted on the ones in flight then); a failure is counted for those still to land.
   */
  private noteInSync(session: DeviceSession, did: boolean, batch: Batch): void {
    const failures = session.failedBatches ?? 0;
    if (did) session.inSync = failures === batch.failuresAtPlan;
    else {
      session.inSync = false;
      session.failedBatches = failures + 1;
    }
  }

  private everyMapping(): MappingScope {
    return allMappings(mappingInputs(this.deps.mappings.list()));
  }

  /** ADR 0004: a retry clears a stop; a full read counts a rewrite before the plan re-adds our members. */
  private adoptBeforePlan(
    target: SyncTarget,
    { owner, spec }: NonNullable<SyncTarget['adoption']>,
    session: DeviceSession,
    desired: DesiredDeviceState,
    countRewrites: boolean,
  ): void {
    session.adoption = spec.adoption ? prepareAdoption(owner, session.adoption) : undefined;
    if (!session.adoption || !countRewrites) return;
    const events = noteRewrites({
      owner,
      spec,
      session: session.adoption,
      observed: session.observed!,
      desired,
      now: this.deps.clock.now(),
    });
    for (const e of events) void this.deps.events.record(target.ref, e.type, e.reason, 'Adoption', e.message);
  }

  /** ADR 0004: one adoption step per adopted group, after the plan's writes; its events go out here. */
  private async adopt(
    target: SyncTarget,
    { owner, spec, hooks }: NonNullable<SyncTarget['adoption']>,
    session: DeviceSession,
    client: FortiOSApi,
    desired: DesiredDeviceState,
    fullRead: boolean,
  ): Promise<AdoptionResult | undefined> {
    if (!session.adoption) return undefined;
    const now = this.deps.clock.now();
    const result = await runAdoption({
      client,
      owner,
      spec,
      ...(hooks ? { hooks } : {}),
      session: session.adoption,
      observed: session.observed!,
      desired,
      fullRead,
      now,
    });
    for (const e of result.events)
      void this.deps.events.record(target.ref, e.type, e.reason, 'Adoption', e.message);
    return result;
  }

  /**
   * Tests (`verifyIncremental`): the bookkeeping of a scoped sync must be what the same steps over
   * every mapping give; a difference is reported and the full result kept. What the batches beside
   * it recomputed is theirs to check (the steps over every mapping cannot know they are in flight).
   */
  private verifyBookkeeping(
    target: SyncTarget,
    session: DeviceSession,
    shadow: Bookkeeping,
    all: MappingScope,
    sync: {
      desired: DesiredDeviceState;
      touched: ReadonlySet<string>;
      now: string;
      dryRun: boolean;
      groupProblems: ReadonlyMap<string, Problem>;
      besides: ReadonlySet<Batch>;
      held: Batch['held'];
    },
    advanced: ReadonlySet<string>,
  ): void {
    const full: DeviceSession = { ...session, ...shadow };
    rememberContributions(full, sync.desired, all);
    recordGroupResults(full.groups, sync.desired, sync.groupProblems, sync.touched, sync.now);
    if (!sync.dryRun) recordReleased(full, target, all, sync.groupProblems);
    const fullAdvanced = recordSeenGenerations(full, target, all);
    const besides = besideParts([...sync.besides], session, sync.held);
    const diffs = bookkeepingDifferences(
      bookkeepingWithout(session, besides),
      bookkeepingWithout(full, besides),
    );
    const sorted = (keys: Iterable<string>) =>
      [...keys]
        .filter((k) => !besides.mappings.has(k))
        .sort()
        .join();
    if (sorted(fullAdvanced) !== sorted(advanced))
      diffs.push(`advanced ${[...advanced].join()} instead of ${[...fullAdvanced].join()}`);
    if (diffs.length === 0) return;
    this.deps.verifyIncremental?.(target.name, `bookkeeping: ${diffs.join('; ')}`);
    if (sync.besides.size === 0) Object.assign(session, shadowOf(full));
  }

  /** The cached mapping with this key, validated (undefined: gone, or its spec is invalid). */
  private input(key: string): MappingInput | undefined {
    const m = this.deps.mappings.get(key);
    return m ? mappingInputs([m])[0] : undefined;
  }

  /** Reads the device when needed; returns the number of reads. */
  private async refreshObserved(
    spec: SyncSpec,
    session: DeviceSession,
    client: FortiOSApi,
    fullRead: boolean,
  ): Promise<number> {
    if (!fullRead && !session.stale && session.observed) return 0;
    session.observed = await readObservedState(client, spec.clusterName, ALL_FAMILIES);
    session.lastFullReadMs = this.deps.clock.now();
    session.stale = false;
    session.undeletable.clear();
    // The drift check re-reads the device; the cluster side starts afresh too.
    this.deps.memberCache?.invalidateAll();
    return ALL_FAMILIES.length * 2;
  }

  private async apply(
    device: SyncTarget,
    spec: SyncSpec,
    session: DeviceSession,
    client: FortiOSApi,
    thePlan: Plan,
    ctx: ReconcileContext,
  ): Promise<Applied> {
    ctx.logger.info('applying plan', { ops: thePlan.ops.length, summary: summarize(thePlan) });
    const result = await executePlan(client, thePlan, session.observed!, {
      clusterName: spec.clusterName,
      concurrency: concurrencyOf(spec),
      deferLateDeletes: true,
      now: () => this.deps.clock.now(),
    });
    if (result.stale) session.stale = true;
    for (const k of result.undeletable) session.undeletable.add(k);
    for (const e of result.events) {
      void this.deps.events.record(device.ref, e.type, e.reason, 'Sync', e.message);
    }
    return {
      writes: result.writes,
      reads: result.reads,
      groupProblems: result.groupProblems,
      hadProblems:
        result.groupProblems.size > 0 ||
        result.stale ||
        result.events.some((e) => e.reason === 'DeleteFailed'),
      deferredDeletes: result.deferredDeletes,
      groupsWrittenAt: result.groupsWrittenAt,
    };
  }
}

/** The bookkeeping part of a session. */
function shadowOf(s: DeviceSession): Bookkeeping {
  const { contributions, groups, released, unreleased, seenGenerations, seenUids } = s;
  return { contributions, groups, released, unreleased, seenGenerations, seenUids };
}

/** The target as the desired-state computation takes it. */
function targetInput(device: SyncTarget, spec: SyncSpec): PlanInputs['target'] {
  return { name: device.name, ...(device.kind ? { kind: device.kind } : {}), spec };
}

/** The outcomes of a sync's batches as one: `nextRun` and the mapping statuses see one sync. */
function mergeOutcomes(outcomes: readonly SyncOutcome[], session: DeviceSession): SyncOutcome {
  const all = <T>(pick: (o: SyncOutcome) => Iterable<T> | undefined): Set<T> =>
    new Set(outcomes.flatMap((o) => [...(pick(o) ?? [])]));
  return {
    kind: 'synced',
    changedGroups: all((o) => o.changedGroups),
    touchedGroups: all((o) => o.touchedGroups),
    advancedMappings: all((o) => o.advancedMappings),
    writes: outcomes.reduce((n, o) => n + o.writes, 0),
    hadProblems: outcomes.some((o) => o.hadProblems),
    // Each batch's deferred deletions wait in the session until a later batch takes them.
    deferredDeletes: session.carriedAddresses?.size ?? 0,
  };
}

function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): ReadonlySet<string> {
  if (!a || a.size === 0) return b;
  return b.size === 0 ? a : new Set([...a, ...b]);
}

/** What the batches beside one recomputed: their groups, mapping keys and those mappings' UIDs. */
function besideParts(
  besides: readonly Batch[],
  session: DeviceSession,
  ownHeld: Batch['held'],
): { groups: Set<string>; mappings: Set<string>; uids: Set<string> } {
  const parts = { groups: new Set<string>(), mappings: new Set<string>(), uids: new Set<string>() };
  const addHeld = (held: Batch['held']): void => {
    for (const g of held?.groups ?? []) parts.groups.add(g);
    for (const key of held?.mappings ?? []) {
      parts.mappings.add(key);
      const uid = session.seenUids.get(key); // an earlier batch may have learnt it since
      if (uid) parts.uids.add(uid);
    }
    for (const uid of held?.uids ?? []) parts.uids.add(uid);
  };
  addHeld(ownHeld);
  for (const b of besides) {
    for (const g of b.planned.recomputed?.groups ?? []) parts.groups.add(g);
    for (const [key] of b.mappings.entries) parts.mappings.add(key);
    for (const uid of b.uids ?? uidsOf(b.mappings, session)) parts.uids.add(uid);
    addHeld(b.held);
  }
  return parts;
}

/** The UIDs of these mappings, as cached and as the session knows them. */
function uidsOf(mappings: MappingScope, session: DeviceSession): Set<string> {
  const uids = new Set<string>();
  for (const [key, input] of mappings.entries) {
    if (input?.uid) uids.add(input.uid);
    const seen = session.seenUids.get(key);
    if (seen) uids.add(seen);
  }
  return uids;
}

/**
 * The mappings of these groups, each with when the last of its groups was written: a group whose
 * change was an address write alone (a new IP) counts from the end of the sync.
 */
function mappingsAckedAt(
  groups: ReadonlySet<string>,
  desired: DesiredDeviceState,
  ackedAt: (group: string) => number,
): Map<string, number> {
  const acked = new Map<string, number>();
  const note = (mapping: string, at: number): void => {
    acked.set(mapping, Math.max(at, acked.get(mapping) ?? at));
  };
  for (const g of groups) for (const m of desired.groups.get(g)?.mappings ?? []) note(m, ackedAt(g));
  for (const [key, rel] of desired.releasing)
    for (const f of rel.families) {
      const g = groupKey(f, rel.group);
      if (groups.has(g)) note(key, ackedAt(g));
    }
  return acked;
}

/**
 * The sync did all it planned, with no problem and nothing held back: until a mapping changes, the
 * device holds what it should, and the next sync may plan the changed groups alone.
 */
function didEverything(
  session: DeviceSession,
  spec: SyncSpec,
  planned: Plan,
  done: Plan,
  applied: Applied,
): boolean {
  return (
    !spec.dryRun &&
    !spec.suspend &&
    !session.adoption &&
    !session.stale &&
    session.undeletable.size === 0 &&
    done.ops.length === planned.ops.length &&
    planned.problems.size === 0 &&
    (planned.mappingProblems?.size ?? 0) === 0 &&
    applied.groupProblems.size === 0 &&
    !applied.hadProblems
  );
}

/** The plan's address deletions not done yet (left for the next sync while a group still named them). */
function deferredDeletes(p: Plan, observed: ObservedDeviceState): Set<string> {
  const keys = new Set<string>();
  for (const op of p.ops) {
    if (op.op !== 'deleteAddress') continue;
    const key = addressKey(op.family, op.name);
    if (observed.addresses.has(key)) keys.add(key);
  }
  return keys;
}

/** Addresses and groups that a policy pins are not retried on every sync, only after the next full read. */
function withoutUndeletable(p: Plan, undeletable: ReadonlySet<string>): Plan {
  return {
    ...p,
    ops: p.ops.filter(
      (op) =>
        !(op.op === 'deleteAddress' && undeletable.has(addressKey(op.family, op.name))) &&
        !(op.op === 'deleteGroup' && undeletable.has(undeletableGroupKey(op.family, op.name))),
    ),
  };
}

/** The client informer may hold creationTimestamp as a Date or a string. */
function formatCreation(t: Date | string): string {
  return typeof t === 'string' ? t : t.toISOString();
}

/** What the device holds that the desired state depends on: groups we did not create, memory. */
function desiredContext(session: DeviceSession, clusterName: string): DesiredContext {
  return {
    foreignGroup: foreignGroups(session.observed as ObservedDeviceState, clusterName),
    remembered: (key) => session.contributions.get(key),
  };
}

/** For each dry-run mapping (its own or the device's), the operations a real sync would perform for it. */
function recordDryRunPlans(desired: DesiredDeviceState, session: DeviceSession, limits: PlanOptions): void {
  const previewed = [...(desired.frozenMappings ?? [])].filter(([, f]) => f.preview);
  const byGroup = new Map<string, Map<string, readonly PlanOp[]>>();
  if (previewed.length > 0 && session.observed) {
    const preview = plan(thawMappings(desired, new Set(previewed.map(([k]) => k))), session.observed, limits);
    for (const [key, f] of previewed) {
      const own = new Set(f.members.map((a) => addressKey(a.family, a.name)));
      for (const a of session.contributions.get(key) ?? []) own.add(addressKey(a.family, a.name));
      const ops = opsForMapping(preview, { group: f.group, families: f.families, members: own });
      for (const family of f.families) {
        const gk = groupKey(family, f.group);
        const map = byGroup.get(gk) ?? new Map<string, readonly PlanOp[]>();
        map.set(
          key,
          ops.filter((op) => familyOf(op) === family),
        );
        byGroup.set(gk, map);
      }
    }
  }
  // Only the groups that held a preview can lose it: no pass over every group (issue 19).
  for (const key of session.previewedGroups) {
    const state = session.groups.get(key);
    if (state?.plannedOps && !byGroup.has(key)) {
      const { plannedOps: _gone, ...rest } = state;
      session.groups.set(key, rest);
    }
  }
  session.previewedGroups = new Set(byGroup.keys());
  for (const [key, plannedOps] of byGroup) {
    session.groups.set(key, { ...(session.groups.get(key) ?? { ok: true }), plannedOps });
  }
}

function familyOf(op: PlanOp): string {
  return op.op === 'createAddress' || op.op === 'updateAddress' ? op.address.family : op.family;
}

function summarize(p: Plan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of p.ops) counts[op.op] = (counts[op.op] ?? 0) + 1;
  return counts;
}
