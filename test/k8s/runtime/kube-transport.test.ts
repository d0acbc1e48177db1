import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, HttpMethod, KubeConfig, RequestContext } from '@kubernetes/client-node';
import { reuseApiServerAgents } from '../../../src/operator/kube-agents.js';
import { KubeHttpError } from '../../../src/runtime/kube-fetch.js';
import { StreamingWatch } from '../../../src/runtime/kube-watch.js';
import { createTestNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.js';

async function dispatcherOf(kc: KubeConfig): Promise<unknown> {
  const ctx = new RequestContext(`${kc.getCurrentCluster()?.server}/version`, HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  return ctx.getDispatcher();
}

function copyOf(kc: KubeConfig): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromString(kc.exportConfig());
  return copy;
}

interface Seen {
  events: { type: string; name: string }[];
  done: Promise<unknown>;
  abort(): void;
}

async function watchPods(watch: StreamingWatch, ns: string, resourceVersion: string): Promise<Seen> {
  const events: Seen['events'] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((r) => (resolveDone = r));
  const handle = await watch.watch(
    `/api/v1/namespaces/${ns}/pods`,
    { resourceVersion, timeoutSeconds: 60 },
    (type, obj) => events.push({ type, name: (obj as { metadata: { name: string } }).metadata.name }),
    resolveDone,
  );
  return { events, done, abort: () => handle.abort() };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('API-server transport (client-node 2.x, undici)', () => {
  let kc: KubeConfig;
  let ns: string;
  let core: CoreV1Api;

  beforeAll(async () => {
    kc = testKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await createTestNamespace(kc, 'transport');
  });
  afterAll(() => deleteNamespace(kc, ns));

  it('shares one dispatcher per TLS configuration, where client-node alone makes one per call', async () => {
    const plain = copyOf(kc);
    expect(await dispatcherOf(plain)).toBeDefined();
    expect(await dispatcherOf(plain)).not.toBe(await dispatcherOf(plain));
    const shared = reuseApiServerAgents(copyOf(kc));
    const first = await dispatcherOf(shared);
    expect(first).toBeDefined();
    expect(await dispatcherOf(shared)).toBe(first);
    // Generated API calls go through it and still work.
    const api = shared.makeApiClient(CoreV1Api);
    expect((await api.readNamespace({ name: ns })).metadata?.name).toBe(ns);
  });

  it('streams watch events in order and ends cleanly on abort', async () => {
    const watch = new StreamingWatch(reuseApiServerAgents(copyOf(kc)));
    const rv = (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion ?? '';
    const seen = await watchPods(watch, ns, rv);
    for (const name of ['w1', 'w2']) {
      await core.createNamespacedPod({
        namespace: ns,
        body: { metadata: { name }, spec: { containers: [{ name: 'c', image: 'example.invalid/c:1' }] } },
      });
    }
    await core.deleteNamespacedPod({ namespace: ns, name: 'w1', gracePeriodSeconds: 0 });
    await until(() => seen.events.some((e) => e.type === 'DELETED'));
    expect(seen.events.filter((e) => e.type !== 'MODIFIED')).toEqual([
      { type: 'ADDED', name: 'w1' },
      { type: 'ADDED', name: 'w2' },
      { type: 'DELETED', name: 'w1' },
    ]);
    seen.abort();
    expect(await seen.done).toBeNull();
  });

  it('outlives the response timeout: the bound covers the headers, not the stream', async () => {
    const watch = new StreamingWatch(kc, 300);
    const rv = (await core.listNamespacedPod({ namespace: ns })).metadata?.resourceVersion ?? '';
    const seen = await watchPods(watch, ns, rv);
    let ended = false;
    void seen.done.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 1_000));
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'late' },
        spec: { containers: [{ name: 'c', image: 'example.invalid/c:1' }] },
      },
    });
    await until(() => seen.events.some((e) => e.name === 'late'));
    expect(ended).toBe(false);
    seen.abort();
  });

  it("reports the API server's status code when a watch is refused", async () => {
    const watch = new StreamingWatch(kc);
    const done = new Promise<unknown>((resolve) => {
      void watch.watch('/api/v1/namespaces/x/nosuchkind', {}, () => undefined, resolve);
    });
    const err = await done;
    expect(err).toBeInstanceOf(KubeHttpError);
    expect((err as KubeHttpError).statusCode).toBe(404);
  });
});
