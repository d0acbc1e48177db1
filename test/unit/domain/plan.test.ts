import { describe, expect, it } from '@jest/globals';
import {
  addressKey,
  groupKey,
  type DesiredAddress,
  type DesiredDeviceState,
  type ObservedDeviceState,
  type ObservedGroup,
} from '../../../src/domain/model.js';
import { groupComment, nodeAddressComment } from '../../../src/domain/naming.js';
import { opsForMapping, plan } from '../../../src/domain/plan.js';

const C = 'prod';
const addr = (node: string, ip: string): DesiredAddress => ({
  name: `k8s-prod-node-${node}`,
  family: 'IPv4',
  ip,
  comment: nodeAddressComment(C, node),
  node,
});
const w1 = addr('w1', '192.0.2.1');
const w2 = addr('w2', '192.0.2.2');

function desired(
  groups: Record<string, DesiredAddress[]>,
  extra: Partial<{ frozen: boolean; orphan: boolean }> = {},
): DesiredDeviceState {
  const s: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
  for (const [name, members] of Object.entries(groups)) {
    s.groups.set(groupKey('IPv4', name), {
      name,
      family: 'IPv4',
      members: new Set(members.map((m) => m.name)),
      mappings: ['ns/m'],
      frozen: extra.frozen ?? false,
      orphanOnRelease: extra.orphan ?? false,
    });
    for (const m of members) s.addresses.set(addressKey('IPv4', m.name), m);
  }
  return s;
}

function observed(addresses: DesiredAddress[], groups: ObservedGroup[]): ObservedDeviceState {
  return {
    addresses: new Map(
      addresses.map((a) => [
        addressKey('IPv4', a.name),
        { name: a.name, family: 'IPv4', ip: a.ip, comment: a.comment },
      ]),
    ),
    groups: new Map(groups.map((g) => [groupKey(g.family, g.name), g])),
  };
}

const group = (name: string, members: string[], comment = ''): ObservedGroup => ({
  name,
  family: 'IPv4',
  members,
  comment,
});

describe('plan', () => {
  it('creates addresses before the group that names them', () => {
    const p = plan(desired({ 'K8S-DMZ': [w1] }), observed([], []), { clusterName: C });
    expect(p.ops.map((o) => o.op)).toEqual(['createAddress', 'createGroup']);
    expect(p.ops[1]).toMatchObject({ members: ['k8s-prod-node-w1'], comment: groupComment(C) });
  });

  it('creates an empty group holding none', () => {
    const p = plan(desired({ 'K8S-DMZ': [] }), observed([], []), { clusterName: C });
    expect(p.ops).toEqual([expect.objectContaining({ op: 'createGroup', members: ['none'] })]);
  });

  it('is empty in the steady state', () => {
    const p = plan(
      desired({ 'K8S-DMZ': [w1, w2] }),
      observed([w1, w2], [group('K8S-DMZ', ['k8s-prod-node-w2', 'k8s-prod-node-w1'], groupComment(C))]),
      { clusterName: C },
    );
    expect(p.ops).toEqual([]);
  });

  it('adds a member with one group write and drops the none placeholder', () => {
    const p = plan(desired({ G: [w1] }), observed([], [group('G', ['none'])]), { clusterName: C });
    expect(p.ops.map((o) => o.op)).toEqual(['createAddress', 'setGroupMembers']);
    expect(p.ops[1]).toMatchObject({
      members: ['k8s-prod-node-w1'],
      added: ['k8s-prod-node-w1'],
      removed: [],
    });
  });

  it('keeps foreign members (a static member and another cluster) untouched', () => {
    const p = plan(
      desired({ G: [] }),
      observed([w1], [group('G', ['static-db', 'k8s-dr-node-x', 'k8s-prod-node-w1'])]),
      { clusterName: C },
    );
    expect(p.ops).toEqual([
      expect.objectContaining({
        op: 'setGroupMembers',
        members: ['static-db', 'k8s-dr-node-x'],
        removed: ['k8s-prod-node-w1'],
      }),
      { op: 'deleteAddress', family: 'IPv4', name: 'k8s-prod-node-w1' },
    ]);
  });

  it('removes the last member by writing none, then deletes the address', () => {
    const p = plan(desired({ G: [] }), observed([w1], [group('G', ['k8s-prod-node-w1'], groupComment(C))]), {
      clusterName: C,
    });
    expect(p.ops).toEqual([
      expect.objectContaining({ op: 'setGroupMembers', members: ['none'] }),
      { op: 'deleteAddress', family: 'IPv4', name: 'k8s-prod-node-w1' },
    ]);
  });

  it('repairs a drifted subnet and a re-added member', () => {
    const drifted = { ...w1, ip: '203.0.113.9' };
    const p = plan(desired({ G: [w1] }), observed([drifted], [group('G', ['none'])]), { clusterName: C });
    expect(p.ops.map((o) => o.op)).toEqual(['updateAddress', 'setGroupMembers']);
  });

  it('deletes a group it created that no mapping feeds, after its members', () => {
    const p = plan(desired({}), observed([w1], [group('OLD', ['k8s-prod-node-w1'], groupComment(C))]), {
      clusterName: C,
    });
    expect(p.ops).toEqual([
      { op: 'deleteGroup', family: 'IPv4', name: 'OLD', removed: ['k8s-prod-node-w1'] },
      { op: 'deleteAddress', family: 'IPv4', name: 'k8s-prod-node-w1' },
    ]);
  });

  it('never deletes a group another cluster or an admin created; only removes its own members', () => {
    const p = plan(
      desired({}),
      observed(
        [w1],
        [group('ADMIN', ['k8s-prod-node-w1'], 'made by hand'), group('OTHER', ['x'], '[fortisync:dr] g')],
      ),
      { clusterName: C },
    );
    expect(p.ops).toEqual([
      expect.objectContaining({ op: 'setGroupMembers', name: 'ADMIN', members: ['none'] }),
      { op: 'deleteAddress', family: 'IPv4', name: 'k8s-prod-node-w1' },
    ]);
  });

  it('releases an orphaned group: members leave, the marker goes, the group stays', () => {
    const p = plan(
      desired({ G: [] }, { orphan: true }),
      observed([w1], [group('G', ['k8s-prod-node-w1'], groupComment(C))]),
      {
        clusterName: C,
      },
    );
    expect(p.ops[0]).toMatchObject({ op: 'setGroupMembers', members: ['none'] });
    expect((p.ops[0] as { comment: string }).comment).toMatch(/^released by fortisync cluster prod/);
    expect((p.ops[0] as { comment: string }).comment).not.toContain('[fortisync:prod]');
  });

  it('leaves frozen groups and their addresses alone', () => {
    const p = plan(
      desired({ G: [w2] }, { frozen: true }),
      observed([w1], [group('G', ['k8s-prod-node-w1'])]),
      {
        clusterName: C,
      },
    );
    expect(p.ops).toEqual([]);
  });

  it('holds back additions past the member limit but still removes stale members', () => {
    const p = plan(desired({ G: [w2] }), observed([w1], [group('G', ['static', 'k8s-prod-node-w1'])]), {
      clusterName: C,
      maxMembersPerGroup: 1,
    });
    expect(p.problems.get(groupKey('IPv4', 'G'))?.reason).toBe('MemberLimitReached');
    expect(p.ops).toEqual([
      expect.objectContaining({ op: 'setGroupMembers', members: ['static'] }),
      { op: 'deleteAddress', family: 'IPv4', name: 'k8s-prod-node-w1' },
    ]);
  });

  it('holds back new addresses past the address limit', () => {
    const p = plan(desired({ G: [w1, w2] }), observed([w1], [group('G', ['k8s-prod-node-w1'])]), {
      clusterName: C,
      maxAddresses: 1,
    });
    expect(p.problems.get(groupKey('IPv4', 'G'))?.reason).toBe('AddressLimitReached');
    expect(p.ops).toEqual([]);
  });

  it('extracts one mapping’s own operations for a dry-run preview, never another’s members', () => {
    const d = desired({ G: [w1, w2], H: [w2] });
    const p = plan(d, observed([], [group('G', ['static'])]), { clusterName: C });
    const own = opsForMapping(p, {
      group: 'G',
      families: ['IPv4'],
      members: new Set(['IPv4/k8s-prod-node-w1']),
    });
    expect(own.map((o) => o.op)).toEqual(['createAddress', 'setGroupMembers']);
    expect(own[1]).toMatchObject({ members: ['k8s-prod-node-w1'], added: ['k8s-prod-node-w1'], removed: [] });
  });
});
