import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import {
  MEMBER_PREVIEW_LIMIT,
  type DeviceSyncState,
  type TargetKind,
  type FortiGateEndpointMapping,
  type FortiGateEndpointMappingStatus,
  type PlannedChanges,
} from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  checkDeviceSpec,
  checkFortiManagerTargetSpec,
  type ValidMappingSpec,
} from '../../api/v1alpha1/validation.js';
import {
  accessProblem,
  mappingMembers,
  namingScope,
  type ClusterView,
  type MappingInput,
  type MembersOf,
  type TargetPolicy,
} from '../../domain/desired.js';
import { groupKey, type DesiredAddress, type PlanOp } from '../../domain/model.js';
import { REFUSAL_REASONS } from '../../domain/tenancy.js';
import { setCondition, type Condition } from '../../runtime/conditions.js';
import { objectKey } from '../../runtime/store.js';
import type { Problem } from '../../domain/problem.js';
import type { DeviceSyncReport } from '../device/sync-state.js';
import { DEVICE_NOT_FOUND_GRACE_MS } from '../../domain/health.js';
import { withHealthConditions } from '../health-conditions.js';

export interface DeviceView {
  /** Absent: a FortiGateDevice. */
  kind?: TargetKind;
  device: FortiGateDevice | FortiManagerTarget | undefined;
  /** The device's last sync, as far as this mapping may know it. */
  sync: DeviceSyncReport | undefined;
}

export interface MappingStatusResult {
  status: FortiGateEndpointMappingStatus;
  /** Every target device has let the mapping's members go (only meaningful while deleting). */
  released: boolean;
  ready: boolean;
  readyReason: string;
  /** Compute the status again this much later (a grace period ends then). */
  recheckAfterMs?: number;
}

interface DeviceOutcome {
  state: DeviceSyncState;
  problem?: Problem;
  pending?: boolean;
  planned?: PlanOp[];
  members: readonly DesiredAddress[];
}

const PLAN_LIMIT = 50;

/** One target a mapping names: a FortiGateDevice (spec.devices) or a FortiManagerTarget. */
export interface TargetRef {
  kind: TargetKind;
  name: string;
}

/** Every target a mapping names, devices first. */
export function targetRefs(spec: Pick<ValidMappingSpec, 'devices' | 'fortiManagerTargets'>): TargetRef[] {
  return [
    ...(spec.devices ?? []).map((name) => ({ kind: 'FortiGateDevice' as const, name })),
    ...(spec.fortiManagerTargets ?? []).map((name) => ({ kind: 'FortiManagerTarget' as const, name })),
  ];
}

/** The key of a target's view: a device's name alone (as before), a FortiManagerTarget's with its kind. */
export function targetViewKey(ref: TargetRef): string {
  return ref.kind === 'FortiGateDevice' ? ref.name : `${ref.kind}/${ref.name}`;
}

const labelOf = (ref: TargetRef): string =>
  ref.kind === 'FortiGateDevice' ? ref.name : `${ref.kind} ${ref.name}`;

/** The shared fields of a target's spec, validated with its own kind's schema. */
function targetPolicy(kind: TargetKind, spec: unknown): { ok: true; spec: TargetPolicy } | { ok: false } {
  return kind === 'FortiManagerTarget'
    ? (checkFortiManagerTargetSpec(spec) as { ok: true; spec: TargetPolicy } | { ok: false })
    : checkDeviceSpec(spec);
}

function planSummary(ops: PlanOp[]): PlannedChanges {
  const out: Required<PlannedChanges> = {
    createAddresses: [],
    updateAddresses: [],
    addMembers: [],
    removeMembers: [],
    deleteAddresses: [],
    createGroups: [],
    deleteGroups: [],
  };
  for (const op of ops) {
    if (op.op === 'createAddress') out.createAddresses.push(`${op.address.name} (${op.address.ip})`);
    else if (op.op === 'updateAddress') out.updateAddresses.push(`${op.address.name} (${op.address.ip})`);
    else if (op.op === 'createGroup') {
      out.createGroups.push(op.name);
      out.addMembers.push(...op.added);
    } else if (op.op === 'setGroupMembers') {
      out.addMembers.push(...op.added);
      out.removeMembers.push(...op.removed);
    } else if (op.op === 'deleteGroup') {
      out.deleteGroups.push(op.name);
      out.removeMembers.push(...op.removed);
    } else out.deleteAddresses.push(op.name);
  }
  const trimmed: PlannedChanges = {};
  for (const [k, v] of Object.entries(out) as [keyof PlannedChanges, string[]][]) {
    if (v.length) trimmed[k] = [...new Set(v)].slice(0, PLAN_LIMIT);
  }
  return trimmed;
}

function outcomeFor(
  ref: TargetRef,
  dv: DeviceView,
  mapping: MappingInput,
  view: ClusterView,
  membersOf: MembersOf,
): DeviceOutcome {
  const { name, kind } = ref;
  const state: DeviceSyncState = { name, kind, synced: false };
  const field = kind === 'FortiGateDevice' ? 'spec.devices' : 'spec.fortiManagerTargets';
  if (!dv.device) {
    return {
      state: { ...state, lastError: `${kind} ${name} not found` },
      problem: {
        reason: 'DeviceNotFound',
        message: `${kind} ${name} does not exist; create it or fix ${field}`,
      },
      members: [],
    };
  }
  const check = targetPolicy(kind, dv.device.spec);
  if (!check.ok) {
    return {
      state: { ...state, lastError: `${kind === 'FortiGateDevice' ? 'device' : 'target'} spec invalid` },
      problem: {
        reason: 'DeviceInvalid',
        message: `${kind} ${name} has an invalid spec (see its status)`,
      },
      members: [],
    };
  }
  const deviceInput = { name, kind, spec: check.spec };
  const denied = accessProblem(deviceInput, mapping, view);
  if (denied) return { state: { ...state, lastError: denied.message }, problem: denied, members: [] };
  const own = dv.sync?.mappingProblem(mapping.key);
  if (own && REFUSAL_REASONS.has(own.reason))
    return { state: { ...state, lastError: own.message }, problem: own, members: [] };
  const members = membersOf(mapping, namingScope(check.spec));
  const deviceProblem = dv.sync?.problem;
  if (deviceProblem) {
    return {
      state: { ...state, members: members.length, lastError: deviceProblem.message },
      problem: deviceProblem,
      members,
    };
  }
  const groups = mapping.spec.ipFamilies.map((f) => dv.sync?.group(groupKey(f, mapping.spec.addressGroup)));
  const dryRun = check.spec.dryRun || mapping.spec.dryRun;
  if (dryRun) {
    const planned = groups.flatMap((g) => g?.plannedOps?.get(mapping.key) ?? []);
    return { state: { ...state, members: members.length }, planned, members };
  }
  if (own)
    return { state: { ...state, members: members.length, lastError: own.message }, problem: own, members };
  if (groups.some((g) => g === undefined)) {
    return { state: { ...state, members: members.length }, pending: true, members };
  }
  const failed = groups.find((g) => g && !g.ok);
  if (failed?.problem) {
    return {
      state: {
        ...state,
        members: members.length,
        lastError: failed.problem.message,
        ...(failed.lastSyncTime ? { lastSyncTime: failed.lastSyncTime } : {}),
      },
      problem: failed.problem,
      members,
    };
  }
  const times = groups
    .map((g) => g?.lastSyncTime)
    .filter((t): t is string => Boolean(t))
    .sort();
  return {
    state: {
      ...state,
      synced: true,
      members: members.length,
      ...(times.length ? { lastSyncTime: times[times.length - 1] } : {}),
    },
    members,
  };
}

type ConditionStatus = 'True' | 'False' | 'Unknown';

/** Conditions being updated for one status computation (transition times kept from `prev`). */
class ConditionSet {
  conditions: Condition[];
  constructor(
    prev: readonly Condition[] | undefined,
    private readonly gen: { observedGeneration?: number },
    private readonly now: number,
  ) {
    this.conditions = [...(prev ?? [])];
  }
  set(type: string, status: ConditionStatus, reason: string, message: string): void {
    this.conditions = setCondition(this.conditions, { type, status, reason, message, ...this.gen }, this.now);
  }
  /** Adds Reconciling and Stalled, derived from Ready (the kstatus contract). */
  finish(youngerThanGrace: boolean): Condition[] {
    this.conditions = withHealthConditions(this.conditions, this.gen, this.now, youngerThanGrace);
    return this.conditions;
  }
}

/** Within the grace period after creation, a missing device may still be on its way. */
function graceLeftMs(mapping: FortiGateEndpointMapping, now: number): number {
  const created = mapping.metadata.creationTimestamp;
  if (!created) return 0;
  return Math.max(0, new Date(created).getTime() + DEVICE_NOT_FOUND_GRACE_MS - now);
}

/**
 * Target devices whose last finished sync has not yet computed with the mapping's current
 * generation. A device with a problem (its own, or this mapping's access) has decided already.
 */
function devicesBehind(
  mapping: FortiGateEndpointMapping,
  spec: ValidMappingSpec,
  devices: Map<string, DeviceView>,
  outcomes: readonly DeviceOutcome[],
): string[] {
  const { uid, generation } = mapping.metadata;
  if (!uid || generation === undefined) return [];
  return targetRefs(spec)
    .filter((d, i) => {
      if (outcomes[i]?.problem) return false;
      const seen = devices.get(targetViewKey(d))?.sync?.generationSeen(uid);
      return seen === undefined || seen < generation;
    })
    .map(labelOf);
}

/**
 * The status a mapping should show, computed only from caches and the devices' last sync results.
 * Pure: the reconciler compares it with what is stored and writes only a difference.
 */
export function computeMappingStatus(
  mapping: FortiGateEndpointMapping,
  spec: ValidMappingSpec | undefined,
  specProblem: string | undefined,
  devices: Map<string, DeviceView>,
  view: ClusterView,
  now: number,
  membersOf: MembersOf = (m, scope) => mappingMembers(m, scope, view),
): MappingStatusResult {
  const generation = mapping.metadata.generation;
  const prev = mapping.status ?? {};
  const gen = generation !== undefined ? { observedGeneration: generation } : {};
  const conds = new ConditionSet(prev.conditions as Condition[] | undefined, gen, now);
  if (!spec) {
    const message = `spec is invalid: ${specProblem ?? 'unknown problem'}; nothing is written for this mapping`;
    conds.set('Ready', 'False', 'InvalidSpec', message);
    conds.set('Synced', 'False', 'InvalidSpec', message);
    return {
      status: { ...gen, conditions: conds.finish(false), members: 0, devices: [] },
      released: true,
      ready: false,
      readyReason: 'InvalidSpec',
    };
  }
  const input: MappingInput = {
    key: objectKey(mapping),
    namespace: mapping.metadata.namespace ?? '',
    name: mapping.metadata.name,
    spec,
    deleting: Boolean(mapping.metadata.deletionTimestamp),
  };
  const outcomes = targetRefs(spec).map((d) =>
    outcomeFor(
      d,
      devices.get(targetViewKey(d)) ?? { device: undefined, sync: undefined },
      input,
      view,
      membersOf,
    ),
  );
  if (input.deleting) return deletingStatus(mapping, spec, devices, outcomes, conds, { ...prev, ...gen });

  const members = new Map<string, DesiredAddress>();
  for (const o of outcomes) for (const m of o.members) members.set(`${m.family}/${m.name}`, m);
  const behind = devicesBehind(mapping, spec, devices, outcomes);
  const ready =
    behind.length > 0 && !outcomes.some((o) => o.problem) && !spec.suspend
      ? {
          status: 'False' as const,
          reason: 'Pending',
          message: `generation ${generation} of the spec is not yet applied to ${behind.join(', ')}`,
        }
      : readyOf(spec, outcomes, members.size);
  conds.set('Ready', ready.status, ready.reason, ready.message);
  setSynced(conds, spec, outcomes, ready.message);
  const grace = ready.reason === 'DeviceNotFound' ? graceLeftMs(mapping, now) : 0;
  conds.finish(grace > 0);
  // observedGeneration says which spec the devices hold: it advances once every device has synced it.
  const kept = prev.observedGeneration !== undefined ? { observedGeneration: prev.observedGeneration } : {};
  const observed = behind.length > 0 ? kept : gen;
  const allSynced = outcomes.every((o) => o.state.synced);
  const dryRun = outcomes.some((o) => o.planned);
  const times = outcomes
    .map((o) => o.state.lastSyncTime)
    .filter((t): t is string => Boolean(t))
    .sort();
  const status: FortiGateEndpointMappingStatus = {
    ...observed,
    conditions: conds.conditions,
    members: members.size,
    memberPreview: preview(members),
    devices: outcomes.map((o) => o.state),
    ...(allSynced && times.length
      ? { lastSyncTime: times[0] }
      : prev.lastSyncTime
        ? { lastSyncTime: prev.lastSyncTime }
        : {}),
    ...(dryRun ? { plan: planSummary(outcomes.flatMap((o) => o.planned ?? [])) } : {}),
  };
  return {
    status,
    released: false,
    ready: ready.status === 'True',
    readyReason: ready.reason,
    ...(grace > 0 ? { recheckAfterMs: grace } : {}),
  };
}

function preview(
  members: Map<string, DesiredAddress>,
): NonNullable<FortiGateEndpointMappingStatus['memberPreview']> {
  return [...members.values()].slice(0, MEMBER_PREVIEW_LIMIT).map((m) => ({
    address: m.ip,
    family: m.family,
    ...(m.node ? { node: m.node } : {}),
    ...(m.pod ? { pod: m.pod } : {}),
  }));
}

/** While deleting: released once every device that exists has let the members go. */
function deletingStatus(
  mapping: FortiGateEndpointMapping,
  spec: ValidMappingSpec,
  devices: Map<string, DeviceView>,
  outcomes: DeviceOutcome[],
  conds: ConditionSet,
  base: FortiGateEndpointMappingStatus,
): MappingStatusResult {
  const uid = mapping.metadata.uid;
  const waiting = targetRefs(spec)
    .filter((d) => {
      const dv = devices.get(targetViewKey(d));
      if (!dv?.device) return false;
      return !(uid && dv.sync?.released(uid));
    })
    .map(labelOf);
  const problem = outcomes.find((o) => o.problem)?.problem;
  const message = waiting.length
    ? `removing members from ${waiting.join(', ')}${problem ? ` (${problem.message})` : ''}`
    : 'members removed from every device';
  conds.set('Ready', 'False', 'Deleting', message);
  return {
    status: { ...base, conditions: conds.finish(false) },
    released: waiting.length === 0,
    ready: false,
    readyReason: 'Deleting',
  };
}

function readyOf(
  spec: ValidMappingSpec,
  outcomes: DeviceOutcome[],
  members: number,
): { status: 'True' | 'False'; reason: string; message: string } {
  const problem = outcomes.find((o) => o.problem)?.problem;
  if (spec.suspend)
    return {
      status: 'False',
      reason: 'Suspended',
      message: 'spec.suspend is true: the group is left as it is',
    };
  if (problem) return { status: 'False', reason: problem.reason, message: problem.message };
  if (outcomes.some((o) => o.planned)) {
    const n = outcomes.reduce((acc, o) => acc + (o.planned?.length ?? 0), 0);
    return {
      status: 'False',
      reason: 'DryRun',
      message: `dry run: ${n} operation(s) would be performed; see status.plan`,
    };
  }
  if (outcomes.some((o) => o.pending) || !outcomes.every((o) => o.state.synced))
    return { status: 'False', reason: 'Pending', message: 'waiting for the first sync of every device' };
  return {
    status: 'True',
    reason: 'Synced',
    message: `${spec.addressGroup} holds ${members} member(s) on ${targetRefs(spec).map(labelOf).join(', ')}`,
  };
}

function setSynced(
  conds: ConditionSet,
  spec: ValidMappingSpec,
  outcomes: DeviceOutcome[],
  readyMessage: string,
): void {
  const syncProblem = outcomes.find((o) => o.problem && o.state.lastError)?.problem;
  if (syncProblem) conds.set('Synced', 'False', syncProblem.reason, syncProblem.message);
  else if (outcomes.every((o) => o.state.synced))
    conds.set('Synced', 'True', 'Synced', 'the last sync of every device succeeded');
  else {
    const reason = spec.suspend ? 'Suspended' : outcomes.some((o) => o.planned) ? 'DryRun' : 'Pending';
    conds.set('Synced', 'Unknown', reason, readyMessage);
  }
}
