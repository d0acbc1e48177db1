import { describe, expect, it } from '@jest/globals';
import {
  footprintOf,
  footprintsMeet,
  groupsOfChanges,
  opWithin,
  type Footprint,
} from '../../../src/controllers/device/overlap.js';
import {
  ObservedGroups,
  type ObservedDeviceState,
  type Plan,
  type PlanOp,
} from '../../../src/domain/model.js';

const fp = (groups: string[], written: string[] = [], named: string[] = []): Footprint => ({
  groups: new Set(groups),
  written: new Set(written),
  named: new Set(named),
});

const address = (name: string): PlanOp => ({
  op: 'createAddress',
  address: { family: 'IPv4', name, ip: '10.0.0.1', comment: '' },
});

describe('footprintOf', () => {
  const observed: ObservedDeviceState = {
    addresses: new Map(),
    groups: new ObservedGroups([
      ['IPv4/G1', { family: 'IPv4', name: 'G1', members: ['old', 'kept'], comment: '' }],
      ['IPv4/G2', { family: 'IPv4', name: 'G2', members: ['other'], comment: '' }],
    ]),
  };

  it('takes the groups written, the addresses written and every member they name before and after', () => {
    const plan: Plan = {
      ops: [
        address('new'),
        { op: 'deleteAddress', family: 'IPv4', name: 'gone' },
        {
          op: 'setGroupMembers',
          family: 'IPv4',
          name: 'G1',
          members: ['kept', 'new'],
          added: ['new'],
          removed: ['old'],
        },
      ],
      problems: new Map(),
    };
    const f = footprintOf(plan, observed);
    expect([...f.groups]).toEqual(['G1']);
    expect([...f.written].sort()).toEqual(['IPv4/gone', 'IPv4/new']);
    expect([...f.named].sort()).toEqual(['IPv4/kept', 'IPv4/new', 'IPv4/old']);
  });

  it('leaves out a group it does not write (G2 stays as the device holds it)', () => {
    const f = footprintOf({ ops: [address('x')], problems: new Map() }, observed);
    expect([...f.groups]).toEqual([]);
    expect([...f.named]).toEqual([]);
  });
});

describe('footprintsMeet', () => {
  it.each([
    [
      'disjoint groups and addresses',
      fp(['G1'], ['IPv4/a'], ['IPv4/a']),
      fp(['G2'], ['IPv4/b'], ['IPv4/b']),
      false,
    ],
    ['a common group', fp(['G1']), fp(['G1']), true],
    ['both write one address', fp(['G1'], ['IPv4/a']), fp(['G2'], ['IPv4/a']), true],
    ['one deletes what the other names', fp(['G1'], ['IPv4/a']), fp(['G2'], [], ['IPv4/a']), true],
    [
      'named by both, written by neither (a shared node address)',
      fp(['G1'], [], ['IPv4/n']),
      fp(['G2'], [], ['IPv4/n']),
      false,
    ],
    ['same name, other family', fp(['G1'], ['IPv4/a']), fp(['G2'], ['IPv6/a']), false],
  ])('%s', (_what, a, b, meet) => {
    expect(footprintsMeet(a, b)).toBe(meet);
    expect(footprintsMeet(b, a)).toBe(meet);
  });
});

describe('opWithin', () => {
  const inFlight = [fp(['G1'], ['IPv4/a'], ['IPv4/m'])];
  it.each([
    ['a write of an address it writes', address('a'), true],
    ['a write of an address it names', address('m'), true],
    ['a write of another address', address('z'), false],
    ['a group of its own', { op: 'deleteGroup', family: 'IPv6', name: 'G1', removed: [] } as PlanOp, true],
    ['another group', { op: 'deleteGroup', family: 'IPv4', name: 'G2', removed: [] } as PlanOp, false],
  ])('%s', (_what, op, within) => {
    expect(opWithin(op, inFlight)).toBe(within);
  });
});

describe('groupsOfChanges', () => {
  it("names each changed mapping's group before and now", () => {
    const base = {
      groupOf: new Map([
        ['ns/moved', 'OLD'],
        ['ns/gone', 'GONE'],
      ]),
    };
    const now = new Map([
      ['ns/moved', 'NEW'],
      ['ns/new', 'FRESH'],
    ]);
    const groups = groupsOfChanges(['ns/moved', 'ns/gone', 'ns/new', 'ns/elsewhere'], base, (k) =>
      now.get(k),
    );
    expect([...groups].sort()).toEqual(['FRESH', 'GONE', 'NEW', 'OLD']);
  });
});
