import { describe, expect, it } from '@jest/globals';
import type { DeviceAccess } from '../../../src/api/v1alpha1/fortigate-device.js';
import type { DeviceInput, MappingInput } from '../../../src/domain/desired.js';
import {
  accessProblem,
  groupNotOwnedProblem,
  groupOwnershipProblems,
  ungrantedNamespaces,
} from '../../../src/domain/tenancy.js';
import { device, mapping, namespace, view } from './fixtures.js';

const namespaces = [
  namespace('a', { team: 'a', tier: 'app' }),
  namespace('a2', { team: 'a', tier: 'app' }),
  namespace('b', { team: 'b', tier: 'app' }),
  namespace('kube-system', { tier: 'system' }),
];
const v = view([], [], namespaces);
const withAccess = (access: DeviceAccess | undefined): DeviceInput => ({
  ...device,
  spec: { ...device.spec, ...(access ? { access } : {}) },
});
const team = (t: string) => ({ matchLabels: { team: t } });

describe('accessProblem: grants, not hopes', () => {
  const all = { namespaceSelector: {} };
  const teamA = { namespaceSelector: team('a') };
  it.each<[string, DeviceAccess | undefined, MappingInput, string | undefined]>([
    ['own namespace only, no access: fine', undefined, mapping('a', 'm'), undefined],
    ['namespaceSelector {} without a grant', undefined, mapping('a', 'm', all), 'CrossNamespaceNotGranted'],
    [
      'a selector matching only its own namespace needs no grant',
      undefined,
      mapping('b', 'm', { namespaceSelector: team('b') }),
      undefined,
    ],
    [
      'grant from team a to team a covers a2',
      { crossNamespaceGrants: [{ from: team('a'), to: team('a') }] },
      mapping('a', 'm', teamA),
      undefined,
    ],
    [
      'that grant does not reach b',
      { crossNamespaceGrants: [{ from: team('a'), to: team('a') }] },
      mapping('a', 'm', all),
      'CrossNamespaceNotGranted',
    ],
    [
      'a grant for other mapping namespaces does not apply',
      { crossNamespaceGrants: [{ from: team('b'), to: {} }] },
      mapping('a', 'm', teamA),
      'CrossNamespaceNotGranted',
    ],
    [
      'a grant to everything still stops at the device namespaceSelector (pods of kube-system)',
      { namespaceSelector: { matchLabels: { tier: 'app' } }, crossNamespaceGrants: [{ from: {}, to: {} }] },
      mapping('a', 'm', all),
      'CrossNamespaceNotGranted',
    ],
    [
      'the issue: device admits team a, mapping in a selects {} (b)',
      { namespaceSelector: team('a') },
      mapping('a', 'm', all),
      'CrossNamespaceNotGranted',
    ],
    [
      'mapping namespace not admitted',
      { namespaceSelector: team('b') },
      mapping('a', 'm'),
      'NamespaceNotAllowed',
    ],
    ['allowedGroups', { allowedGroups: ['K8S-A-*'] }, mapping('a', 'm'), 'GroupNotAllowed'],
    [
      'group rules: no rule for this namespace and group',
      { groupRules: [{ namespaceSelector: team('b'), groups: ['K8S-DMZ'] }] },
      mapping('a', 'm'),
      'GroupNotAllowed',
    ],
    [
      'group rules: a rule for this namespace and group',
      { groupRules: [{ namespaceSelector: team('a'), groups: ['K8S-*'] }] },
      mapping('a', 'm'),
      undefined,
    ],
    [
      'group rules: an empty list lets nobody feed anything',
      { groupRules: [] },
      mapping('a', 'm'),
      'GroupNotAllowed',
    ],
  ])('%s', (_what, access, m, reason) => {
    expect(accessProblem(withAccess(access), m, v)?.reason).toBe(reason);
  });

  it('names the namespaces not granted and the next step', () => {
    const p = accessProblem(withAccess({ namespaceSelector: team('a') }), mapping('a', 'm', all), v);
    expect(p?.message).toContain('b, kube-system');
    expect(p?.message).toContain('spec.access.crossNamespaceGrants');
    expect(p?.message).toContain('Narrow spec.namespaceSelector');
    expect(ungrantedNamespaces(undefined, mapping('a', 'm', all), v)).toEqual(['a2', 'b', 'kube-system']);
  });
});

describe('groupNotOwnedProblem: writing into a group fortisync did not create needs the device to name it', () => {
  const foreign = (names: string[]) => (_f: string, n: string) => names.includes(n);
  it.each<[string, DeviceAccess | undefined, string[], string | undefined]>([
    ['group absent on the device: fortisync creates it', undefined, [], undefined],
    ['existing admin group, no access at all', undefined, ['K8S-DMZ'], 'GroupNotOwned'],
    ['existing admin group named exactly', { existingGroups: ['K8S-DMZ'] }, ['K8S-DMZ'], undefined],
    ['existing admin group named by a pattern', { existingGroups: ['K8S-*'] }, ['K8S-DMZ'], undefined],
    ['another group named', { existingGroups: ['VPN-*'] }, ['K8S-DMZ'], 'GroupNotOwned'],
  ])('%s', (_what, access, existing, reason) => {
    const p = groupNotOwnedProblem(withAccess(access), mapping('a', 'm'), foreign(existing));
    expect(p?.reason).toBe(reason);
    if (p) expect(p.message).toContain('spec.access.existingGroups');
  });

  it('a group listed for adoption only is still refused, and the message says why', () => {
    const adopting = {
      ...device,
      spec: { ...device.spec, adoption: { source: 'CalicoEnterprise' as const, groups: ['K8S-DMZ'] } },
    };
    const p = groupNotOwnedProblem(adopting, mapping('a', 'm'), foreign(['K8S-DMZ']));
    expect(p?.reason).toBe('GroupNotOwned');
    expect(p?.message).toContain('spec.adoption.groups lists it');
  });

  it('an IPv6 twin that exists counts for a dual-stack mapping', () => {
    const m = mapping('a', 'm', { ipFamilies: ['IPv4', 'IPv6'] });
    expect(groupNotOwnedProblem(device, m, (f) => f === 'IPv6')?.reason).toBe('GroupNotOwned');
  });
});

describe('groupOwnershipProblems: a group has one namespace unless the rules share it', () => {
  const at = (m: MappingInput, createdAt: string): MappingInput => ({ ...m, createdAt });
  const shared = (ns: string[]) => ({
    groupRules: ns.map((t) => ({ namespaceSelector: team(t), groups: ['K8S-*'], shared: true })),
  });
  it.each<[string, DeviceAccess | undefined, MappingInput[], string[]]>([
    [
      'two mappings of one namespace share their group',
      undefined,
      [mapping('a', 'm1'), mapping('a', 'm2')],
      [],
    ],
    [
      'the oldest mapping decides: b is refused',
      undefined,
      [at(mapping('b', 'm'), '2026-01-01T00:00:00Z'), at(mapping('a', 'm'), '2026-01-02T00:00:00Z')],
      ['a/m'],
    ],
    [
      'same age: the key decides',
      undefined,
      [at(mapping('b', 'm'), '2026-01-01T00:00:00Z'), at(mapping('a', 'm'), '2026-01-01T00:00:00Z')],
      ['b/m'],
    ],
    ['shared for both namespaces', shared(['a', 'b']), [mapping('a', 'm'), mapping('b', 'm')], []],
    ['shared for one namespace only', shared(['b']), [mapping('a', 'm'), mapping('b', 'm')], ['b/m']],
    [
      'different groups never conflict',
      undefined,
      [mapping('a', 'm'), mapping('b', 'm', { addressGroup: 'K8S-B' })],
      [],
    ],
  ])('%s', (_what, access, claims, refused) => {
    const got = groupOwnershipProblems(withAccess(access), claims, v);
    expect([...got.keys()]).toEqual(refused);
    for (const p of got.values()) {
      expect(p.reason).toBe('GroupOwnedByAnotherNamespace');
      expect(p.message).toContain('shared: true');
    }
  });
});
