import { describe, expect, it } from '@jest/globals';
import type { ClusterSnapshot } from '../../../src/cmd/plugin/cluster.js';
import { applyManifests } from '../../../src/cmd/plugin/manifests.js';

const mapping = (ns: string, name: string, devices: string[]) => ({
  apiVersion: 'fortisync.io/v1alpha1',
  kind: 'FortiGateEndpointMapping',
  metadata: { name, namespace: ns, uid: `uid-${name}` },
  spec: { devices, addressGroup: 'G', podSelector: {} },
});

const live = (): ClusterSnapshot => ({
  pods: [],
  nodes: [],
  namespaces: [{ metadata: { name: 'shop', labels: { team: 'a' } } }],
  mappings: [mapping('shop', 'm', ['fw1'])],
  devices: [
    {
      metadata: { name: 'fw1' },
      spec: { url: 'https://a', clusterName: 'c', credentialsSecretRef: { name: 's', namespace: 'n' } },
    },
    {
      metadata: { name: 'fw2' },
      spec: { url: 'https://b', clusterName: 'c', credentialsSecretRef: { name: 's', namespace: 'n' } },
    },
  ],
});

describe('plan: the cluster as the manifests would leave it', () => {
  it('a mapping moving to a FortiManagerTarget concerns the device it leaves and the target it joins; a target manifest replaces the live one', () => {
    const withTarget: ClusterSnapshot = {
      ...live(),
      targets: [
        {
          metadata: { name: 'fmg1', uid: 'uid-fmg1' },
          spec: { url: 'https://fmg', clusterName: 'c', credentialsSecretRef: { name: 's', namespace: 'n' } },
        },
      ],
    };
    const moved = {
      ...mapping('shop', 'm', []),
      spec: { addressGroup: 'G', podSelector: {}, fortiManagerTargets: ['fmg1'] },
    };
    const newTarget = {
      apiVersion: 'fortisync.io/v1alpha1',
      kind: 'FortiManagerTarget',
      metadata: { name: 'fmg2' },
      spec: { url: 'https://fmg2', clusterName: 'c', credentialsSecretRef: { name: 's', namespace: 'n' } },
    };
    const a = applyManifests(withTarget, [moved, newTarget], 'shop');
    expect(a.devices).toEqual(['fw1']);
    expect(a.targets).toEqual(['fmg1', 'fmg2']);
    expect(a.snapshot.targets?.map((t) => t.metadata.name)).toEqual(['fmg1', 'fmg2']);
    expect(a.ignored).toEqual([]);
  });

  it('a changed mapping concerns the devices it leaves and the ones it joins; its live metadata stays', () => {
    const a = applyManifests(live(), [{ ...mapping('shop', 'm', ['fw2']), metadata: { name: 'm' } }], 'shop');
    expect(a.devices).toEqual(['fw1', 'fw2']);
    expect(a.snapshot.mappings).toHaveLength(1);
    expect(a.snapshot.mappings[0]?.metadata).toMatchObject({ name: 'm', namespace: 'shop', uid: 'uid-m' });
  });

  it('a new mapping takes the default namespace; other kinds are ignored and listed', () => {
    const a = applyManifests(
      live(),
      [
        { ...mapping('', 'n', ['fw2']), metadata: { name: 'n' } },
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } },
      ],
      'default',
    );
    expect(a.snapshot.mappings.map((m) => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'shop/m',
      'default/n',
    ]);
    expect(a.devices).toEqual(['fw2']);
    expect(a.ignored).toEqual(['Deployment shop/web']);
  });

  it("a namespace's labels are replaced and concern every device (selectors and access read them)", () => {
    const a = applyManifests(
      live(),
      [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'b' } } }],
      'default',
    );
    expect(a.snapshot.namespaces[0]?.metadata?.labels).toEqual({ team: 'b' });
    expect(a.devices).toEqual(['fw1', 'fw2']);
  });

  it('the live snapshot is left as it was', () => {
    const before = live();
    applyManifests(before, [mapping('shop', 'm', ['fw2'])], 'shop');
    expect(before.mappings[0]?.spec.devices).toEqual(['fw1']);
  });
});
