import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { DesiredBase } from '../../domain/desired-base.js';
import {
  addressKey,
  addressOfOp,
  groupKey,
  isGroupOp,
  type ObservedDeviceState,
  type Plan,
  type PlanOp,
} from '../../domain/model.js';

/**
 * What one batch of a device's writes may change, or depends on staying as it is, on the device.
 * Two batches whose footprints do not meet can be planned and written at the same time: neither
 * reads or writes what the other changes (issue 19, ADR 0009).
 */
export interface Footprint {
  /** Names of the groups it writes (either family's group of that name). */
  readonly groups: ReadonlySet<string>;
  /** Address keys (family/name) it creates, updates or deletes. */
  readonly written: ReadonlySet<string>;
  /** Address keys its groups hold as members: planned, to be removed, or as last seen. */
  readonly named: ReadonlySet<string>;
}

/**
 * The footprint of a plan: the groups it writes, the addresses it writes, and every member those
 * groups name before and after (an address another batch deletes or creates must not be one of
 * them). A group it recomputed but does not write is not in it: the device's copy stays as it is.
 */
export function footprintOf(plan: Plan, observed: ObservedDeviceState): Footprint {
  const groups = new Set<string>();
  const written = new Set<string>();
  const named = new Set<string>();
  const name = (family: IPFamily, member: string): void => {
    named.add(addressKey(family, member));
  };
  for (const op of plan.ops) {
    if (!isGroupOp(op)) written.add(addressOfOp(op));
    else {
      groups.add(op.name);
      for (const m of 'members' in op ? op.members : []) name(op.family, m);
      for (const m of 'removed' in op ? op.removed : []) name(op.family, m);
      for (const m of observed.groups.get(groupKey(op.family, op.name))?.members ?? []) name(op.family, m);
    }
  }
  return { groups, written, named };
}

/** Whether two batches touch a common group, or one writes an address the other writes or names. */
export function footprintsMeet(a: Footprint, b: Footprint): boolean {
  return (
    meets(a.groups, b.groups) ||
    meets(a.written, b.written) ||
    meets(a.written, b.named) ||
    meets(b.written, a.named)
  );
}

/** Whether a planned operation concerns something in one of these footprints. */
export function opWithin(op: PlanOp, footprints: readonly Footprint[]): boolean {
  if (isGroupOp(op)) return footprints.some((f) => f.groups.has(op.name));
  const address = addressOfOp(op);
  return address !== undefined && footprints.some((f) => f.written.has(address) || f.named.has(address));
}

/**
 * The group names an update for these changed mappings would recompute (`updateBase`): each one's
 * group before and now. Known before planning, so a batch that would meet one in flight waits
 * without touching the desired state those in flight still report against.
 */
export function groupsOfChanges(
  changed: Iterable<string>,
  base: Pick<DesiredBase, 'groupOf'>,
  groupNow: (mappingKey: string) => string | undefined,
): string[] {
  const groups = new Set<string>();
  for (const key of changed) {
    const before = base.groupOf.get(key);
    if (before !== undefined) groups.add(before);
    const now = groupNow(key);
    if (now !== undefined) groups.add(now);
  }
  return [...groups];
}

function meets(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (large.has(x)) return true;
  return false;
}
