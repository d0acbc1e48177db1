import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { fullBase, updateBase, type BaseUpdate, type DesiredBase } from '../../domain/desired-base.js';
import {
  desiredDeviceState,
  targetsOfMapping,
  type ClusterView,
  type DesiredContext,
  type MappingInput,
  type MembersOf,
  type TargetInput,
} from '../../domain/desired.js';
import {
  addressKey,
  addressOfOp,
  isGroupOp,
  type DesiredDeviceState,
  type ObservedDeviceState,
  type Plan,
  type PlanOp,
} from '../../domain/model.js';
import { plan, planScoped, scopedPlanApplies, type PlanOptions } from '../../domain/plan.js';
import type { Lister } from '../../runtime/store.js';
import { opWithin, type Footprint } from './overlap.js';
import type { DeviceSession } from './sync-state.js';

/** Turns cached mappings into desired-state inputs (the sync's validation and conversion). */
export type ToInputs = (mappings: FortiGateEndpointMapping[]) => MappingInput[];

/** A sync's desired state and plan, and whether they were computed for a few groups only. */
export interface Planned {
  desired: DesiredDeviceState;
  plan: Plan;
  /** The desired state was updated from the last sync's, not computed whole. */
  incremental: boolean;
  /** Set when the plan looked only at these groups and addresses (the rest was in sync). */
  scope?: BaseUpdate;
  /** With an incremental desired state: the groups, addresses and mappings it recomputed. */
  recomputed?: BaseUpdate;
  /**
   * With an incremental desired state: the keys of the mappings whose part may differ from the last
   * sync's (those changed since, and every claimant of their groups). Nothing about any other
   * mapping changed, so the sync's bookkeeping need look at these alone.
   */
  changedMappings?: ReadonlySet<string>;
}

export interface PlanInputs {
  target: TargetInput;
  /** Every cached mapping, as inputs: asked for only when the state is computed whole. */
  mappings: () => readonly MappingInput[];
  session: DeviceSession;
  observed: ObservedDeviceState;
  limits: PlanOptions;
  ctx: DesiredContext;
  /** The device was read in full by this sync: start afresh. */
  fullRead: boolean;
  /**
   * What the batches still writing touch (ADR 0009): the device holds part of their writes, so a
   * check against a full plan leaves those objects out.
   */
  beside?: readonly Footprint[];
  /**
   * Changed mappings left for a later batch (their groups are being written): the desired state
   * holds their previous part, so a check leaves them, their groups and their addresses out.
   */
  held?: { mappings: ReadonlySet<string>; groups: ReadonlySet<string> };
}

/** Told when an incremental result differs from the full one (tests turn this on; it must never fire). */
export type DivergenceReport = (device: string, what: string) => void;

/**
 * Desired state and plan for one sync, incremental when it can be (issue 19): the groups the
 * changed mappings feed are recomputed and planned, the rest is known to be in sync. It starts
 * afresh on a full read, a new spec, a node or namespace change ('all'), and after any sync that
 * left something undone; `verify` recomputes everything too and reports any difference.
 */
export class IncrementalPlanner {
  constructor(
    private readonly deps: {
      mappings: Lister<FortiGateEndpointMapping>;
      toInputs: ToInputs;
      view: ClusterView;
      membersOf?: MembersOf;
      verify?: DivergenceReport;
    },
  ) {}

  planSync(i: PlanInputs): Planned {
    const specKey = JSON.stringify(i.target.spec);
    const dirty = i.session.dirty;
    const base = i.session.desiredBase;
    i.session.dirty = new Set();
    i.session.desiredBase = undefined; // until this computation is complete
    const incremental =
      !i.fullRead && base !== undefined && base.specKey === specKey && dirty !== 'all' ? base : undefined;
    const planned = incremental ? this.update(i, incremental, dirty as Set<string>) : this.full(i, specKey);
    return this.deps.verify && planned.incremental ? this.check(i, planned) : planned;
  }

  /** The group the mapping with this key claims on the target now (undefined: it does not target it). */
  groupOf(target: TargetInput, key: string): string | undefined {
    return this.current(target, key)?.spec.addressGroup;
  }

  private full(i: PlanInputs, specKey: string): Planned {
    const targeting = this.targeting(i);
    const desired = desiredDeviceState(i.target, targeting, this.deps.view, this.deps.membersOf, i.ctx);
    i.session.desiredBase = { ...fullBase(desired, targeting), specKey };
    return { desired, plan: plan(desired, i.observed, i.limits), incremental: false };
  }

  private update(i: PlanInputs, base: DesiredBase & { specKey: string }, dirty: Set<string>): Planned {
    const scope = updateBase(base, dirty, (key) => this.current(i.target, key), {
      device: i.target,
      view: this.deps.view,
      ...(this.deps.membersOf ? { membersOf: this.deps.membersOf } : {}),
      ctx: i.ctx,
    });
    i.session.desiredBase = base;
    const desired = base.state;
    const changedMappings = scope.mappings;
    // The rest of the device is in sync only if the last sync did all it planned.
    if (!i.session.inSync || !scopedPlanApplies(desired, i.limits))
      return {
        desired,
        plan: plan(desired, i.observed, i.limits),
        incremental: true,
        changedMappings,
        recomputed: scope,
      };
    for (const key of i.session.carriedAddresses ?? []) scope.addresses.add(key);
    for (const name of i.session.carriedScope?.groups ?? []) scope.groups.add(name);
    for (const key of i.session.carriedScope?.addresses ?? []) scope.addresses.add(key);
    return {
      desired,
      plan: planScoped(desired, i.observed, i.limits, scope),
      incremental: true,
      scope,
      recomputed: scope,
      changedMappings,
    };
  }

  /** The mapping with this key if it targets the device. */
  private current(target: TargetInput, key: string): MappingInput | undefined {
    const m = this.deps.mappings.get(key);
    const input = m ? this.deps.toInputs([m])[0] : undefined;
    return input && targetsOfMapping(input.spec, target.kind).includes(target.name) ? input : undefined;
  }

  private targeting(i: PlanInputs): MappingInput[] {
    return i.mappings().filter((m) => targetsOfMapping(m.spec, i.target.kind).includes(i.target.name));
  }

  /** Tests: the incremental result must be what a full computation gives; if not, the full one is used. */
  private check(i: PlanInputs, got: Planned): Planned {
    const all = this.targeting(i);
    const desired = desiredDeviceState(i.target, all, this.deps.view, this.deps.membersOf, i.ctx);
    const want = plan(desired, i.observed, i.limits);
    const apart = setAside(i, desired, got.desired);
    const ops = (list: PlanOp[]): string => JSON.stringify(list.filter((op) => !apart.op(op)));
    const diffs: string[] = [];
    if (ops(want.ops) !== ops(got.plan.ops))
      diffs.push(`plan ${ops(got.plan.ops)} instead of ${ops(want.ops)}`);
    const shape = (d: DesiredDeviceState): string =>
      JSON.stringify({
        groups: [...d.groups]
          .filter(([, g]) => !apart.group(g.name))
          .map(([k, g]) => [k, [...g.members].sort(), g.frozen, g.orphanOnRelease, [...g.mappings].sort()])
          .sort(),
        addresses: [...d.addresses.keys()].filter((k) => !apart.address(k)).sort(),
        live: [...(d.live?.keys() ?? [])].filter((k) => !apart.mapping(k)).sort(),
        refused: [...(d.refused?.keys() ?? [])].filter((k) => !apart.mapping(k)).sort(),
        releasing: [...d.releasing.keys()].filter((k) => !apart.mapping(k)).sort(),
      });
    if (shape(desired) !== shape(got.desired))
      diffs.push(`desired ${shape(got.desired)} instead of ${shape(desired)}`);
    if (diffs.length === 0) return got;
    this.deps.verify?.(i.target.name, diffs.join('; '));
    if (apart.any) return got; // a full plan would write again what is in flight
    i.session.desiredBase = { ...fullBase(desired, all), specKey: JSON.stringify(i.target.spec) };
    return { desired, plan: want, incremental: false };
  }
}

/** What a check leaves out: the objects of the batches in flight, and the mappings held back. */
function setAside(i: PlanInputs, full: DesiredDeviceState, got: DesiredDeviceState) {
  const beside = i.beside ?? [];
  const held = i.held;
  // A held mapping's group decides its other claimants' parts too (admission, refusals).
  const heldMappings = new Set(held?.mappings);
  for (const m of held ? i.mappings() : [])
    if (held?.groups.has(m.spec.addressGroup)) heldMappings.add(m.key);
  for (const g of held?.groups ?? [])
    for (const key of i.session.desiredBase?.claimants.get(g) ?? []) heldMappings.add(key);
  const heldAddresses = new Set<string>();
  for (const d of [full, got])
    for (const key of heldMappings)
      for (const a of d.live?.get(key) ?? []) heldAddresses.add(addressKey(a.family, a.name));
  // What a held group names on the device now goes with it (whether the group keeps it, and so
  // whether the address may go, is the held change's to decide).
  for (const g of i.observed.groups.values())
    if (held?.groups.has(g.name)) for (const m of g.members) heldAddresses.add(addressKey(g.family, m));
  const group = (name: string): boolean =>
    Boolean(held?.groups.has(name)) || beside.some((f) => f.groups.has(name));
  const address = (key: string): boolean =>
    heldAddresses.has(key) || beside.some((f) => f.written.has(key) || f.named.has(key));
  return {
    any: beside.length > 0 || heldMappings.size > 0,
    group,
    address,
    mapping: (key: string): boolean => heldMappings.has(key),
    op: (op: PlanOp): boolean => {
      if (opWithin(op, beside)) return true;
      if (isGroupOp(op)) return group(op.name);
      const key = addressOfOp(op);
      return key !== undefined && address(key);
    },
  };
}
