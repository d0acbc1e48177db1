import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Pod,
} from '@kubernetes/client-node';
import { Informer } from '../../../src/runtime/informer.js';
import {
  customResourceInformer,
  listAllPages,
  podInformer,
  podNodeNameIndex,
} from '../../../src/runtime/informer-factory.js';
import { ControllableWatch } from './controllable-watch.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';

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
  // Each test labels its pods and selects on that label, so leftovers of one test never leak into another.
  const createPod = (test: string, name: string, node?: string) =>
    core.createNamespacedPod({ namespace: ns, body: pod(name, node, { test }) });
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
    await createPod('crud', 'pre-1');
    const informer = started(
      podInformer(kc, { namespace: ns, labelSelector: 'test=crud', backoff: fastBackoff }),
    );
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (p) => void seen.push(`add ${p.metadata?.name}`),
      onUpdate: (_o, p) =>
        void seen.push(
          `update ${p.metadata?.name} ${p.metadata?.deletionTimestamp ? 'deleting' : p.metadata?.labels?.v}`,
        ),
      onDelete: (p, i) => void seen.push(`delete ${p.metadata?.name} ${i.finalStateUnknown}`),
    });
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    expect(names(informer.list())).toEqual(['pre-1']);
    // List results and watch events are decoded the same way (client-node models, Date timestamps).
    expect(informer.get(`${ns}/pre-1`)?.metadata?.creationTimestamp).toBeInstanceOf(Date);

    await createPod('crud', 'w-1');
    await eventually(() => informer.get(`${ns}/w-1`), { what: 'w-1 in cache' });
    expect(informer.get(`${ns}/w-1`)?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedPod({
      namespace: ns,
      name: 'w-1',
      body: [{ op: 'add', path: '/metadata/labels/v', value: '2' }],
    });
    await eventually(() => (informer.get(`${ns}/w-1`)?.metadata?.labels?.v === '2' ? true : undefined), {
      what: 'label update',
    });
    await deletePod('w-1');
    await eventually(() => (informer.get(`${ns}/w-1`) ? undefined : true), { what: 'w-1 gone' });
    // Deleting a pod first sets deletionTimestamp (an update), then removes it.
    expect(seen.filter((e) => !e.endsWith('deleting'))).toEqual([
      'add pre-1',
      'add w-1',
      'update w-1 2',
      'delete w-1 false',
    ]);
    await deletePod('pre-1');
  });

  it('resumes after the watch connection drops, without missing what happened meanwhile', async () => {
    const watch = new ControllableWatch(kc);
    await createPod('resume', 'r-keep');
    await createPod('resume', 'r-gone');
    const informer = started(
      podInformer(kc, { namespace: ns, labelSelector: 'test=resume', watch, backoff: fastBackoff }),
    );
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    const deleted: string[] = [];
    informer.onDelete((p) => void deleted.push(p.metadata?.name ?? ''));

    watch.blocked = true;
    watch.drop();
    await eventually(() => (informer.isWatching() ? undefined : true), { what: 'watch down' });
    await deletePod('r-gone');
    await createPod('resume', 'r-new');
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
          return listAllPages((q) => api.listNamespacedPod({ ...q, namespace: ns }), {
            pageSize: 2,
            labelSelector: 'test=gone',
          });
        },
        watch,
        labelSelector: 'test=gone',
        backoff: fastBackoff,
      }),
    );
    for (const n of ['g-1', 'g-2', 'g-3']) await createPod('gone', n);
    await eventually(() => (informer.list().length === 3 ? true : undefined), { what: '3 pods' });
    const deletes: Array<[string, boolean]> = [];
    informer.onDelete((p, i) => void deletes.push([p.metadata?.name ?? '', i.finalStateUnknown]));

    watch.blocked = true;
    watch.drop();
    await eventually(() => (informer.isWatching() ? undefined : true), { what: 'watch down' });
    await deletePod('g-2');
    watch.expireNext = true;
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
    const informer = started(
      podInformer(kc, { namespace: ns, labelSelector: 'test=index', backoff: fastBackoff }),
    );
    informer.addIndex('node', podNodeNameIndex);
    await createPod('index', 'i-1', 'node-x');
    await createPod('index', 'i-2', 'node-y');
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

  it('caches custom resources without managedFields, from the list and from watch events', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const gvr = { group: 'fortisync.io', version: 'v1alpha1', plural: 'fortigateendpointmappings' };
    const mapping = (name: string) => ({
      apiVersion: 'fortisync.io/v1alpha1',
      kind: 'FortiGateEndpointMapping',
      metadata: { name, labels: { test: 'managed-fields' } },
      spec: { devices: ['fw'], addressGroup: 'G', podSelector: { matchLabels: { app: name } } },
    });
    const create = (name: string) =>
      custom.createNamespacedCustomObject({ ...gvr, namespace: ns, body: mapping(name) }) as Promise<{
        metadata: { managedFields?: unknown[] };
      }>;
    // The server keeps them: what the cache drops is its own copy only.
    expect((await create('listed')).metadata.managedFields?.length).toBeGreaterThan(0);
    const informer = customResourceInformer<KubernetesObject>(kc, gvr, {
      namespace: ns,
      backoff: fastBackoff,
    });
    stopAll.push(() => informer.stop());
    informer.start();
    expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
    expect(informer.get(`${ns}/listed`)?.metadata).toMatchObject({ name: 'listed' });
    expect(informer.get(`${ns}/listed`)?.metadata?.managedFields).toBeUndefined();

    await create('watched');
    const watched = await eventually(() => informer.get(`${ns}/watched`), { what: 'watched in cache' });
    expect(watched.metadata).toMatchObject({ labels: { test: 'managed-fields' } });
    expect(watched.metadata?.managedFields).toBeUndefined();
  });
});
