import { describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import { prepareAdoption, withoutStoppedGroups } from '../../../src/controllers/device/adoption.js';
import { RETRY_ADOPTION_ANNOTATION, type AdoptionMemory } from '../../../src/domain/adoption.js';
import { isGroupOp, type Plan } from '../../../src/domain/model.js';

const device = (annotation: string | undefined, groups: NonNullable<FortiGateDevice['status']>['adoption']) =>
  ({
    metadata: {
      name: 'fw1',
      ...(annotation !== undefined ? { annotations: { [RETRY_ADOPTION_ANNOTATION]: annotation } } : {}),
    },
    spec: {},
    status: { adoption: groups },
  }) as unknown as FortiGateDevice;

const conflict = (token: string) => ({
  name: 'g1',
  family: 'IPv4' as const,
  state: 'Conflict' as const,
  since: '2026-12-02T09:00:00Z',
  message: 'stopped',
  retryToken: token,
});

describe('prepareAdoption', () => {
  it('after a restart, a stop is read back from the status (the fight is not resumed)', () => {
    const s = prepareAdoption(device(undefined, { groups: [conflict('')] }), undefined);
    expect(s.memory.get('IPv4/g1')?.state).toBe('Conflict');
  });

  it('only stops are read back: other states start afresh from the device', () => {
    const s = prepareAdoption(
      device(undefined, { groups: [{ ...conflict(''), state: 'Settling' }] }),
      undefined,
    );
    expect(s.memory.size).toBe(0);
  });

  it.each([
    ['the same annotation value keeps the stop', 'a', 'a', true],
    ['a new annotation value clears it', 'a', 'b', false],
    ['an annotation added after the stop clears it', '', 'x', false],
  ])('%s', (_name, atStop, now, stopped) => {
    const s = prepareAdoption(device(now, { groups: [conflict(atStop)] }), undefined);
    expect(s.memory.has('IPv4/g1')).toBe(stopped);
  });

  it('a session in memory wins over the status, and is cleared by a retry too', () => {
    const memory = new Map<string, AdoptionMemory>([
      ['IPv4/g2', { state: 'Conflict', since: 1, seenOurs: [], rewrites: [1, 2], retryToken: '' }],
    ]);
    expect(prepareAdoption(device(undefined, undefined), { memory }).memory.has('IPv4/g2')).toBe(true);
    expect(prepareAdoption(device('retry', undefined), { memory }).memory.has('IPv4/g2')).toBe(false);
  });
});

describe('withoutStoppedGroups', () => {
  const p: Plan = {
    ops: [
      { op: 'createAddress', address: { name: 'a1', family: 'IPv4', ip: '192.0.2.1', comment: 'c' } },
      { op: 'setGroupMembers', family: 'IPv4', name: 'g1', members: ['a1'], added: ['a1'], removed: [] },
      { op: 'setGroupMembers', family: 'IPv6', name: 'g1', members: ['a1'], added: ['a1'], removed: [] },
      { op: 'setGroupMembers', family: 'IPv4', name: 'g2', members: ['a1'], added: ['a1'], removed: [] },
    ],
    problems: new Map(),
  };

  it('drops every group write of a stopped group (that family), keeps addresses and other groups', () => {
    const memory = new Map<string, AdoptionMemory>([
      ['IPv4/g1', { state: 'Conflict', since: 1, seenOurs: [], rewrites: [] }],
      ['IPv4/g2', { state: 'Settling', since: 1, seenOurs: [], rewrites: [] }],
    ]);
    const kept = withoutStoppedGroups(p, { memory }).ops.map((o) =>
      isGroupOp(o) ? `${o.family}/${o.name}` : o.op === 'deleteAddress' ? o.name : o.address.name,
    );
    expect(kept).toEqual(['a1', 'IPv6/g1', 'IPv4/g2']);
  });

  it('no stop: the plan as it is', () => {
    expect(withoutStoppedGroups(p, { memory: new Map() })).toBe(p);
  });
});
