import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { rawPageLister, type RawPage, type RawPageQuery } from '../../../src/operator/raw-list.js';
import { podSlimmer } from '../../../src/operator/slim.js';
import { Informer } from '../../../src/runtime/informer.js';
import { listAllPages } from '../../../src/runtime/informer-factory.js';
import { KubeHttpError } from '../../../src/runtime/kube-fetch.js';
import { StreamingWatch } from '../../../src/runtime/kube-watch.js';
import { inPool } from '../../../src/runtime/pool.js';
import { StringPool } from '../../../src/runtime/string-pool.js';
import { createTestNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.js';

const PODS = 300;
const PAGE = 40;

describe("the operator's pod informer, paginated or streamed, against a real kube-apiserver", () => {
  let kc: KubeConfig;
  let ns: string;
  let informer: Informer<V1Pod> | undefined;

  beforeAll(async () => {
    kc = testKubeConfig();
    ns = await createTestNamespace(kc, 'paged');
    const core = kc.makeApiClient(CoreV1Api);
    const names = Array.from({ length: PODS }, (_, i) => `p${String(i).padStart(3, '0')}`);
    await inPool(names, 16, async (name) => {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { app: 'paged', tier: `tier-${name.slice(-1)}` } },
          spec: {
            nodeName: `node-${name.slice(-1)}`,
            containers: [{ name: 'c', image: 'example.invalid/c:1' }],
          },
        },
      });
    });
  }, 120_000);

  afterAll(async () => {
    await informer?.stop();
    await deleteNamespace(kc, ns);
  });

  it(`lists ${PODS} pods in pages of ${PAGE}, slimmed and interned page by page, and ends with the full set`, async () => {
    const path = `/api/v1/namespaces/${ns}/pods`;
    const strings = new StringPool();
    const slim = podSlimmer(strings);
    const lister = rawPageLister(kc, path);
    const pages: { size: number; continued: boolean }[] = [];
    const counting = async (q: RawPageQuery): Promise<RawPage<unknown>> => {
      const page = await lister(q);
      pages.push({ size: page.items.length, continued: q._continue !== undefined });
      return page;
    };
    informer = new Informer<V1Pod>({
      name: 'pods-paged',
      path,
      watch: new StreamingWatch(kc),
      listFn: () => listAllPages(counting, { pageSize: PAGE }, slim),
      decode: slim,
    });
    informer.start();
    expect(await informer.waitForSync(AbortSignal.timeout(60_000))).toBe(true);

    // Several pages, each no larger than asked, every one after the first from a continue token.
    expect(pages.length).toBe(Math.ceil(PODS / PAGE));
    expect(pages.every((p) => p.size <= PAGE)).toBe(true);
    expect(pages.map((p) => p.continued)).toEqual([false, ...Array<boolean>(pages.length - 1).fill(true)]);
    // And the cache holds every pod once, with what the reconcilers read.
    const cached = informer.list();
    expect(cached.map((p) => p.metadata?.name).sort()).toEqual(
      Array.from({ length: PODS }, (_, i) => `p${String(i).padStart(3, '0')}`),
    );
    const p123 = informer.get(`${ns}/p123`);
    expect(p123?.metadata?.labels).toEqual({ app: 'paged', tier: 'tier-3' });
    expect(p123?.spec?.nodeName).toBe('node-3');
    // Repeating strings went through the pool: the namespace, 10 node names, 'paged', 10 tiers and
    // the phase (Pending: no kubelet runs these pods).
    expect(strings.size).toBe(1 + 10 + 1 + 10 + 1);
  });

  it(`streams the ${PODS} pods from a watch (sendInitialEvents) without listing, then follows changes on it`, async () => {
    await informer?.stop();
    const path = `/api/v1/namespaces/${ns}/pods`;
    const strings = new StringPool();
    const slim = podSlimmer(strings);
    const streamed = new Informer<V1Pod>({
      name: 'pods-streamed',
      path,
      watch: new StreamingWatch(kc),
      listFn: () => Promise.reject(new Error('a streamed list must not list')),
      decode: slim,
      streamingList: 'always',
    });
    informer = streamed;
    const added: string[] = [];
    streamed.onAdd((p) => void added.push(p.metadata?.name ?? ''));
    streamed.start();
    expect(await streamed.waitForSync(AbortSignal.timeout(60_000))).toBe(true);

    // Synced means every pod arrived: the API server's end-of-initial-events bookmark, not a guess.
    const names = Array.from({ length: PODS }, (_, i) => `p${String(i).padStart(3, '0')}`);
    expect(added.sort()).toEqual(names);
    expect(
      streamed
        .list()
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(names);
    expect(streamed.get(`${ns}/p123`)?.metadata?.labels).toEqual({ app: 'paged', tier: 'tier-3' });
    expect(Number(streamed.lastSyncResourceVersion())).toBeGreaterThan(0);
    expect(strings.size).toBe(1 + 10 + 1 + 10 + 1);

    // The same stream carries the changes that follow.
    const core = kc.makeApiClient(CoreV1Api);
    await core.deleteNamespacedPod({ namespace: ns, name: 'p007', gracePeriodSeconds: 0 });
    const deadline = Date.now() + 30_000;
    while (streamed.get(`${ns}/p007`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(streamed.get(`${ns}/p007`)).toBeUndefined();
    expect(streamed.list()).toHaveLength(PODS - 1);
  });

  it('follows a list whose continue token expired (a 410 on a later page) with a streamed list', async () => {
    await informer?.stop();
    const path = `/api/v1/namespaces/${ns}/pods`;
    const slim = podSlimmer(new StringPool());
    const lister = rawPageLister(kc, path);
    let pagesAsked = 0;
    // etcd compacts the list's revision away between two pages: the API server's answer, injected.
    const expiring = async (q: RawPageQuery): Promise<RawPage<unknown>> => {
      pagesAsked++;
      if (q._continue)
        throw new KubeHttpError('GET pods answered 410: The provided continue parameter is too old', 410);
      return lister(q);
    };
    const recovering = new Informer<V1Pod>({
      name: 'pods-expiring',
      path,
      watch: new StreamingWatch(kc),
      listFn: () => listAllPages(expiring, { pageSize: PAGE }, slim),
      decode: slim,
      streamingList: 'after-expired-list',
      backoff: { initialMs: 10, maxMs: 10 },
    });
    informer = recovering;
    recovering.start();
    expect(await recovering.waitForSync(AbortSignal.timeout(60_000))).toBe(true);
    expect(pagesAsked).toBe(2); // page one, then the expired second page, and no third
    const live = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
    expect(
      recovering
        .list()
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(live.items.map((p) => p.metadata?.name).sort());
  });
});
