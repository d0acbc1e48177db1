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
  comment: nodeAddressComment(C, `k8s-prod-node-${node}`, node),
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
    expect(p.ops[1]).toMatchObject({ members: ['k8s-prod-node-w1'], comment: groupComment(C, 'K8S-DMZ') });
  });

  it('creates an empty group holding none', () => {
    const p = plan(desired({ 'K8S-DMZ': [] }), observed([], []), { clusterName: C });
    expect(p.ops).toEqual([expect.objectContaining({ op: 'createGroup', members: ['none'] })]);
  });

  it('is empty in the steady state', () => {
    const p = plan(
      desired({ 'K8S-DMZ': [w1, w2] }),
      observed(
        [w1, w2],
        [group('K8S-DMZ', ['k8s-prod-node-w2', 'k8s-prod-node-w1'], groupComment(C, 'K8S-DMZ'))],
      ),
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
    const p = plan(
      desired({ G: [] }),
      observed([w1], [group('G', ['k8s-prod-node-w1'], groupComment(C, 'G'))]),
      {
        clusterName: C,
      },
    );
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
    const p = plan(
      desired({}),
      observed([w1], [group('OLD', ['k8s-prod-node-w1'], groupComment(C, 'OLD'))]),
      {
        clusterName: C,
      },
    );
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
      observed([w1], [group('G', ['k8s-prod-node-w1'], groupComment(C, 'G'))]),
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

/** One group fed by mappings of several namespaces, some frozen (held). */
function tenants(
  live: { mapping: string; members: DesiredAddress[] }[],
  held: { mapping: string; members: DesiredAddress[] }[] = [],
): DesiredDeviceState {
  const s: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
  const contribution = (c: { mapping: string; members: DesiredAddress[] }) => ({
    mapping: c.mapping,
    namespace: c.mapping.split('/')[0] as string,
    members: new Set(c.members.map((m) => m.name)),
  });
  s.groups.set(groupKey('IPv4', 'G'), {
    name: 'G',
    family: 'IPv4',
    members: new Set(live.flatMap((c) => c.members.map((m) => m.name))),
    mappings: [...live, ...held].map((c) => c.mapping),
    contributions: live.map(contribution),
    held: held.map(contribution),
    frozen: live.length === 0,
    orphanOnRelease: false,
  });
  for (const c of live) for (const m of c.members) s.addresses.set(addressKey('IPv4', m.name), m);
  return s;
}

describe('plan: a frozen mapping holds only its own members', () => {
  const w3 = addr('w3', '192.0.2.3');
  const names = (...a: DesiredAddress[]) => a.map((x) => x.name);
  it.each<[string, DesiredDeviceState, string[], string[]]>([
    [
      "a live mapping's stale member leaves although another mapping of the group is suspended",
      tenants([{ mapping: 'a/live', members: [w1] }], [{ mapping: 'b/frozen', members: [w2] }]),
      names(w1, w2, w3),
      names(w1, w2),
    ],
    [
      'a held member the group no longer holds is not added back',
      tenants([{ mapping: 'a/live', members: [w1] }], [{ mapping: 'b/frozen', members: [w2, w3] }]),
      names(w1, w2),
      names(w1, w2),
    ],
    [
      'a frozen mapping never adds (its new member is not held)',
      tenants([{ mapping: 'a/live', members: [] }], [{ mapping: 'b/frozen', members: [w1] }]),
      [],
      ['none'],
    ],
  ])('%s', (_what, d, before, after) => {
    const o = observed([w1, w2, w3], [group('G', before.length ? before : ['none'], groupComment(C, 'G'))]);
    const p = plan(d, o, { clusterName: C });
    const write = p.ops.find((op) => op.op === 'setGroupMembers');
    expect(
      write ? [...(write as { members: string[] }).members].sort() : before.length ? before : ['none'],
    ).toEqual(after);
    // A held member's address is never deleted.
    for (const h of d.groups.get(groupKey('IPv4', 'G'))!.held ?? [])
      for (const m of h.members)
        if (before.includes(m))
          expect(p.ops).not.toContainEqual({ op: 'deleteAddress', family: 'IPv4', name: m });
  });
});

describe('plan: per-namespace address quota', () => {
  const w3 = addr('w3', '192.0.2.3');
  it('holds back only the namespace over its quota, reported to its mappings alone', () => {
    const d = tenants([
      { mapping: 'greedy/all', members: [w1, w2, w3] },
      { mapping: 'modest/web', members: [w1] },
    ]);
    const p = plan(d, observed([], [group('G', ['none'], groupComment(C, 'G'))]), {
      clusterName: C,
      maxAddressesPerNamespace: 2,
    });
    expect(p.mappingProblems?.get('greedy/all')?.reason).toBe('NamespaceAddressLimitReached');
    expect(p.mappingProblems?.get('greedy/all')?.message).toContain('maxAddressesPerNamespace (2)');
    expect(p.mappingProblems?.has('modest/web')).toBe(false);
    expect(p.problems.size).toBe(0);
    expect(p.ops.find((op) => op.op === 'setGroupMembers')).toMatchObject({ members: ['k8s-prod-node-w1'] });
  });

  it('keeps what the namespace already has (no removals because of a limit)', () => {
    const d = tenants([{ mapping: 'greedy/all', members: [w1, w2, w3] }]);
    const p = plan(d, observed([w1, w2], [group('G', names2(w1, w2), groupComment(C, 'G'))]), {
      clusterName: C,
      maxAddressesPerNamespace: 1,
    });
    expect(p.ops).toEqual([]);
    expect(p.mappingProblems?.get('greedy/all')?.reason).toBe('NamespaceAddressLimitReached');
  });

  it('within quota: no problem, all members', () => {
    const d = tenants([{ mapping: 'ns/m', members: [w1, w2] }]);
    const p = plan(d, observed([], []), { clusterName: C, maxAddressesPerNamespace: 2 });
    expect(p.mappingProblems?.size).toBe(0);
    expect(p.ops.filter((op) => op.op === 'createAddress')).toHaveLength(2);
  });
});

function names2(...a: DesiredAddress[]): string[] {
  return a.map((x) => x.name);
}
