import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  CustomObjectsApi,
  makeInformer,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';

describe('the real control plane', () => {
  let kc: KubeConfig;
  let ns: string;

  beforeAll(async () => {
    kc = testKubeConfig();
    ns = await createTestNamespace(kc, 'foundation');
  });
  afterAll(async () => deleteNamespace(kc, ns));

  it('serves the fortisync CRDs and round-trips a FortiGateEndpointMapping with defaults applied', async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const body = {
      apiVersion: 'fortisync.io/v1alpha1',
      kind: 'FortiGateEndpointMapping',
      metadata: { name: 'dmz-frontend', namespace: ns },
      spec: { devices: ['fw1'], addressGroup: 'K8S-DMZ', podSelector: { matchLabels: { zone: 'dmz' } } },
    };
    await api.createNamespacedCustomObject({
      group: 'fortisync.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'fortigateendpointmappings',
      body,
    });
    const got = (await api.getNamespacedCustomObject({
      group: 'fortisync.io',
      version: 'v1alpha1',
      namespace: ns,
      plural: 'fortigateendpointmappings',
      name: 'dmz-frontend',
    })) as { spec: Record<string, unknown>; metadata: { generation: number } };
    expect(got.spec).toMatchObject({ addressGroup: 'K8S-DMZ', addressType: 'Node', ipFamilies: ['IPv4'] });
    expect(got.metadata.generation).toBe(1);
  });

  it('works with the matching kubectl through the written kubeconfig', () => {
    const out = execFileSync(
      process.env.FORTISYNC_TEST_KUBECTL as string,
      [
        '--kubeconfig',
        process.env.FORTISYNC_TEST_KUBECONFIG as string,
        'get',
        'fgem',
        '-n',
        ns,
        '-o',
        'name',
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('fortigateendpointmapping.fortisync.io/dmz-frontend');
  });

  it('lets a client-node informer see pods whose status was written with IPs', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, `/api/v1/namespaces/${ns}/pods`, () =>
      core.listNamespacedPod({ namespace: ns }),
    );
    const seen = new Map<string, V1Pod>();
    informer.on('add', (p) => seen.set(p.metadata!.name!, p));
    informer.on('update', (p) => seen.set(p.metadata!.name!, p));
    await informer.start();
    try {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'frontend-1', labels: { zone: 'dmz' } },
          spec: { nodeName: 'worker-1', containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
        },
      });
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'frontend-1' });
      pod.status = {
        phase: 'Running',
        podIP: '10.244.1.5',
        podIPs: [{ ip: '10.244.1.5' }],
        hostIP: '192.0.2.11',
        hostIPs: [{ ip: '192.0.2.11' }],
        conditions: [{ type: 'Ready', status: 'True' }],
      };
      await core.replaceNamespacedPodStatus({ namespace: ns, name: 'frontend-1', body: pod });
      const withIp = await eventually(
        () => {
          const p = seen.get('frontend-1');
          return p?.status?.podIP ? p : undefined;
        },
        { what: 'the informer to see the pod IP' },
      );
      expect(withIp.status?.phase).toBe('Running');
      expect(withIp.status?.podIPs).toEqual([{ ip: '10.244.1.5' }]);
      await core.deleteNamespacedPod({ namespace: ns, name: 'frontend-1', gracePeriodSeconds: 0 });
    } finally {
      await informer.stop();
    }
  });
});
