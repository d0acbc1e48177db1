import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { podInformer } from '../../../src/runtime/informer-factory.js';
import { startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import { eventually } from '../../support/kube.js';
import { ControllableWatch } from './controllable-watch.js';
import { memoryLogger } from '../../unit/runtime/helpers.js';

// A genuine 410 Gone needs a watch cache that no longer covers the informer's resourceVersion,
// which is what an API server restart produces. Restarting the run's shared API server would
// disturb every other test file, so this file runs its own small control plane.
describe('Informer across a kube-apiserver restart', () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  const ns = 'restart';

  const pod = (name: string): V1Pod => ({
    metadata: { name, namespace: ns },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'registry.invalid/none:1' }] },
  });
  const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name).sort();

  beforeAll(async () => {
    cp = await startControlPlane({ controllers: [], maxLifetimeSeconds: 600 });
    core = cp.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
  }, 120_000);

  afterAll(async () => {
    await cp?.stop();
  });

  it('relists after a real 410 Gone and reports what was deleted meanwhile', async () => {
    for (const n of ['a', 'b', 'c']) await core.createNamespacedPod({ namespace: ns, body: pod(n) });
    const watch = new ControllableWatch(cp.kubeConfig());
    const { logger, entries } = memoryLogger();
    const informer = podInformer(cp.kubeConfig(), {
      namespace: ns,
      watch,
      logger,
      backoff: { initialMs: 100, maxMs: 1000 },
    });
    informer.start();
    try {
      expect(await informer.waitForSync(AbortSignal.timeout(15_000))).toBe(true);
      const deletes: Array<[string, boolean]> = [];
      informer.onDelete((p, i) => void deletes.push([p.metadata?.name ?? '', i.finalStateUnknown]));

      // Keep the informer away while b goes and the API server restarts with a fresh watch cache.
      watch.blocked = true;
      watch.drop();
      await core.deleteNamespacedPod({ namespace: ns, name: 'b', gracePeriodSeconds: 0 });
      await eventually(async () =>
        (await core.listNamespacedPod({ namespace: ns })).items.length === 2 ? true : undefined,
      );
      await cp.restartApiserver();
      watch.blocked = false;

      await eventually(() => (names(informer.list()).join() === 'a,c' ? true : undefined), {
        timeoutMs: 30_000,
        what: 'b removed after relist',
      });
      expect(deletes).toEqual([['b', true]]);
      expect(entries.some((e) => e.message === 'Watch ended; restarting' && e.reason === 'gone')).toBe(true);

      // And it keeps watching the restarted server.
      await core.createNamespacedPod({ namespace: ns, body: pod('d') });
      await eventually(() => informer.get(`${ns}/d`), { timeoutMs: 30_000, what: 'd seen after restart' });
    } finally {
      await informer.stop();
    }
  }, 120_000);
});
