import { describe, expect, it } from '@jest/globals';
import { orphanOps } from '../../../src/inspect/orphans.js';
import { policiesUsing } from '../../../src/inspect/policies.js';
import type { FortiPolicy } from '../../../src/fortigate/types.js';
import type { DesiredDeviceState, Plan } from '../../../src/domain/model.js';

const policy = (policyid: number, src: string[], dst: string[], six = false): FortiPolicy => ({
  policyid,
  name: `p${policyid}`,
  srcaddr: six ? [] : src.map((name) => ({ name })),
  dstaddr: six ? [] : dst.map((name) => ({ name })),
  srcaddr6: six ? src.map((name) => ({ name })) : [],
  dstaddr6: six ? dst.map((name) => ({ name })) : [],
  action: 'accept',
  status: 'enable',
  comments: '',
});

describe('policies using a group', () => {
  const groups = new Map([
    ['K8S-DMZ', ['k8s-prod-node-worker-1']],
    ['ALL-DMZ', ['K8S-DMZ', 'legacy']],
    ['OTHER', ['legacy']],
  ]);
  const policies = [
    policy(30, ['OTHER'], ['all']),
    policy(20, ['ALL-DMZ'], ['all']),
    policy(10, ['K8S-DMZ'], ['login']),
    policy(5, ['all'], ['K8S-DMZ']),
    policy(40, ['K8S-DMZ'], ['all'], true),
  ];

  it('finds direct and nested references of the family, in id order', () => {
    const uses = policiesUsing(policies, 'IPv4', ['K8S-DMZ'], groups);
    expect(uses.map((u) => [u.policyid, u.via])).toEqual([
      [5, ['K8S-DMZ']],
      [10, ['K8S-DMZ']],
      [20, ['ALL-DMZ']],
    ]);
    expect(policiesUsing(policies, 'IPv6', ['K8S-DMZ'], new Map()).map((u) => u.policyid)).toEqual([40]);
  });
});

describe('orphans', () => {
  it('keeps deletions and releases of groups no mapping feeds, not the ordinary work', () => {
    const desired: DesiredDeviceState = {
      addresses: new Map(),
      groups: new Map([
        [
          'IPv4/FED',
          {
            name: 'FED',
            family: 'IPv4',
            members: new Set(),
            mappings: ['a/b'],
            frozen: false,
            orphanOnRelease: false,
          },
        ],
      ]),
      releasing: new Map(),
    };
    const p: Plan = {
      problems: new Map(),
      ops: [
        { op: 'createAddress', address: { name: 'n1', family: 'IPv4', ip: '192.0.2.1', comment: '' } },
        { op: 'setGroupMembers', family: 'IPv4', name: 'FED', members: ['n1'], added: ['n1'], removed: [] },
        {
          op: 'setGroupMembers',
          family: 'IPv4',
          name: 'ADMIN',
          members: ['none'],
          added: [],
          removed: ['n0'],
        },
        { op: 'deleteGroup', family: 'IPv4', name: 'OLD', removed: [] },
        { op: 'deleteAddress', family: 'IPv4', name: 'n0' },
      ],
    };
    expect(orphanOps(p, desired).map((o) => `${o.op} ${o.name}`)).toEqual([
      'setGroupMembers ADMIN',
      'deleteGroup OLD',
      'deleteAddress n0',
    ]);
  });
});
