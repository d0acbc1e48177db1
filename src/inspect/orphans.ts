import { groupKey, type DesiredDeviceState, type Plan, type PlanOp } from '../domain/model.js';

/** A removal `orphans` offers: an object (or our members of a group) nothing in the cluster wants. */
export type OrphanOp = Extract<PlanOp, { op: 'deleteAddress' | 'deleteGroup' | 'setGroupMembers' }>;

/**
 * The part of the operator's plan that only removes what no mapping wants any more: addresses
 * nothing holds, groups fortisync created that no mapping feeds, and its members in groups no
 * mapping feeds. Creations and the membership of groups some mapping feeds are the operator's
 * ordinary work, not orphans, and are left out.
 */
export function orphanOps(p: Plan, desired: DesiredDeviceState): OrphanOp[] {
  return p.ops.filter(
    (op): op is OrphanOp =>
      op.op === 'deleteAddress' ||
      op.op === 'deleteGroup' ||
      (op.op === 'setGroupMembers' && !desired.groups.has(groupKey(op.family, op.name))),
  );
}
