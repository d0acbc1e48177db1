import { describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import {
  prepareAdoption,
  runAdoption,
  withoutStoppedGroups,
  type AdoptionSession,
} from '../../../src/controllers/device/adoption.js';
import type { ValidDeviceSpec } from '../../../src/api/v1alpha1/validation.js';
import type { FortiGateClientOptions } from '../../../src/fortigate/client.js';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import { FakeFortiGate } from './fakes.js';
import { desiredGroup } from '../domain/fixtures.js';
import {
  RETRY_ADOPTION_ANNOTATION,
  TIGERA_MARKERS,
  type AdoptionMemory,
} from '../../../src/domain/adoption.js';

const TIGERA = TIGERA_MARKERS[0] as string;
import {
  addressKey,
  groupKey,
  isGroupOp,
  type DesiredDeviceState,
  type ObservedDeviceState,
  type Plan,
} from '../../../src/domain/model.js';

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

describe('runAdoption against an in-memory FortiGate', () => {
  const G = 'fortigate.web';
  const OURS = 'k8s-prod-node-w1';
  const spec = (groups: string[]) =>
    ({
      clusterName: 'prod',
      adoption: { source: 'CalicoEnterprise', groups, settleSeconds: 5 },
    }) as unknown as ValidDeviceSpec;
  const desired = (fed: boolean): DesiredDeviceState =>
    fed ? desiredGroup(G, [OURS]) : { addresses: new Map(), groups: new Map(), releasing: new Map() };

  function setup(members: string[]) {
    const clock = new FakeClock(1_000_000);
    const fw = new FakeFortiGate(clock);
    fw.table('firewall/address').set('w1', {
      name: 'w1',
      comment: TIGERA,
      subnet: '192.0.2.1 255.255.255.255',
    });
    fw.table('firewall/addrgrp').set(G, {
      name: G,
      comment: TIGERA,
      member: members.map((name) => ({ name })),
    });
    const client = fw.createClient('fw1', { baseUrl: 'https://fw1', token: 't' } as FortiGateClientOptions);
    const observed: ObservedDeviceState = {
      addresses: new Map([
        [addressKey('IPv4', OURS), { name: OURS, family: 'IPv4', ip: '192.0.2.1', comment: 'ours' }],
      ]),
      groups: new Map([[groupKey('IPv4', G), { name: G, family: 'IPv4', members, comment: TIGERA }]]),
    };
    return { clock, fw, client, observed };
  }

  it('settles, then hands the group over in one write after a fresh read', async () => {
    const { clock, fw, client, observed } = setup(['w1', OURS]);
    const session = prepareAdoption(device(undefined, undefined), undefined);
    const run = (fullRead: boolean) =>
      runAdoption({
        client,
        owner: device(undefined, undefined),
        spec: spec([G]),
        session,
        observed,
        desired: desired(true),
        fullRead,
        now: clock.now(),
      });
    const first = await run(true);
    expect(session.memory.get(groupKey('IPv4', G))?.state).toBe('Settling');
    expect(first.problems.get(groupKey('IPv4', G))?.reason).toBe('Adopting');
    expect(first.writes).toBe(0);
    clock.jump(5000);
    const calls = fw.calls.length;
    const second = await run(false);
    expect(fw.calls.slice(calls).map((c) => c.method)).toEqual(['get', 'update']);
    expect(second.writes).toBe(1);
    expect(fw.members(G)).toEqual([OURS]);
    expect(session.status?.groups?.[0]).toMatchObject({
      name: G,
      state: 'Adopted',
      members: { ours: 1, tigera: 0, foreign: 0 },
    });
    expect(second.problems.size).toBe(0);
  });

  it('a stop stays (and stays in status) while no mapping feeds its group; an unlisted group is forgotten', async () => {
    const { client, observed, clock } = setup(['w1']);
    const stopped: AdoptionMemory = {
      state: 'Conflict',
      since: 1,
      seenOurs: [],
      rewrites: [],
      retryToken: '',
    };
    const session: AdoptionSession = { memory: new Map([[groupKey('IPv4', G), stopped]]) };
    const args = {
      client,
      owner: device(undefined, undefined),
      session,
      observed,
      fullRead: false,
      now: clock.now(),
    };
    await runAdoption({ ...args, spec: spec([G]), desired: desired(false) });
    expect(session.memory.get(groupKey('IPv4', G))?.state).toBe('Conflict');
    expect(session.status?.groups?.map((g) => g.state)).toEqual(['Conflict']);
    await runAdoption({ ...args, spec: spec(['other']), desired: desired(false) });
    expect(session.memory.size).toBe(0);
  });
});
