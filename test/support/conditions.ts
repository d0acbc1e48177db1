import type { Condition } from '../../src/api/v1alpha1/common.js';

/** Makes status conditions for fixtures, all changed at `at`; each message names its type and reason. */
export function conditionsAt(
  at: string,
): (type: string, status: Condition['status'], reason: string) => Condition {
  return (type, status, reason) => ({
    type,
    status,
    reason,
    message: `${type} ${reason}`,
    lastTransitionTime: at,
  });
}
