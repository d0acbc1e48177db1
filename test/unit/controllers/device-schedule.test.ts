import { describe, expect, it } from '@jest/globals';
import {
  AUTH_BACKOFF_MS,
  DEFERRED_DELETE_MS,
  GROUP_RETRY_MS,
  MIN_SYNC_INTERVAL_MS,
  nextRun,
  PROGRESS_RETRY_MS,
  STATUS_RETRY_MS,
  type DeviceOutcome,
  type NextRun,
  type ScheduleView,
} from '../../../src/controllers/device/schedule.js';

const NOW = 1_700_000_000_000;
const DRIFT = 300_000;

const synced = (o: Partial<Extract<DeviceOutcome, { kind: 'synced' }>> = {}): DeviceOutcome => ({
  kind: 'synced',
  changedGroups: new Set(),
  advancedMappings: new Set(),
  writes: 0,
  hadProblems: false,
  deferredDeletes: 0,
  ...o,
});
const problem = { reason: 'Unauthorized', message: 'refused' };
const fresh: ScheduleView = { lastFullReadMs: NOW, anyGroupFailing: false };
const delay = (ms: number): NextRun => ({ after: 'delay', ms });

describe('the constants are the documented ones', () => {
  // A change here changes how often a device is contacted: update docs/architecture.md with it.
  it.each([
    ['AUTH_BACKOFF_MS', AUTH_BACKOFF_MS, 120_000],
    ['GROUP_RETRY_MS', GROUP_RETRY_MS, 10_000],
    ['PROGRESS_RETRY_MS', PROGRESS_RETRY_MS, 1000],
    ['DEFERRED_DELETE_MS', DEFERRED_DELETE_MS, 1000],
    ['MIN_SYNC_INTERVAL_MS', MIN_SYNC_INTERVAL_MS, 1000],
    ['STATUS_RETRY_MS', STATUS_RETRY_MS, 5000],
  ])('%s', (_name, value, expected) => expect(value).toBe(expected));

  it('the lockout wait keeps fewer than 3 failed logins in any 60 s (FortiOS locks out at 3)', () => {
    const failuresPerMinute = Math.ceil(60_000 / AUTH_BACKOFF_MS);
    expect(failuresPerMinute).toBeLessThan(3);
    expect(AUTH_BACKOFF_MS).toBeGreaterThanOrEqual(60_000); // outlasts the default lockout too
  });
});

describe('nextRun', () => {
  it.each<[string, DeviceOutcome, ScheduleView, NextRun]>([
    ['in sync: the drift check', synced(), fresh, delay(DRIFT)],
    [
      'in sync, read 100 s ago: the rest of the interval',
      synced(),
      { lastFullReadMs: NOW - 100_000, anyGroupFailing: false },
      delay(DRIFT - 100_000),
    ],
    [
      'drift check overdue: not sooner than the minimum',
      synced(),
      { lastFullReadMs: NOW - 10 * DRIFT, anyGroupFailing: false },
      delay(MIN_SYNC_INTERVAL_MS),
    ],
    ['never read: a full interval', synced(), { anyGroupFailing: false }, delay(DRIFT)],
    ['deferred deletions: soon', synced({ deferredDeletes: 3 }), fresh, delay(DEFERRED_DELETE_MS)],
    ['an adoption under way: its recheck', synced({ recheckMs: 2000 }), fresh, delay(2000)],
    [
      'an adoption under way with a failing group: the recheck, sooner than the group retry',
      synced({ recheckMs: 2000, hadProblems: true }),
      fresh,
      delay(2000),
    ],
    [
      'an adoption recheck is never sooner than the minimum',
      synced({ recheckMs: 1 }),
      fresh,
      delay(MIN_SYNC_INTERVAL_MS),
    ],
    [
      'deferred deletions beat a failing group',
      synced({ deferredDeletes: 1, hadProblems: true }),
      fresh,
      delay(DEFERRED_DELETE_MS),
    ],
    ['a problem, nothing written: group retry', synced({ hadProblems: true }), fresh, delay(GROUP_RETRY_MS)],
    [
      'a group still failing: group retry',
      synced(),
      { ...fresh, anyGroupFailing: true },
      delay(GROUP_RETRY_MS),
    ],
    [
      'a problem after progress: soon',
      synced({ hadProblems: true, writes: 2 }),
      fresh,
      delay(PROGRESS_RETRY_MS),
    ],
    ['writes without a problem: the drift check', synced({ writes: 5 }), fresh, delay(DRIFT)],
    [
      'a retry never later than the drift check',
      synced({ hadProblems: true }),
      { lastFullReadMs: NOW - DRIFT + 3000, anyGroupFailing: false },
      delay(3000),
    ],
    [
      'held by the lockout guard: until it opens',
      { kind: 'held', untilMs: NOW + 42_000 },
      fresh,
      delay(42_000),
    ],
    [
      '401: when the guard opens',
      { kind: 'failed', problem, retry: 'after-lockout-wait', authBlockedUntilMs: NOW + AUTH_BACKOFF_MS },
      fresh,
      delay(AUTH_BACKOFF_MS),
    ],
    [
      '401 without a guard deadline: the full wait, never sooner',
      { kind: 'failed', problem, retry: 'after-lockout-wait' },
      fresh,
      delay(AUTH_BACKOFF_MS),
    ],
    [
      '401 with a guard already open: the minimum',
      { kind: 'failed', problem, retry: 'after-lockout-wait', authBlockedUntilMs: NOW - 1 },
      fresh,
      delay(MIN_SYNC_INTERVAL_MS),
    ],
    [
      'a missing Secret: its watch brings the key back',
      { kind: 'failed', problem, retry: 'on-change' },
      fresh,
      { after: 'change' },
    ],
    [
      'unreachable: per-key backoff',
      { kind: 'failed', problem, retry: 'backoff' },
      fresh,
      { after: 'backoff' },
    ],
    ['invalid, suspended or gone: nothing until it changes', { kind: 'idle' }, fresh, { after: 'change' }],
    ['a status write failed', { kind: 'status', failed: true }, fresh, delay(STATUS_RETRY_MS)],
    ['a status change held back', { kind: 'status', failed: false, deferredMs: 2500 }, fresh, delay(2500)],
    ['a status written', { kind: 'status', failed: false }, fresh, { after: 'change' }],
  ])('%s', (_name, outcome, view, expected) => {
    expect(nextRun(outcome, view, DRIFT, NOW)).toEqual(expected);
  });

  it('follows the device drift interval', () => {
    expect(nextRun(synced(), fresh, 60_000, NOW)).toEqual(delay(60_000));
    expect(nextRun(synced({ hadProblems: true }), fresh, 5000, NOW)).toEqual(delay(5000));
  });
});
