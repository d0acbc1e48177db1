/** metav1.Condition, as stored in status.conditions. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase, machine-readable. */
  reason: string;
  /** Human-readable; may be empty. */
  message: string;
  /** RFC 3339, second precision (metav1.Time). Changes only when `status` flips. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionUpdate = Omit<Condition, 'lastTransitionTime'> & { lastTransitionTime?: string };

/** metav1.Time is serialized with second precision; writing milliseconds would differ on read-back. */
export function formatTime(now: Date | number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * apimachinery's SetStatusCondition, immutably: returns a new list where `cond` replaces the
 * condition of the same type (keeping its position) or is appended. lastTransitionTime is kept
 * unless the status flips (or the condition is new), so "Ready since" stays meaningful.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  cond: ConditionUpdate,
  now: Date | number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === cond.type);
  const existing = i >= 0 ? list[i] : undefined;
  const transitioned = !existing || existing.status !== cond.status;
  const next: Condition = {
    type: cond.type,
    status: cond.status,
    reason: cond.reason,
    message: cond.message,
    lastTransitionTime: transitioned
      ? (cond.lastTransitionTime ?? formatTime(now))
      : (existing?.lastTransitionTime ?? formatTime(now)),
    ...(cond.observedGeneration !== undefined ? { observedGeneration: cond.observedGeneration } : {}),
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime === b.lastTransitionTime &&
    (a.observedGeneration ?? undefined) === (b.observedGeneration ?? undefined)
  );
}

/** Same set of conditions with the same fields, in any order. */
export function conditionsEqual(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c) => {
    const other = y.find((d) => d.type === c.type);
    return other !== undefined && sameCondition(c, other);
  });
}
