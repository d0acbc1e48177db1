import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ListError, rawPageLister } from '../../../src/operator/raw-list.js';
import { slimPod } from '../../../src/operator/slim.js';
import { listAllPages } from '../../../src/runtime/informer-factory.js';
import { kubeGet } from '../../../src/runtime/kube-fetch.js';
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
    const list = await listAllPages(
      rawPageLister(kc, `/api/v1/namespaces/${ns}/pods`),
      { pageSize: 2, labelSelector: 'app=raw' },
      slimPod,
    );
    expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    const p0 = list.items.find((p) => p.metadata?.name === 'p0');
    expect(p0).toEqual({
      metadata: expect.objectContaining({ name: 'p0', namespace: ns, labels: { app: 'raw', i: '0' } }),
      spec: { nodeName: 'n1' }, // containers are not kept: nothing reads them
      status: expect.objectContaining({ phase: 'Pending' }),
    });
    // Selectors reach the server.
    const one = await listAllPages(
      rawPageLister(kc, `/api/v1/namespaces/${ns}/pods`),
      { labelSelector: 'i=3' },
      slimPod,
    );
    expect(one.items.map((p) => p.metadata?.name)).toEqual(['p3']);
  });

  it("fails with the API server's status code and message", async () => {
    const list = rawPageLister(kc, '/api/v1/namespaces/x/nosuchkind');
    const err = await list({ limit: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListError);
    expect((err as ListError).statusCode).toBe(404);
    // A continue token the server cannot use is refused with a 4xx (an expired one is a 410, which
    // the informer answers with a fresh list); either way the caller sees the code, not a parse error.
    const gone = await rawPageLister(
      kc,
      '/api/v1/pods',
    )({ limit: 1, _continue: 'bm90LWEtdG9rZW4=' }).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ListError);
    expect((gone as ListError).message).toMatch(/answered 4\d\d/);
  });

  it('asks for gzip unless told not to (the API server compresses answers above 128 KiB)', async () => {
    // The OpenAPI document is megabytes: big enough for the server to compress when asked.
    const encodingOf = async (compression?: boolean): Promise<string | null> => {
      const res = await kubeGet(kc, '/openapi/v2', {}, AbortSignal.timeout(30_000), { compression });
      const body = await res.text();
      expect(body.length).toBeGreaterThan(128 * 1024);
      return res.headers.get('content-encoding');
    };
    expect(await encodingOf()).toBe('gzip');
    expect(await encodingOf(true)).toBe('gzip');
    expect(await encodingOf(false)).toBeNull();
  });
});
