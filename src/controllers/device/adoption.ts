import type { ObjectMeta } from '../../api/v1alpha1/common.js';
import type {
  AdoptedGroupStatus,
  DeviceAdoption,
  DeviceAdoptionStatus,
} from '../../api/v1alpha1/fortigate-device.js';
import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { addressTable, groupTable, type WritableTable } from '../../fortigate/types.js';
import {
  adoptionStep,
  isTigeraComment,
  memberCounts,
  retryClears,
  RETRY_ADOPTION_ANNOTATION,
  TIGERA_FILTER_TEXT,
  TIGERA_PLACEHOLDER,
  type AdoptionEvent,
  type AdoptionInput,
  type AdoptionMemory,
} from '../../domain/adoption.js';
import {
  addressKey,
  groupKey,
  type DesiredDeviceState,
  type ObservedDeviceState,
  type ObservedGroup,
  type Plan,
} from '../../domain/model.js';
import { isOwnedBy } from '../../domain/naming.js';
import type { Problem } from '../../domain/problem.js';
import { formatTime } from '../../runtime/conditions.js';
import type { FortiOSApi } from './fortios-api.js';
import { ALL_FAMILIES, observedGroup } from './observe.js';
import { cleanUpTigera } from './adoption-cleanup.js';

// Sequences ADR 0004's adoption for a FortiGateDevice or a FortiManagerTarget's ADOM (the same
// spec field, the same status): the decisions are domain/adoption.ts's; this module reads, writes,
// and keeps the memory and the status. What differs by kind comes in as `AdoptionHooks`.

/** Whose adoption it is: a FortiGateDevice or a FortiManagerTarget (its annotations and status). */
export interface AdoptionOwner {
  metadata: ObjectMeta;
  status?: { adoption?: DeviceAdoptionStatus };
}

/** The spec fields adoption reads (both kinds have them). */
export interface AdoptionSpec {
  clusterName: string;
  adoption?: DeviceAdoption;
}

/** What a kind adds to the shared sequence. */
export interface AdoptionHooks {
  /**
   * FortiManager: why a settled group's drain must wait (the install carrying fortisync's members
   * to the FortiGates has not finished since `completeSince`); undefined: drain now.
   */
  drainHold?: (groupKey: string, completeSince: number) => string | undefined;
  /**
   * How many objects reference `table/name` (undefined: unknown, never deleted). Absent: FortiOS's
   * `q_ref` from the cleanup's `with_meta` list.
   */
  references?: (table: WritableTable, name: string) => Promise<number | undefined>;
}

/** What a device's session keeps for adoption (memory is rebuilt from status after a restart). */
export interface AdoptionSession {
  /** Per group key (family/name). */
  memory: Map<string, AdoptionMemory>;
  /** Cleanup: objects (table/name) FortiOS refused to delete; not retried until a restart. */
  cleanupRefused?: Set<string>;
  /** Tigera-marked address keys (family/name), as of the last full read. */
  tigeraAddresses?: Set<string>;
  status?: DeviceAdoptionStatus;
}

export interface AdoptionResult {
  problems: Map<string, Problem>;
  events: AdoptionEvent[];
  reads: number;
  writes: number;
  recheckMs?: number;
}

const SETTLE_DEFAULT_SECONDS = 30;
const UNADOPTED_NAMES_MAX = 50;

/** The retry annotation's value on the owner ('' when absent). */
function retryToken(owner: AdoptionOwner): string {
  return owner.metadata.annotations?.[RETRY_ADOPTION_ANNOTATION] ?? '';
}

/**
 * The adoption memory before a sync plans: after a restart, stops (Conflict) are read back from the
 * device status so a restart does not resume a fight; a new retry annotation value clears a stop.
 */
export function prepareAdoption(
  owner: AdoptionOwner,
  existing: AdoptionSession | undefined,
): AdoptionSession {
  const session = existing ?? { memory: new Map(fromStatus(owner.status?.adoption)) };
  const token = retryToken(owner);
  for (const [key, m] of session.memory) if (retryClears(m, token)) session.memory.delete(key);
  return session;
}

function fromStatus(status: DeviceAdoptionStatus | undefined): [string, AdoptionMemory][] {
  return (status?.groups ?? [])
    .filter((g) => g.state === 'Conflict')
    .map((g) => [
      groupKey(g.family, g.name),
      {
        state: 'Conflict',
        since: Date.parse(g.since) || 0,
        seenOurs: [],
        rewrites: [],
        ...(g.message ? { message: g.message } : {}),
        retryToken: g.retryToken ?? '',
      },
    ]);
}

/** A group whose adoption stopped gets no write of any kind until the user retries. */
export function withoutStoppedGroups(p: Plan, session: AdoptionSession): Plan {
  const stopped = new Set([...session.memory].filter(([, m]) => m.state === 'Conflict').map(([k]) => k));
  if (stopped.size === 0) return p;
  return {
    ...p,
    ops: p.ops.filter(
      (op) =>
        !(
          (op.op === 'createGroup' || op.op === 'setGroupMembers' || op.op === 'deleteGroup') &&
          stopped.has(groupKey(op.family, op.name))
        ),
    ),
  };
}

/** The listed groups a live mapping feeds on this device, by key. */
function adoptedKeys(
  spec: AdoptionSpec,
  desired: DesiredDeviceState,
): { key: string; family: IPFamily; name: string }[] {
  const out: { key: string; family: IPFamily; name: string }[] = [];
  for (const name of spec.adoption?.groups ?? []) {
    for (const family of ALL_FAMILIES) {
      const key = groupKey(family, name);
      const g = desired.groups.get(key);
      if (g && !g.frozen && !g.orphanOnRelease) out.push({ key, family, name });
    }
  }
  return out;
}

export interface AdoptionRun {
  client: FortiOSApi;
  owner: AdoptionOwner;
  spec: AdoptionSpec;
  hooks?: AdoptionHooks;
  session: AdoptionSession;
  observed: ObservedDeviceState;
  desired: DesiredDeviceState;
  /** The device was read in full this sync: its groups are fresh. */
  fullRead: boolean;
  now: number;
}

/**
 * Runs one adoption step for every adopted group, after the plan was applied: reads each group
 * afresh while its adoption is pending (or takes the full read's), decides, and drains a group whose
 * members have settled. Returns the groups' problems (Adopting, AdoptionConflict) and the events.
 */
export async function runAdoption(run: AdoptionRun): Promise<AdoptionResult> {
  const result: AdoptionResult = { problems: new Map(), events: [], reads: 0, writes: 0 };
  if (!run.spec.adoption) {
    run.session.status = undefined;
    return result;
  }
  await refreshTigeraAddresses(run, result);
  const statuses: AdoptedGroupStatus[] = [];
  for (const target of adoptedKeys(run.spec, run.desired)) {
    const status = await stepGroup(run, target, result);
    if (status) statuses.push(status);
  }
  keepStops(run, statuses);
  if (run.fullRead && run.spec.adoption.cleanup === 'DeleteUnreferenced') await cleanUp(run, result);
  run.session.status = { groups: statuses, unadopted: unadopted(run, statuses) };
  return result;
}

/**
 * Forgets groups no longer listed; a stop stays until the retry even while no mapping feeds its
 * group (it is still written to the status, so a restart keeps it too).
 */
function keepStops(run: AdoptionRun, statuses: AdoptedGroupStatus[]): void {
  const listed = new Set(run.spec.adoption?.groups ?? []);
  const shown = new Set(statuses.map((s) => groupKey(s.family, s.name)));
  for (const [key, m] of run.session.memory) {
    const [family, ...rest] = key.split('/');
    const name = rest.join('/');
    if (!listed.has(name)) run.session.memory.delete(key);
    else if (!shown.has(key) && m.state === 'Conflict')
      statuses.push({
        name,
        family: family as IPFamily,
        state: 'Conflict',
        since: formatTime(m.since),
        ...(m.message ? { message: m.message } : {}),
        retryToken: m.retryToken ?? '',
      });
    else if (!shown.has(key)) run.session.memory.delete(key);
  }
}

/** Deletes Tigera's unreferenced objects (drift checks only), then forgets the addresses it deleted. */
async function cleanUp(run: AdoptionRun, result: AdoptionResult): Promise<void> {
  run.session.cleanupRefused ??= new Set();
  const cleaned = await cleanUpTigera({
    client: run.client,
    observed: run.observed,
    adopting: new Set(run.spec.adoption?.groups ?? []),
    refused: run.session.cleanupRefused,
    ...(run.hooks?.references ? { references: run.hooks.references } : {}),
  });
  result.reads += cleaned.reads;
  result.writes += cleaned.writes;
  result.events.push(...cleaned.events);
  for (const family of ALL_FAMILIES)
    for (const name of cleaned.deleted) run.session.tigeraAddresses?.delete(addressKey(family, name));
}

async function refreshTigeraAddresses(run: AdoptionRun, result: AdoptionResult): Promise<void> {
  if (run.session.tigeraAddresses && !run.fullRead) return;
  const found = new Set<string>();
  for (const family of ALL_FAMILIES) {
    const entries = await run.client.list(addressTable(family), {
      filter: [[{ field: 'comment', op: '=@', value: TIGERA_FILTER_TEXT }]],
      format: ['name', 'comment'],
    });
    result.reads++;
    for (const a of entries) if (isTigeraComment(a.comment)) found.add(addressKey(family, a.name));
  }
  run.session.tigeraAddresses = found;
}

function pending(m: AdoptionMemory | undefined, comment: string | undefined): boolean {
  if (m) return m.state === 'Adding' || m.state === 'Settling';
  return isTigeraComment(comment);
}

type Target = { key: string; family: IPFamily; name: string };

/** The step's input for one group as `group` shows it. */
function stepInput(
  run: Omit<AdoptionRun, 'client' | 'fullRead'>,
  t: Target,
  group: ObservedGroup | undefined,
): AdoptionInput {
  const { session, observed, spec } = run;
  return {
    group,
    wanted: run.desired.groups.get(t.key)?.members ?? new Set(),
    isOurs: (m) => observed.addresses.has(addressKey(t.family, m)),
    isTigera: (m) =>
      m === TIGERA_PLACEHOLDER || (session.tigeraAddresses?.has(addressKey(t.family, m)) ?? false),
    ownedByUs: group !== undefined && isOwnedBy(group.comment, spec.clusterName, t.name),
    clusterName: spec.clusterName,
    device: run.owner.metadata.name,
    memory: session.memory.get(t.key),
    retryToken: retryToken(run.owner),
    now: run.now,
    settleMs: (spec.adoption?.settleSeconds ?? SETTLE_DEFAULT_SECONDS) * 1000,
    ...(run.hooks?.drainHold ? { drainHold: (since) => run.hooks?.drainHold?.(t.key, since) } : {}),
  };
}

/**
 * On a full read, before the plan writes: a rewrite the plan's own re-add would otherwise hide
 * (fortisync's members gone, or Tigera's comment back on an adopted group) is counted now, so a
 * second one stops the group before the plan writes to it again.
 */
export function noteRewrites(run: Omit<AdoptionRun, 'client' | 'fullRead'>): AdoptionEvent[] {
  const events: AdoptionEvent[] = [];
  for (const t of adoptedKeys(run.spec, run.desired)) {
    const memory = run.session.memory.get(t.key);
    if (!memory || memory.state === 'Conflict' || memory.state === 'NotCalicoEnterprise') continue;
    const d = adoptionStep(stepInput(run, t, run.observed.groups.get(t.key)));
    if (d.event?.reason !== 'AdoptionRewritten' && d.event?.reason !== 'AdoptionConflict') continue;
    run.session.memory.set(t.key, d.memory);
    events.push(d.event);
  }
  return events;
}

async function stepGroup(
  run: AdoptionRun,
  t: Target,
  result: AdoptionResult,
): Promise<AdoptedGroupStatus | undefined> {
  const { session, observed } = run;
  const known = observed.groups.get(t.key);
  const underWay = pending(session.memory.get(t.key), known?.comment);
  if (!run.fullRead && !underWay) return statusOf(t, session.memory.get(t.key), known, run, result);
  let group = known;
  if (underWay) {
    // A fresh read: the step (and the drain's single write) must see what the device holds now.
    const entry = await run.client.get(groupTable(t.family), t.name);
    result.reads++;
    group = entry ? observedGroup(entry, t.family) : undefined;
    if (group) observed.groups.set(t.key, group);
    else observed.groups.delete(t.key);
  }
  const input = stepInput(run, t, group);
  const { isOurs, isTigera } = input;
  const decision = adoptionStep(input);
  session.memory.set(t.key, decision.memory);
  if (decision.event) result.events.push(decision.event);
  if (decision.recheckMs !== undefined)
    result.recheckMs = Math.min(result.recheckMs ?? decision.recheckMs, decision.recheckMs);
  if (decision.write && group) {
    const { members, comment } = decision.write;
    await run.client.update(groupTable(t.family), t.name, {
      member: members.map((name) => ({ name })),
      comment,
    });
    result.writes++;
    group = { ...group, members, comment };
    observed.groups.set(t.key, group);
  }
  return statusOf(t, decision.memory, group, run, result, isOurs, isTigera);
}

function statusOf(
  t: { key: string; family: IPFamily; name: string },
  memory: AdoptionMemory | undefined,
  group: ReturnType<typeof observedGroup> | undefined,
  run: AdoptionRun,
  result: AdoptionResult,
  isOurs?: (m: string) => boolean,
  isTigera?: (m: string) => boolean,
): AdoptedGroupStatus | undefined {
  if (!memory) return undefined;
  const problem = problemOf(t.name, memory);
  if (problem) result.problems.set(t.key, problem);
  return {
    name: t.name,
    family: t.family,
    state: memory.state,
    since: formatTime(memory.since || run.now),
    ...(group && isOurs && isTigera ? { members: memberCounts(group, isOurs, isTigera) } : {}),
    ...(memory.message ? { message: memory.message } : {}),
    ...(memory.state === 'Conflict' ? { retryToken: memory.retryToken ?? '' } : {}),
  };
}

/** The group's problem while adoption is under way or stopped; none once adopted. */
function problemOf(name: string, m: AdoptionMemory): Problem | undefined {
  if (m.state === 'Conflict')
    return { reason: 'AdoptionConflict', message: m.message ?? `adoption of group ${name} stopped` };
  if (m.state === 'Adding' || m.state === 'Settling')
    return {
      reason: 'Adopting',
      message: `adopting group ${name} from Calico Enterprise: fortisync's members are in beside Tigera's, which leave once fortisync's have held (see status.adoption of its FortiGateDevice or FortiManagerTarget)`,
    };
  return undefined;
}

/** Tigera's groups no mapping adopts, and its addresses no adopted group holds (left alone). */
function unadopted(run: AdoptionRun, adopted: AdoptedGroupStatus[]): { groups: string[]; addresses: number } {
  const adoptedKeys = new Set(adopted.map((s) => groupKey(s.family, s.name)));
  const groups: string[] = [];
  const heldByAdopted = new Set<string>();
  for (const [key, g] of run.observed.groups) {
    if (!adoptedKeys.has(key)) {
      if (isTigeraComment(g.comment)) groups.push(g.name);
      continue;
    }
    for (const m of g.members) heldByAdopted.add(addressKey(g.family, m));
  }
  const addresses = [...(run.session.tigeraAddresses ?? [])].filter((a) => !heldByAdopted.has(a)).length;
  return { groups: groups.sort().slice(0, UNADOPTED_NAMES_MAX), addresses };
}
