import { FortiOSError } from '../../fortigate/errors.js';
import type { Problem } from '../../domain/problem.js';
import { ADVICE, DEVICE_WIDE_KINDS, REASON_BY_KIND } from './reasons.js';
import { ReferenceProblem } from './referenced-objects.js';
import type { FailureRetry } from './schedule.js';

/** A failed device reconcile: what to report on the device and how to retry. */
export interface Failure {
  problem: Problem;
  retry: FailureRetry;
}

/** Pure: the condition and retry rule for an error that ended a device reconcile. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof ReferenceProblem && err.reason.endsWith('Unreadable')) {
    return {
      problem: {
        reason: err.reason,
        message: `${err.message}: grant the operator get and watch on it (docs/install.md, credentials scope), or reference an object in a namespace it may read`,
      },
      retry: 'backoff', // a permission granted later sends no watch event: retry on our own
    };
  }
  if (err instanceof ReferenceProblem && err.reason.endsWith('NotAllowed')) {
    return {
      problem: {
        reason: err.reason,
        message: `${err.message}: move it there, or install the cross-namespace credentials option (docs/install.md, credentials scope)`,
      },
      retry: 'on-change', // a spec change (another reference) brings the device back
    };
  }
  if (err instanceof ReferenceProblem) {
    return {
      problem: {
        reason: err.reason,
        message: `${err.message}: create it or fix spec.credentialsSecretRef / spec.tls`,
      },
      retry: 'on-change', // the watch on the object re-triggers when it appears
    };
  }
  if (err instanceof FortiOSError && DEVICE_WIDE_KINDS.has(err.kind)) {
    const reason = REASON_BY_KIND[err.kind];
    const advice = ADVICE[reason];
    return {
      problem: { reason, message: `${err.message}${advice ? ` — ${advice}` : ''}` },
      retry: isAuthFailure(err) ? 'after-lockout-wait' : 'backoff',
    };
  }
  if (err instanceof FortiOSError)
    return { problem: { reason: REASON_BY_KIND[err.kind], message: err.message }, retry: 'backoff' };
  return {
    problem: { reason: 'SyncFailed', message: err instanceof Error ? err.message : String(err) },
    retry: 'backoff',
  };
}

/** A refused token (401) or a locked-out source (429): the lockout guard holds further requests. */
export function isAuthFailure(err: unknown): boolean {
  return err instanceof FortiOSError && (err.kind === 'unauthorized' || err.kind === 'locked-out');
}
