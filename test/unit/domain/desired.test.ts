import { describe, expect, it } from '@jest/globals';
import {
  accessProblem,
  desiredDeviceState,
  mappingMembers,
  thawMappings,
} from '../../../src/domain/desired.js';
import { groupKey } from '../../../src/domain/model.js';
import { device, mapping, namespace, node, pod, view } from './fixtures.js';

const scope = { prefix: 'k8s', clusterName: 'prod' };
const nodes = [node('worker-1', '192.0.2.11', '2001:db8::11'), node('worker-2', '192.0.2.12')];
const namespaces = [namespace('storefront', { team: 'shop' }), namespace('other', { team: 'x' })];

describe('mapping members', () => {
  it('Node mode: one address per node the selected pods run on', () => {
    const v = view(
      [
        pod('storefront', 'fe-1', 'worker-1', { zone: 'dmz' }),
        pod('storefront', 'fe-2', 'worker-1', { zone: 'dmz' }),
        pod('storefront', 'fe-3', 'worker-2', { zone: 'dmz' }),
        pod('storefront', 'api-1', 'worker-2', { zone: 'lan' }),
      ],
      nodes,
      namespaces,
    );
    const members = mappingMembers(mapping('storefront', 'm'), scope, v);
    expect(members.map((m) => [m.name, m.ip])).toEqual([
      ['k8s-prod-node-worker-1', '192.0.2.11'],
      ['k8s-prod-node-worker-2', '192.0.2.12'],
    ]);
  });

  it('Node mode: mappings with pods on one node share its address object, per scope and family', () => {
    const pods = [
      pod('storefront', 'fe-1', 'worker-1', { zone: 'dmz' }),
      pod('storefront', 'api-1', 'worker-1', { zone: 'lan' }),
    ];
    const v = view(pods, nodes, namespaces);
    const dual = { ipFamilies: ['IPv4', 'IPv6'] as ('IPv4' | 'IPv6')[] };
    const dmz = mappingMembers(mapping('storefront', 'm', dual), scope, v);
    const lan = mappingMembers(
      mapping('storefront', 'l', { ...dual, podSelector: { matchLabels: { zone: 'lan' } } }),
      scope,
      v,
    );
    expect(dmz.map((a) => a.name)).toEqual(['k8s-prod-node-worker-1', 'k8s-prod-node6-worker-1']);
    expect(lan[0]).toBe(dmz[0]);
    expect(lan[1]).toBe(dmz[1]);
    // Another cluster name on another device names the node its own way.
    const other = mappingMembers(mapping('storefront', 'm', dual), { prefix: 'k8s', clusterName: 'dr' }, v);
    expect(other.map((a) => [a.name, a.comment])).toEqual([
      ['k8s-dr-node-worker-1', '[fortisync:dr] k8s-dr-node-worker-1: node worker-1 of cluster dr'],
      ['k8s-dr-node6-worker-1', '[fortisync:dr] k8s-dr-node6-worker-1: node worker-1 of cluster dr'],
    ]);
    // A changed node (a new object from the informer) gets its new address.
    const moved = node('worker-1', '192.0.2.99');
    const after = mappingMembers(mapping('storefront', 'm', dual), scope, view(pods, [moved], namespaces));
    expect(after.map((a) => [a.name, a.ip])).toEqual([['k8s-prod-node-worker-1', '192.0.2.99']]);
  });

  it('skips unscheduled, finished and terminating pods (fail closed)', () => {
    const terminating = pod('storefront', 'fe-t', 'worker-1', { zone: 'dmz' });
    terminating.metadata!.deletionTimestamp = new Date();
    const v = view(
      [
        pod('storefront', 'fe-p', undefined, { zone: 'dmz' }, [], 'Pending'),
        // Bound to a node but not started: its node address must not open the firewall yet.
        pod('storefront', 'fe-b', 'worker-1', { zone: 'dmz' }, ['10.244.1.9'], 'Pending'),
        pod('storefront', 'fe-u', 'worker-2', { zone: 'dmz' }, [], 'Unknown'),
        pod('storefront', 'fe-s', 'worker-1', { zone: 'dmz' }, [], 'Succeeded'),
        pod('storefront', 'fe-f', 'worker-2', { zone: 'dmz' }, [], 'Failed'),
        terminating,
      ],
      nodes,
      namespaces,
    );
    expect(mappingMembers(mapping('storefront', 'm'), scope, v)).toEqual([]);
  });

  it('Pod mode, dual-stack: the pod IPs of each family', () => {
    const v = view(
      [pod('storefront', 'fe-1', 'worker-1', { zone: 'dmz' }, ['10.244.1.5', 'fd00::5'])],
      nodes,
      namespaces,
    );
    const members = mappingMembers(
      mapping('storefront', 'm', { addressType: 'Pod', ipFamilies: ['IPv4', 'IPv6'] }),
      scope,
      v,
    );
    expect(members.map((m) => [m.family, m.name, m.ip, m.pod])).toEqual([
      ['IPv4', 'k8s-prod-pod-storefront.fe-1', '10.244.1.5', 'storefront/fe-1'],
      ['IPv6', 'k8s-prod-pod6-storefront.fe-1', 'fd00::5', 'storefront/fe-1'],
    ]);
  });

  it('Pod mode skips hostNetwork pods (their pod IP is the node address); Node mode keeps them', () => {
    const host = pod('storefront', 'agent', 'worker-1', { zone: 'dmz' }, ['192.0.2.11']);
    host.spec!.hostNetwork = true;
    const v = view(
      [host, pod('storefront', 'fe-1', 'worker-2', { zone: 'dmz' }, ['10.244.2.5'])],
      nodes,
      namespaces,
    );
    expect(
      mappingMembers(mapping('storefront', 'm', { addressType: 'Pod' }), scope, v).map((m) => m.ip),
    ).toEqual(['10.244.2.5']);
    expect(mappingMembers(mapping('storefront', 'm'), scope, v)).toHaveLength(2);
  });

  it('Node mode IPv6 uses the node InternalIP of that family and skips nodes without one', () => {
    const v = view(
      [
        pod('storefront', 'a', 'worker-1', { zone: 'dmz' }),
        pod('storefront', 'b', 'worker-2', { zone: 'dmz' }),
      ],
      nodes,
      namespaces,
    );
    const members = mappingMembers(mapping('storefront', 'm', { ipFamilies: ['IPv6'] }), scope, v);
    expect(members.map((m) => [m.name, m.ip])).toEqual([['k8s-prod-node6-worker-1', '2001:db8::11']]);
  });

  it('falls back to ExternalIP when a node has no InternalIP of the family', () => {
    const n = {
      metadata: { name: 'edge' },
      status: { addresses: [{ type: 'ExternalIP', address: '198.51.100.7' }] },
    };
    const v = view([pod('storefront', 'a', 'edge', { zone: 'dmz' })], [n], namespaces);
    expect(mappingMembers(mapping('storefront', 'm'), scope, v).map((m) => m.ip)).toEqual(['198.51.100.7']);
  });

  it('namespaceSelector picks pods across namespaces; absent means own namespace only', () => {
    const pods = [
      pod('storefront', 'a', 'worker-1', { zone: 'dmz' }),
      pod('other', 'b', 'worker-2', { zone: 'dmz' }),
    ];
    const v = view(pods, nodes, namespaces);
    expect(mappingMembers(mapping('storefront', 'm'), scope, v)).toHaveLength(1);
    expect(mappingMembers(mapping('storefront', 'm', { namespaceSelector: {} }), scope, v)).toHaveLength(2);
    expect(
      mappingMembers(
        mapping('storefront', 'm', { namespaceSelector: { matchLabels: { team: 'x' } } }),
        scope,
        v,
      ).map((m) => m.node),
    ).toEqual(['worker-2']);
  });
});

describe('desired device state', () => {
  const pods = [
    pod('storefront', 'a', 'worker-1', { zone: 'dmz' }),
    pod('storefront', 'b', 'worker-2', { app: 'api' }),
  ];
  const v = view(pods, nodes, namespaces);

  it('unions mappings that feed one group', () => {
    const s = desiredDeviceState(
      device,
      [
        mapping('storefront', 'm1'),
        mapping('storefront', 'm2', { podSelector: { matchLabels: { app: 'api' } } }),
      ],
      v,
    );
    const g = s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!;
    expect([...g.members].sort()).toEqual(['k8s-prod-node-worker-1', 'k8s-prod-node-worker-2']);
    expect(g.mappings).toEqual(['storefront/m1', 'storefront/m2']);
  });

  it('ignores mappings for other devices, and deleting mappings contribute nothing', () => {
    const s = desiredDeviceState(
      device,
      [mapping('storefront', 'm1', { devices: ['fw2'] }), mapping('storefront', 'm2', {}, true)],
      v,
    );
    expect(s.groups.size).toBe(0);
    expect(s.releasing.get('storefront/m2')).toEqual({ group: 'K8S-DMZ', families: ['IPv4'], orphan: false });
  });

  it('enforces the device access rules', () => {
    const restricted = {
      ...device,
      spec: {
        ...device.spec,
        access: { namespaceSelector: { matchLabels: { team: 'x' } }, allowedGroups: ['K8S-*'] },
      },
    };
    expect(accessProblem(restricted, mapping('storefront', 'm'), v)?.reason).toBe('NamespaceNotAllowed');
    expect(accessProblem(restricted, mapping('other', 'm', { addressGroup: 'PROD-DB' }), v)?.reason).toBe(
      'GroupNotAllowed',
    );
    expect(accessProblem(restricted, mapping('other', 'm'), v)).toBeUndefined();
    expect(desiredDeviceState(restricted, [mapping('storefront', 'm')], v).groups.size).toBe(0);
  });

  it('freezes groups of suspended or dry-run mappings', () => {
    const s = desiredDeviceState(device, [mapping('storefront', 'm', { dryRun: true })], v);
    expect(s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!.frozen).toBe(true);
  });

  it('a mapping refused by the tenancy rules contributes nothing and says why', () => {
    const all = mapping('storefront', 'wide', { namespaceSelector: {} });
    const s = desiredDeviceState(device, [all, mapping('other', 'm', { addressGroup: 'K8S-X' })], v);
    expect(s.refused?.get('storefront/wide')?.reason).toBe('CrossNamespaceNotGranted');
    expect(s.groups.has(groupKey('IPv4', 'K8S-DMZ'))).toBe(false);
    expect(s.groups.has(groupKey('IPv4', 'K8S-X'))).toBe(true);
  });

  it('refuses every mapping of an existing group fortisync did not create unless the device names it', () => {
    const foreignGroup = (_f: string, n: string) => n === 'K8S-DMZ';
    const s = desiredDeviceState(device, [mapping('storefront', 'm1')], v, undefined, { foreignGroup });
    expect(s.refused?.get('storefront/m1')?.reason).toBe('GroupNotOwned');
    expect(s.groups.size).toBe(0);
    const named = { ...device, spec: { ...device.spec, access: { existingGroups: ['K8S-DMZ'] } } };
    expect(
      desiredDeviceState(named, [mapping('storefront', 'm1')], v, undefined, { foreignGroup }).groups.size,
    ).toBe(1);
  });

  it('a group fed by two namespaces keeps only the owner (oldest) without a shared rule', () => {
    const s = desiredDeviceState(
      device,
      [
        { ...mapping('storefront', 'm'), createdAt: '2026-01-01T00:00:00Z' },
        { ...mapping('other', 'm', { namespaceSelector: undefined }), createdAt: '2026-01-02T00:00:00Z' },
      ],
      view([...pods, pod('other', 'x', 'worker-2', { zone: 'dmz' })], nodes, namespaces),
    );
    expect(s.refused?.get('other/m')?.reason).toBe('GroupOwnedByAnotherNamespace');
    expect([...s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!.members]).toEqual(['k8s-prod-node-worker-1']);
  });
});

describe('a frozen mapping freezes only its own contribution', () => {
  const pods = [
    pod('storefront', 'a', 'worker-1', { zone: 'dmz' }),
    pod('storefront', 'b', 'worker-2', { app: 'api' }),
  ];
  const v = view(pods, nodes, namespaces);
  const api = { podSelector: { matchLabels: { app: 'api' } } };

  it.each<[string, Partial<Parameters<typeof mapping>[2]>]>([
    ['suspend', { suspend: true }],
    ['dryRun', { dryRun: true }],
  ])('%s: the other mapping stays live, the frozen one only holds', (_what, frozen) => {
    const s = desiredDeviceState(
      device,
      [mapping('storefront', 'm1', frozen), mapping('storefront', 'm2', api)],
      v,
    );
    const g = s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!;
    expect(g.frozen).toBe(false);
    expect([...g.members]).toEqual(['k8s-prod-node-worker-2']);
    expect(g.held?.map((h) => [h.mapping, [...h.members]])).toEqual([
      ['storefront/m1', ['k8s-prod-node-worker-1']],
    ]);
    expect(s.frozenMappings?.get('storefront/m1')?.preview).toBe(Boolean(frozen?.dryRun));
    expect(s.addresses.has('IPv4/k8s-prod-node-worker-1')).toBe(false); // nothing written for it
  });

  it('holds what it contributed when it was last live, not what its pods say now', () => {
    const remembered = () => [
      { name: 'k8s-prod-node-gone', family: 'IPv4' as const, ip: '192.0.2.99', comment: '' },
    ];
    const s = desiredDeviceState(device, [mapping('storefront', 'm1', { suspend: true })], v, undefined, {
      remembered,
    });
    expect([...s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!.held![0]!.members]).toEqual(['k8s-prod-node-gone']);
  });

  it('a group whose only other mapping is leaving is written (its members go), not frozen', () => {
    const s = desiredDeviceState(
      device,
      [mapping('storefront', 'm1', { suspend: true }), mapping('storefront', 'm2', api, true)],
      v,
    );
    expect(s.groups.get(groupKey('IPv4', 'K8S-DMZ'))!.frozen).toBe(false);
    const deviceSuspended = { ...device, spec: { ...device.spec, suspend: true } };
    const d = desiredDeviceState(
      deviceSuspended,
      [mapping('storefront', 'm1'), mapping('storefront', 'm2', api, true)],
      v,
    );
    expect(d.groups.get(groupKey('IPv4', 'K8S-DMZ'))!.frozen).toBe(true);
  });

  it('thawMappings makes a dry-run mapping live for its preview, others keep holding', () => {
    const s = desiredDeviceState(
      device,
      [mapping('storefront', 'm1', { dryRun: true }), mapping('storefront', 'm2', { ...api, suspend: true })],
      v,
    );
    const t = thawMappings(s, new Set(['storefront/m1']));
    const g = t.groups.get(groupKey('IPv4', 'K8S-DMZ'))!;
    expect(g.frozen).toBe(false);
    expect([...g.members]).toEqual(['k8s-prod-node-worker-1']);
    expect(g.held?.map((h) => h.mapping)).toEqual(['storefront/m2']);
    expect(t.addresses.has('IPv4/k8s-prod-node-worker-1')).toBe(true);
  });
});
