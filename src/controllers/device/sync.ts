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
import { IncrementalPlanner, type DivergenceReport } from './incremental.js';
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

/**
 * One sync of a device: read it if our picture may be wrong (or the drift check is due), plan what
 * every mapping targeting it wants, apply the plan, and record each group's result in the session.
 * Device-wide failures are thrown; per-group failures are results.
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
  ): Promise<SyncOutcome> {
    const { deps } = this;
    const started = deps.clock.now();
    const reads = await this.refreshObserved(spec, session, client, fullRead);
    let everyMapping: MappingInput[] | undefined;
    const allInputs = (): MappingInput[] => (everyMapping ??= mappingInputs(deps.mappings.list()));
    const limits = planOptions(spec);
    const adoption = device.adoption;
    const planned = this.planner.planSync({
      target: { name: device.name, ...(device.kind ? { kind: device.kind } : {}), spec },
      mappings: allInputs,
      session,
      observed: session.observed!,
      limits,
      ctx: desiredContext(session, spec.clusterName),
      // Adoption turns foreign groups into ours behind the mappings' backs: always the whole state.
      fullRead: reads > 0 || Boolean(adoption?.spec.adoption),
    });
    // Taken now, with the plan: the cache may change while the sync waits on the device.
    const mappings = planned.changedMappings
      ? changedMappings(planned.changedMappings, (key) => this.input(key))
      : allMappings(allInputs());
    session.inSync = false; // until this sync has done everything it planned
    const desired = planned.desired;
    if (adoption) this.adoptBeforePlan(device, adoption, session, desired, reads > 0 && !spec.dryRun);
    let thePlan = withoutUndeletable(planned.plan, session.undeletable);
    if (session.adoption) thePlan = withoutStoppedGroups(thePlan, session.adoption);
    const now = formatTime(deps.clock.now());
    recordDryRunPlans(desired, session, limits);
    // Tests: the scoped bookkeeping is done in full too, from here, and compared at the end.
    const shadow = deps.verifyIncremental && planned.changedMappings ? copyBookkeeping(session) : undefined;
    rememberContributions(session, desired, mappings);
    const problemsChanged = recordMappingProblems(session, desired, thePlan.mappingProblems);

    const phase = async (writer: FortiOSApi, begin: () => Promise<void>) => {
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
          : await this.adopt(device, adoption, session, writer, desired, reads > 0);
      return { applied, adopted };
    };
    // One write phase per sync: on FortiManager, one lock (taken at the first write) and one commit.
    const { applied, adopted } = await (
      device.writes && !spec.dryRun ? device.writes(phase) : phase(client, () => Promise.resolve())
    ).catch((err: unknown) => {
      // The bookkeeping below is not done for the mappings this sync took: the next one starts
      // afresh and does it for every mapping.
      session.desiredBase = undefined;
      throw err;
    });
    for (const [key, problem] of adopted?.problems ?? []) applied.groupProblems.set(key, problem);
    const touched = spec.dryRun ? new Set<string>() : touchedGroups(thePlan, desired, planned.scope?.groups);
    const changedGroups = recordGroupResults(
      session.groups,
      desired,
      applied.groupProblems,
      touched,
      now,
      planned.scope?.groups,
    );
    if (!spec.dryRun) recordReleased(session, mappings, applied.groupProblems);
    const advanced = recordSeenGenerations(session, device, mappings);
    if (shadow) {
      const check = {
        desired,
        touched,
        now,
        dryRun: Boolean(spec.dryRun),
        groupProblems: applied.groupProblems,
      };
      this.verifyBookkeeping(device, session, shadow, allMappings(allInputs()), check, advanced);
    }
    const writes = applied.writes + (adopted?.writes ?? 0);
    session.inSync = didEverything(session, spec, planned.plan, thePlan, applied);
    session.carriedAddresses = deferredDeletes(thePlan, session.observed!);
    if (applied.groupProblems.size === 0 && (writes > 0 || !session.lastSyncTime)) session.lastSyncTime = now;
    const ended = deps.clock.now();
    // A FortiManager target's writes count once its workspace is committed, at the end of the phase.
    const ackedAt = (group: string): number =>
      (device.writes ? undefined : applied.groupsWrittenAt.get(group)) ?? ended;
    deps.observer?.synced?.(device.name, {
      writes,
      reads: reads + applied.reads + (adopted?.reads ?? 0),
      startedMs: started,
      durationMs: ended - started,
      opCount: thePlan.ops.length,
      writtenMappings: mappingsAckedAt(touched, desired, ackedAt),
    });
    return {
      kind: 'synced',
      changedGroups,
      touchedGroups: touched,
      advancedMappings: new Set([...advanced, ...problemsChanged]),
      writes,
      hadProblems: applied.hadProblems,
      deferredDeletes: applied.deferredDeletes,
      ...(adopted?.recheckMs !== undefined ? { recheckMs: adopted.recheckMs } : {}),
    };
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
   * every mapping give; a difference is reported and the full result kept.
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
    },
    advanced: ReadonlySet<string>,
  ): void {
    const full: DeviceSession = { ...session, ...shadow };
    rememberContributions(full, sync.desired, all);
    recordGroupResults(full.groups, sync.desired, sync.groupProblems, sync.touched, sync.now);
    if (!sync.dryRun) recordReleased(full, all, sync.groupProblems);
    const fullAdvanced = recordSeenGenerations(full, target, all);
    const diffs = bookkeepingDifferences(session, full);
    if ([...fullAdvanced].sort().join() !== [...advanced].sort().join())
      diffs.push(`advanced ${[...advanced].join()} instead of ${[...fullAdvanced].join()}`);
    if (diffs.length === 0) return;
    this.deps.verifyIncremental?.(target.name, `bookkeeping: ${diffs.join('; ')}`);
    Object.assign(session, shadowOf(full));
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

/** The mappings feeding (or leaving) these groups. */
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
