import type { PlanOp } from '../../domain/model.js';

/** One plan operation as a table row: what, which family, which object, the detail. */
export function opRow(op: PlanOp): [string, string, string, string] {
  switch (op.op) {
    case 'createAddress':
    case 'updateAddress':
      return [op.op, op.address.family, op.address.name, op.address.ip];
    case 'createGroup':
      return [op.op, op.family, op.name, `members ${op.members.join(',')}`];
    case 'setGroupMembers':
      return [
        op.op,
        op.family,
        op.name,
        [...op.added.map((m) => `+${m}`), ...op.removed.map((m) => `-${m}`)].join(' ') ||
          `members ${op.members.join(',')}`,
      ];
    case 'deleteGroup':
      return [op.op, op.family, op.name, op.removed.length ? `had ${op.removed.join(',')}` : ''];
    case 'deleteAddress':
      return [op.op, op.family, op.name, ''];
  }
}
