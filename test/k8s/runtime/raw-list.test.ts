import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ListError, rawPageLister } from '../../../src/operator/raw-list.js';
import { slimPod } from '../../../src/operator/slim.js';
import { listAllPages } from '../../../src/runtime/informer-factory.js';
import { createTestNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.js';

describe('rawPageLister against a real kube-apiserver', () => {
  let kc: KubeConfig;
  let ns: string;

  beforeAll(async () => {
    kc = testKubeConfig();
    ns = await createTestNamespace(kc, 'raw-list');
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: `p${i}`, labels: { app: 'raw', i: String(i) } },
          spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'example.invalid/c:1' }] },
        },
      });
    }
  });
  afterAll(() => deleteNamespace(kc, ns));

  it('lists every page (continue tokens) and slims each item', async () => {
    const list = await listAllPages(rawPageLister(kc, `/api/v1/namespaces/${ns}/pods`, slimPod), {
      pageSize: 2,
      labelSelector: 'app=raw',
    });
    expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    const p0 = list.items.find((p) => p.metadata?.name === 'p0');
    expect(p0).toEqual({
      metadata: expect.objectContaining({ name: 'p0', namespace: ns, labels: { app: 'raw', i: '0' } }),
      spec: { nodeName: 'n1' }, // containers are not kept: nothing reads them
      status: expect.objectContaining({ phase: 'Pending' }),
    });
    // Selectors reach the server.
    const one = await listAllPages(rawPageLister(kc, `/api/v1/namespaces/${ns}/pods`, slimPod), {
      labelSelector: 'i=3',
    });
    expect(one.items.map((p) => p.metadata?.name)).toEqual(['p3']);
  });

  it("fails with the API server's status code and message", async () => {
    const list = rawPageLister(kc, '/api/v1/namespaces/x/nosuchkind', slimPod);
    const err = await list({ limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListError);
    expect((err as ListError).statusCode).toBe(404);
    // A continue token the server cannot use is refused with a 4xx (an expired one is a 410, which
    // the informer answers with a fresh list); either way the caller sees the code, not a parse error.
    const gone = await rawPageLister(
      kc,
      '/api/v1/pods',
      slimPod,
    )({ limit: 1, _continue: 'bm90LWEtdG9rZW4=' }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ListError);
    expect((gone as ListError).message).toMatch(/answered 4\d\d/);
  });
});
