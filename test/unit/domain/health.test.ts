import { describe, expect, it } from '@jest/globals';
import { REASON_BY_KIND } from '../../../src/controllers/device/reasons.js';
import { progressOf, stalledReasons, type Progress } from '../../../src/domain/health.js';

describe('progressOf (the kstatus contract of docs/operate.md)', () => {
  it.each<[string, Progress]>([
    ['Pending', 'reconciling'],
    ['Connecting', 'reconciling'],
    ['Deleting', 'reconciling'],
    ['DryRun', 'paused'],
    ['Suspended', 'paused'],
    ['Unreachable', 'reconciling'],
    ['Timeout', 'reconciling'],
    ['LockedOut', 'reconciling'],
    ['Aborted', 'reconciling'],
    ['DeviceError', 'reconciling'],
    ['SyncFailed', 'reconciling'],
    ['InvalidValue', 'reconciling'],
    ['BadReference', 'reconciling'],
    ['InUse', 'reconciling'],
    ['NotFound', 'reconciling'],
    ['InvalidSpec', 'stalled'],
    ['DeviceInvalid', 'stalled'],
    ['DeviceNotFound', 'stalled'],
    ['NamespaceNotAllowed', 'stalled'],
    ['GroupNotAllowed', 'stalled'],
    ['Conflict', 'stalled'],
    ['NameConflict', 'stalled'],
    ['SecretNotAllowed', 'stalled'],
    ['SecretNotFound', 'stalled'],
    ['SecretKeyMissing', 'stalled'],
    ['SecretUnreadable', 'stalled'],
    ['ConfigMapUnreadable', 'stalled'],
    ['ConfigMapNotFound', 'stalled'],
    ['ConfigMapKeyMissing', 'stalled'],
    ['Unauthorized', 'stalled'],
    ['Forbidden', 'stalled'],
    ['TLSError', 'stalled'],
    ['NameTooLong', 'stalled'],
    ['TableFull', 'stalled'],
    ['AddressLimitReached', 'stalled'],
    ['MemberLimitReached', 'stalled'],
    ['SomethingNew', 'reconciling'],
  ])('Ready=False %s is %s', (reason, progress) => {
    expect(progressOf({ status: 'False', reason })).toBe(progress);
  });

  it('Ready=True is current whatever the reason', () => {
    expect(progressOf({ status: 'True', reason: 'Synced' })).toBe('current');
  });

  it('DeviceNotFound is progress only within the grace period', () => {
    expect(progressOf({ status: 'False', reason: 'DeviceNotFound' }, true)).toBe('reconciling');
    expect(progressOf({ status: 'False', reason: 'InvalidSpec' }, true)).toBe('stalled');
  });

  it('every FortiOS error reason is classified on purpose', () => {
    const transient = [
      'Unreachable',
      'LockedOut',
      'NotFound',
      'InUse',
      'BadReference',
      'InvalidValue',
      'Timeout',
      'DeviceError',
      'Aborted',
    ];
    for (const reason of new Set(Object.values(REASON_BY_KIND))) {
      expect([reason, stalledReasons().includes(reason)]).toEqual([reason, !transient.includes(reason)]);
    }
  });
});
