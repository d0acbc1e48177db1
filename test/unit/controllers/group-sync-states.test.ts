import { describe, expect, it } from '@jest/globals';
import { anyGroupFailing, GroupSyncStates } from '../../../src/controllers/device/sync-state.js';
import { groupResult, recordGroupResults } from '../../../src/controllers/device/group-results.js';
import type { DesiredDeviceState, DesiredGroup } from '../../../src/domain/model.js';

const failed = { ok: false, problem: { reason: 'DeviceError', message: 'boom' } };

describe('GroupSyncStates: whether any group fails, without a pass over the groups', () => {
  const cases: [string, (g: GroupSyncStates) => void, boolean][] = [
    ['empty', () => {}, false],
    ['all ok', (g) => g.set('IPv4/A', { ok: true }).set('IPv4/B', { ok: true }), false],
    ['one failing', (g) => g.set('IPv4/A', { ok: true }).set('IPv4/B', failed), true],
    ['a failure that recovered', (g) => g.set('IPv4/B', failed).set('IPv4/B', { ok: true }), false],
    [
      'a failing group deleted',
      (g) => {
        g.set('IPv4/B', failed);
        g.delete('IPv4/B');
      },
      false,
    ],
    [
      'cleared',
      (g) => {
        g.set('IPv4/B', failed);
        g.clear();
      },
      false,
    ],
  ];
  it.each(cases)('%s', (_name, build, failing) => {
    const groups = new GroupSyncStates();
    build(groups);
    expect(groups.anyFailing()).toBe(failing);
    expect(anyGroupFailing(groups)).toBe(failing);
    expect(anyGroupFailing(new Map(groups))).toBe(failing); // any other Map: by a pass
  });

  it('counts the failures it is constructed with', () => {
    expect(new GroupSyncStates([['IPv4/B', failed]]).anyFailing()).toBe(true);
  });
});

const desiredGroup = (name: string, frozen = false): DesiredGroup => ({
  name,
  family: 'IPv4',
  members: new Set(),
  mappings: [],
  frozen,
  orphanOnRelease: false,
});

function desiredWith(...groups: DesiredGroup[]): DesiredDeviceState {
  return {
    addresses: new Map(),
    groups: new Map(groups.map((g) => [`IPv4/${g.name}`, g])),
    releasing: new Map(),
  };
}

describe('recordGroupResults: whole or for the scoped groups only', () => {
  const before = (): GroupSyncStates =>
    new GroupSyncStates([
      ['IPv4/A', { ok: true, lastSyncTime: 't0' }],
      ['IPv4/B', { ok: true, lastSyncTime: 't0' }],
      ['IPv4/GONE', { ok: true, lastSyncTime: 't0' }],
    ]);
  const desired = desiredWith(desiredGroup('A'), desiredGroup('B'));

  it('whole: every desired group, and groups no longer desired leave', () => {
    const groups = before();
    const changed = recordGroupResults(groups, desired, new Map(), new Set(['IPv4/A']), 't1');
    expect([...changed].sort()).toEqual(['IPv4/A', 'IPv4/GONE']);
    expect([...groups.keys()].sort()).toEqual(['IPv4/A', 'IPv4/B']);
    expect(groups.get('IPv4/A')?.lastSyncTime).toBe('t1');
  });

  it('scoped: only the named groups are looked at, the others keep their results', () => {
    const groups = before();
    const problems = new Map([['IPv4/B', failed.problem]]);
    const changed = recordGroupResults(groups, desired, problems, new Set(), 't1', new Set(['B']));
    expect([...changed]).toEqual(['IPv4/B']);
    expect(groups.get('IPv4/B')).toEqual({ ok: false, problem: failed.problem, lastSyncTime: 't0' });
    expect(groups.has('IPv4/GONE')).toBe(true); // not named: not this sync's business
    expect(groups.anyFailing()).toBe(true);
  });

  it('scoped: a named group no longer desired leaves', () => {
    const groups = before();
    const changed = recordGroupResults(groups, desired, new Map(), new Set(), 't1', new Set(['GONE']));
    expect([...changed]).toEqual(['IPv4/GONE']);
    expect(groups.has('IPv4/GONE')).toBe(false);
  });

  it('a frozen group keeps its result', () => {
    const groups = before();
    recordGroupResults(
      groups,
      desiredWith(desiredGroup('A', true)),
      new Map([['IPv4/A', failed.problem]]),
      new Set(['IPv4/A']),
      't1',
    );
    expect(groups.get('IPv4/A')).toEqual({ ok: true, lastSyncTime: 't0' });
  });
});

describe('groupResult', () => {
  const cases: [string, Parameters<typeof groupResult>, ReturnType<typeof groupResult>][] = [
    ['first result', [undefined, undefined, false, 't1'], { ok: true, lastSyncTime: 't1' }],
    [
      'untouched keeps its time',
      [{ ok: true, lastSyncTime: 't0' }, undefined, false, 't1'],
      { ok: true, lastSyncTime: 't0' },
    ],
    [
      'written: now',
      [{ ok: true, lastSyncTime: 't0' }, undefined, true, 't1'],
      { ok: true, lastSyncTime: 't1' },
    ],
    [
      'failed keeps the last good time',
      [{ ok: true, lastSyncTime: 't0' }, failed.problem, true, 't1'],
      { ok: false, problem: failed.problem, lastSyncTime: 't0' },
    ],
  ];
  it.each(cases)('%s', (_name, args, want) => expect(groupResult(...args)).toEqual(want));
});
