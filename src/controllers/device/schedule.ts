import type { Problem } from '../../domain/problem.js';

/**
 * How long a device waits after a 401 or 429 before anything reaches it again. FortiOS locks a
 * source address out after 3 failed logins within 60 s; one attempt per 120 s can never make three
 * in any 60 s window, and it outlasts the default lockout, so a 429 has lifted when we try again.
 * The wait is enforced in one place, the process-wide AuthGate (fortigate/auth-gate.ts) every
 * client passes, per FortiGate host; the reconciler only schedules its next run for when it ends.
 */
export const AUTH_BACKOFF_MS = 120_000;
/** A sync that left a group failing tries again after this long (or at the drift check, if sooner). */
export const GROUP_RETRY_MS = 10_000;
/** …or after this long when that sync wrote something (it may have made room, e.g. in a full table). */
export const PROGRESS_RETRY_MS = 1000;
/**
 * Unused addresses a sync left behind are deleted by a sync this much later at the latest; under a
 * stream of changes the next sync comes sooner and takes them along.
 */
export const DEFERRED_DELETE_MS = 1000;
/** No timed run of a device comes sooner than this after the last (drift checks included). */
export const MIN_SYNC_INTERVAL_MS = 1000;
/** A device status write that failed after its sync returned is tried again after this long. */
export const STATUS_RETRY_MS = 5000;

/** What one sync of a device did, as `nextRun` and the mapping statuses need it. */
export interface SyncOutcome {
  kind: 'synced';
  /** Group keys (family/name) whose per-group result changed: their mappings need a new status. */
  changedGroups: ReadonlySet<string>;
  /** Group keys this sync wrote, directly or through an address they hold (FortiManager installs). */
  touchedGroups?: ReadonlySet<string>;
  /** Mapping keys whose current generation this sync applied for the first time. */
  advancedMappings: ReadonlySet<string>;
  writes: number;
  /**
   * The sync hit a problem anywhere, also on a group no mapping wants any more (a failed delete or
   * member removal), which the per-group results do not track.
   */
  hadProblems: boolean;
  /** Unused addresses left for the next sync (see `ExecuteOptions.deferLateDeletes`). */
  deferredDeletes: number;
  /** A group's adoption is under way: read it again this soon (ADR 0004). */
  recheckMs?: number;
}

/** What a reconcile of a device ended with; `nextRun` turns it into when the device runs next. */
export type DeviceOutcome =
  | SyncOutcome
  /** The lockout guard holds every request until `untilMs`: nothing was sent. */
  | { kind: 'held'; untilMs: number }
  /** The device could not be synced. */
  | {
      kind: 'failed';
      problem: Problem;
      retry: FailureRetry;
      /** When the client's lockout guard lets requests through again (after a 401 or 429). */
      authBlockedUntilMs?: number;
      /** Rethrown for a `backoff` retry, so the controller counts and logs it. */
      error?: unknown;
    }
  /** Nothing to do until the object changes (invalid spec, suspended, gone, finalized). */
  | { kind: 'idle' }
  /** A status write after the sync: it failed, or a progress-only change was held back this long. */
  | { kind: 'status'; failed: boolean; deferredMs?: number };

/**
 * How a failure is retried: when the lockout guard lets requests through again; when a watched
 * object changes (a missing Secret: its watch re-triggers the device); or with the queue's per-key
 * exponential backoff.
 */
export type FailureRetry = 'after-lockout-wait' | 'on-change' | 'backoff';

/** The part of a device's session the schedule reads. */
export interface ScheduleView {
  /** When the device was last read in full (the drift check). */
  lastFullReadMs?: number;
  /** Some group the mappings want is failing (table full, name conflict, a member refused…). */
  anyGroupFailing: boolean;
}

/** What the work queue should do with the device's key. */
export type NextRun =
  | { after: 'delay'; ms: number }
  /** No timed run: an event (watch) brings the key back. */
  | { after: 'change' }
  /** Rate-limited retry with per-key backoff (the reconcile throws). */
  | { after: 'backoff' };

/**
 * The one decision of when a device's key runs next. Pure: every timing constant of the device
 * controller is applied here and pinned by test/unit/controllers/device-schedule.test.ts.
 */
export function nextRun(
  outcome: DeviceOutcome,
  session: ScheduleView,
  driftCheckIntervalMs: number,
  now: number,
): NextRun {
  switch (outcome.kind) {
    case 'idle':
      return { after: 'change' };
    case 'held':
      return delay(outcome.untilMs - now);
    case 'failed':
      if (outcome.retry === 'after-lockout-wait') {
        // The guard's own deadline; AUTH_BACKOFF_MS if the client reported none (never sooner).
        const until = outcome.authBlockedUntilMs ?? now + AUTH_BACKOFF_MS;
        return delay(Math.max(until - now, MIN_SYNC_INTERVAL_MS));
      }
      return { after: outcome.retry === 'on-change' ? 'change' : 'backoff' };
    case 'status':
      if (outcome.failed) return delay(STATUS_RETRY_MS);
      return outcome.deferredMs !== undefined ? delay(outcome.deferredMs) : { after: 'change' };
    case 'synced':
      return delay(syncedDelayMs(outcome, session, driftCheckIntervalMs, now));
  }
}

function syncedDelayMs(o: SyncOutcome, s: ScheduleView, driftCheckIntervalMs: number, now: number): number {
  const due = dueDelayMs(o, s, driftCheckIntervalMs, now);
  // An adoption under way looks at its groups again soon, whatever else is due.
  return o.recheckMs === undefined ? due : Math.min(due, Math.max(o.recheckMs, MIN_SYNC_INTERVAL_MS));
}

function dueDelayMs(o: SyncOutcome, s: ScheduleView, driftCheckIntervalMs: number, now: number): number {
  const nextDrift = (s.lastFullReadMs ?? now) + driftCheckIntervalMs;
  const untilDrift = Math.max(MIN_SYNC_INTERVAL_MS, nextDrift - now);
  // Addresses released by this sync's group writes are deleted by the next one.
  if (o.deferredDeletes > 0) return Math.min(untilDrift, DEFERRED_DELETE_MS);
  // A failing group is retried well before the next drift check: its cause may be gone without any
  // Kubernetes event. Soon when this sync wrote something (deleted addresses made room…).
  if (o.hadProblems || s.anyGroupFailing)
    return Math.min(untilDrift, o.writes > 0 ? PROGRESS_RETRY_MS : GROUP_RETRY_MS);
  return untilDrift;
}

function delay(ms: number): NextRun {
  return { after: 'delay', ms: Math.max(0, ms) };
}
