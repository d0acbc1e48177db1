import { addressKey, groupKey, type ObservedDeviceState, type PlanOp } from '../../src/domain/model.js';

/** What a FortiGate holds after every operation of the plan succeeded (as a sync's execution leaves it). */
export function applyPlanOps(observed: ObservedDeviceState, ops: readonly PlanOp[]): void {
  for (const op of ops) {
    if (op.op === 'createAddress' || op.op === 'updateAddress') {
      const a = op.address;
      observed.addresses.set(addressKey(a.family, a.name), {
        name: a.name,
        family: a.family,
        ip: a.ip,
        comment: a.comment,
      });
    } else if (op.op === 'deleteAddress') observed.addresses.delete(addressKey(op.family, op.name));
    else if (op.op === 'createGroup')
      observed.groups.set(groupKey(op.family, op.name), {
        name: op.name,
        family: op.family,
        members: op.members,
        comment: op.comment,
      });
    else if (op.op === 'setGroupMembers') {
      const g = observed.groups.get(groupKey(op.family, op.name));
      if (g)
        observed.groups.set(groupKey(op.family, op.name), {
          ...g,
          members: op.members,
          comment: op.comment ?? g.comment,
        });
    } else observed.groups.delete(groupKey(op.family, op.name));
  }
}
