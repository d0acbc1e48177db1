import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry, type MetricValueWithName } from 'prom-client';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

const HISTOGRAM = 'fortisync_propagation_latency_seconds';

/** Observations of the propagation histogram for one device. */
async function observations(registry: Registry, device: string): Promise<number> {
  const metric = await registry.getSingleMetric(HISTOGRAM)?.get();
  const values = (metric?.values ?? []) as MetricValueWithName<string>[];
  const count = values.find((v) => v.metricName === `${HISTOGRAM}_count` && v.labels.device === device);
  return count?.value ?? 0;
}

// fortisync_propagation_latency_seconds times pod events. The pods an operator finds when it
// starts are not events: their writes are the cold start, and counting them put a restart's whole
// cluster into the histogram (and its p99) as observations of the cold start's length.
describe('the propagation histogram counts pod events, not the pods found at start', () => {
  const registry = new Registry();
  const h = new Harness({
    name: 'propmetric',
    clusterName: 'propmetric',
    startOperator: false,
    operatorOptions: () => ({ registry }),
  });
  const pod = (p: string) => `k8s-propmetric-pod-${h.ns}.${p}`;

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.61');
  });
  afterAll(async () => h.stop());

  it('pods seen before the controllers start (a follower, the initial list) are written but not observed; a pod started later is', async () => {
    await h.runPod('before-1', { app: 'pm' }, 'n1', ['10.244.61.1']);
    await h.applyMapping('pm', {
      addressGroup: 'K8S-PROPMETRIC',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'pm' } },
    });
    // Caches synced, controllers not started: what a follower replica does. A pod arriving now is a
    // watch event that the mapping selects; waiting for it in the cache is the positive signal.
    const operator = await h.startOperator({ controllers: false });
    await h.runPod('before-2', { app: 'pm' }, 'n1', ['10.244.61.2']);
    await eventually(
      () => (operator.informers.pods.get(`${h.ns}/before-2`)?.status?.podIP ? true : undefined),
      { what: 'before-2 Running in the cache' },
    );
    operator.startControllers();
    await h.expectMembers('K8S-PROPMETRIC', [pod('before-1'), pod('before-2')]);
    await h.expectCondition('pm', 'Ready', 'True', 'Synced');
    expect(await observations(registry, h.deviceName)).toBe(0);

    await h.runPod('after-1', { app: 'pm' }, 'n1', ['10.244.61.3']);
    await h.expectMembers('K8S-PROPMETRIC', [pod('before-1'), pod('before-2'), pod('after-1')]);
    // Observed when the sync that wrote it reports, just after the write.
    await eventually(async () => ((await observations(registry, h.deviceName)) > 0 ? true : undefined), {
      what: 'the new pod observed',
    });
    // Its creation and its Running status are two events; the first may have changed nothing.
    const count = await observations(registry, h.deviceName);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(count).toBeLessThanOrEqual(2);
  });
});
