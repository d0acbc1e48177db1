import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { Informer, type WatchLike } from '../../../src/runtime/informer.js';
import {
  customResourceInformer,
  listAllPages,
  podInformer,
  podNodeNameIndex,
} from '../../../src/runtime/informer-factory.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';

/** The real client-node Watch, with knobs to drop the connection and keep it down. */
class ControllableWatch implements WatchLike {
  private readonly real: Watch;
  private current: { done: (err: unknown) => void } | undefined;
  blocked = false;
  starts = 0;
  /** Replace the resourceVersion of the next watch (an expired one forces a 410). */
  nextResourceVersion: string | undefined;

  constructor(kc: KubeConfig) {
    this.real = new Watch(kc);
  }

  async watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, o: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    if (this.blocked) {
      done(new Error('connection refused (test)'));
      return { abort: () => {} };
    }
    const p = this.nextResourceVersion ? { ...params, resourceVersion: this.nextResourceVersion } : params;
    this.nextResourceVersion = undefined;
    this.starts++;
    this.current = { done };
    return this.real.watch(path, p, cb, done);
  }

  /** Simulates the stream failing, as client-node reports it. */
  drop(): void {
    this.current?.done(new Error('socket hang up (test)'));
  }
}

const fastBackoff = { initialMs: 20, maxMs: 200, jitter: 0.2 };
const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name).sort();

describe('Informer against a real kube-apiserver', () => {
  let kc: KubeConfig;
  let core: CoreV1Api;
  let ns: string;
  const stopAll: Array<() => Promise<void>> = [];

  const pod = (name: string, node = 'node-a', labels: Record<string, string> = {}): V1Pod => ({
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, containers: [{ name: 'c', image: 'registry.invalid/none:1' }] },
  });
  const createPod = (name: string, node?: string) =>
    core.createNamespacedPod({ namespace: ns, body: pod(name, node) });
  const deletePod = (name: string) =>
    core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
  const started = <T extends Informer<V1Pod>>(inf: T): T => {
    stopAll.push(() => inf.stop());
    inf.start();
    return inf;
  };

  beforeAll(async () => {
    kc = testKubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    ns = await createTestNamespace(kc, 'rt-informer');
  });

  afterAll(async () => {
    await Promise.all(stopAll.map((s) => s()));
    await deleteNamespace(kc, ns);
  });

  it('syncs, then sees add, update and delete with typed objects', async () => {
    await createPod('pre-1');
    const informer = started(podInformer(kc, { namespace: ns, backoff: fastBackoff }));
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (p) => void seen.push(`add ${p.metadata?.name}`),
      onUpdate: (_o, p) => void seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.v ?? ''}`),
      onDelete: (p, i) => void seen.push(`delete ${p.metadata?.name} ${i.finalStateUnknown}`),
    });
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    expect(names(informer.list())).toEqual(['pre-1']);
    // List results and watch events are decoded the same way (client-node models, Date timestamps).
    expect(informer.get(`${ns}/pre-1`)?.metadata?.creationTimestamp).toBeInstanceOf(Date);

    await createPod('w-1');
    await eventually(() => informer.get(`${ns}/w-1`), { what: 'w-1 in cache' });
    expect(informer.get(`${ns}/w-1`)?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedPod({
      namespace: ns,
      name: 'w-1',
      body: [{ op: 'add', path: '/metadata/labels', value: { v: '2' } }],
    });
    await eventually(() => (informer.get(`${ns}/w-1`)?.metadata?.labels?.v === '2' ? true : undefined), {
      what: 'label update',
    });
    await deletePod('w-1');
    await eventually(() => (informer.get(`${ns}/w-1`) ? undefined : true), { what: 'w-1 gone' });
    expect(seen).toEqual(['add pre-1', 'add w-1', 'update w-1 2', 'delete w-1 false']);
    await deletePod('pre-1');
  });

  it('resumes after the watch connection drops, without missing what happened meanwhile', async () => {
    const watch = new ControllableWatch(kc);
    await createPod('r-keep');
    await createPod('r-gone');
    const informer = started(podInformer(kc, { namespace: ns, watch, backoff: fastBackoff }));
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    const deleted: string[] = [];
    informer.onDelete((p) => void deleted.push(p.metadata?.name ?? ''));

    watch.blocked = true;
    watch.drop();
    await eventually(() => (informer.isWatching() ? undefined : true), { what: 'watch down' });
    await deletePod('r-gone');
    await createPod('r-new');
    watch.blocked = false;

    await eventually(() => (names(informer.list()).join() === 'r-keep,r-new' ? true : undefined), {
      what: 'cache caught up',
    });
    expect(deleted).toEqual(['r-gone']);
    await deletePod('r-keep');
    await deletePod('r-new');
  });

  it('relists after 410 Gone and reports deletions that happened while the watch was down', async () => {
    const watch = new ControllableWatch(kc);
    const api = kc.makeApiClient(CoreV1Api);
    let lists = 0;
    const informer = started(
      new Informer<V1Pod>({
        name: 'pods-410',
        path: `/api/v1/namespaces/${ns}/pods`,
        listFn: () => {
          lists++;
          return listAllPages((q) => api.listNamespacedPod({ ...q, namespace: ns }), { pageSize: 2 });
        },
        watch,
        backoff: fastBackoff,
        healthyWatchMs: 0,
      }),
    );
    for (const n of ['g-1', 'g-2', 'g-3']) await createPod(n);
    await eventually(() => (informer.list().length === 3 ? true : undefined), { what: '3 pods' });
    const deletes: Array<[string, boolean]> = [];
    informer.onDelete((p, i) => void deletes.push([p.metadata?.name ?? '', i.finalStateUnknown]));

    watch.blocked = true;
    watch.drop();
    await eventually(() => (informer.isWatching() ? undefined : true), { what: 'watch down' });
    await deletePod('g-2');
    // Resuming from an expired resourceVersion makes the API server answer 410 Gone.
    watch.nextResourceVersion = '1';
    const listsBefore = lists;
    watch.blocked = false;

    await eventually(() => (names(informer.list()).join() === 'g-1,g-3' ? true : undefined), {
      what: 'g-2 removed after relist',
    });
    expect(lists).toBe(listsBefore + 1);
    expect(deletes).toEqual([['g-2', true]]);
    // And it keeps watching from the new list.
    await deletePod('g-3');
    await eventually(() => (names(informer.list()).join() === 'g-1' ? true : undefined), {
      what: 'g-3 removed',
    });
    await deletePod('g-1');
  });

  it('keeps a node-name index current', async () => {
    const informer = started(podInformer(kc, { namespace: ns, backoff: fastBackoff }));
    informer.addIndex('node', podNodeNameIndex);
    await createPod('i-1', 'node-x');
    await createPod('i-2', 'node-y');
    await eventually(() => (informer.indexKeys('node', 'node-y').length === 1 ? true : undefined), {
      what: 'indexed',
    });
    expect(names(informer.byIndex('node', 'node-x'))).toEqual(['i-1']);
    await deletePod('i-1');
    await eventually(() => (informer.byIndex('node', 'node-x').length === 0 ? true : undefined), {
      what: 'unindexed',
    });
    expect(names(informer.byIndex('node', 'node-y'))).toEqual(['i-2']);
    await deletePod('i-2');
  });

  it('syncs a custom resource informer', async () => {
    const informer = customResourceInformer(kc, {
      group: 'fortisync.io',
      version: 'v1alpha1',
      plural: 'fortigatedevices',
    });
    stopAll.push(() => informer.stop());
    informer.start();
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    expect(Array.isArray(informer.list())).toBe(true);
  });
});
