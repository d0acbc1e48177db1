import type { Problem } from '../../domain/problem.js';
import type { FortiManagerErrorKind } from '../../fortimanager/index.js';
import { classifyFailure, type Failure } from '../device/failure.js';
import { fmgCause } from './adom-objects.js';

/** Someone else's ADOM lock: first retry after this long, doubling up to LOCK_RETRY_MAX_MS (ADR §5). */
export const LOCK_RETRY_BASE_MS = 5_000;
export const LOCK_RETRY_MAX_MS = 300_000;

/** Reasons a person can act on, per FortiManager failure kind (the rest fall back to FortiOS's). */
const REASONS: Partial<Record<FortiManagerErrorKind, { reason: string; advice: string }>> = {
  locked: {
    reason: 'ADOMLocked',
    advice:
      'fortisync never breaks another lock; it retries with backoff (5 s to 5 min) until the holder unlocks the ADOM',
  },
  'workflow-unsupported': {
    reason: 'WorkflowModeUnsupported',
    advice:
      'workflow mode needs an approver for every change, so stale members would stay; set the ADOM to workspace mode normal or disabled',
  },
  'lock-required': {
    reason: 'LockRequired',
    advice: 'FortiManager asks for a workspace lock; fortisync re-reads the workspace mode and retries',
  },
  unauthorized: {
    reason: 'Unauthorized',
    advice:
      'FortiManager answered -11: check the Secret, that the admin has rpc-permit read-write and access to the ADOM',
  },
  'login-failed': {
    reason: 'Unauthorized',
    advice:
      'the login was refused: check username and password in the Secret; logins are spaced out meanwhile',
  },
  'login-limit': {
    reason: 'LoginLimit',
    advice:
      'FortiManager has reached login-max sessions for this admin; fortisync holds at most one per target',
  },
  'no-write-permission': {
    reason: 'Forbidden',
    advice: 'the admin profile lacks read-write on policy-objects (and adom-lock in workspace mode)',
  },
  'invalid-url': {
    reason: 'ADOMNotFound',
    advice: 'check spec.adom: FortiManager does not know this ADOM, or the admin may not use it',
  },
};

/** The problem of an ADOM in workflow mode (found when connecting, before any write). */
export function workflowProblem(adom: string): Problem {
  const known = REASONS['workflow-unsupported']!;
  return { reason: known.reason, message: `ADOM ${adom} is in workspace mode workflow: ${known.advice}` };
}

/** What a failed FortiManagerTarget reconcile reports, and how it is retried. */
export function classifyTargetFailure(err: unknown): Failure {
  const cause = fmgCause(err);
  const known = cause && REASONS[cause.kind];
  if (!cause || !known) return classifyFailure(err);
  const problem: Problem = { reason: known.reason, message: `${cause.message} — ${known.advice}` };
  if (cause.kind === 'workflow-unsupported') return { problem, retry: 'on-change' };
  return { problem, retry: 'backoff' };
}

/**
 * The wait before trying a locked ADOM again, after `attempt` consecutive refusals (1 = first):
 * exponential with jitter in [½, 1] of the step, so several clusters do not retry in step.
 */
export function lockRetryMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(LOCK_RETRY_MAX_MS, LOCK_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + random() / 2));
}
