import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { LeaderElector } from '../../../src/runtime/leader-election.js';
import { kubeLeaseStore } from '../../../src/runtime/lease-store.js';
import {
  EventRecorder,
  ensureFinalizer,
  removeFinalizer,
  StatusPatcher,
} from '../../../src/runtime/status.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';

// A CRD of our own, so the operator's controllers (which other test files may run) never touch
// the objects these tests write.
const group = 'runtime-test.fortisync.io';
const gvp = { group, version: 'v1', plural: 'widgets' };

type Widget = KubernetesObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

describe('runtime helpers against a real kube-apiserver', () => {
  let kc: KubeConfig;
  let ns: string;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    kc = testKubeConfig();
    ns = await createTestNamespace(kc, 'rt-helpers');
    custom = kc.makeApiClient(CustomObjectsApi);
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    try {
      await ext.createCustomResourceDefinition({
        body: {
          metadata: { name: `widgets.${group}` },
          spec: {
            group,
            scope: 'Namespaced',
            names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                subresources: { status: {} },
                schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
              },
            ],
          },
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
    await eventually(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: `widgets.${group}` });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
    // Discovery lags behind Established for a moment.
    await eventually(() => custom.listNamespacedCustomObject({ ...gvp, namespace: ns }).then(() => true));
  });

  afterAll(async () => {
    await deleteNamespace(kc, ns);
  });

  const createWidget = (name: string): Promise<Widget> =>
    custom.createNamespacedCustomObject({
      ...gvp,
      namespace: ns,
      body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name }, spec: { size: 1 } },
    }) as Promise<Widget>;
  const readWidget = (name: string) =>
    custom.getNamespacedCustomObject({ ...gvp, namespace: ns, name }) as Promise<Widget>;

  it('adds and removes a finalizer, and refuses to write over a concurrent change', async () => {
    const created = await createWidget('fin');
    const ref = { ...gvp, namespace: ns, name: 'fin' };
    expect(await ensureFinalizer(custom, ref, created, 'fortisync.io/a')).toBe(true);
    const withA = await readWidget('fin');
    expect(withA.metadata?.finalizers).toEqual(['fortisync.io/a']);
    expect(await ensureFinalizer(custom, ref, withA, 'fortisync.io/a')).toBe(false);

    // Someone else adds theirs; a write based on the stale copy must fail, not drop it.
    expect(await ensureFinalizer(custom, ref, withA, 'other.io/b')).toBe(true);
    await expect(ensureFinalizer(custom, ref, withA, 'fortisync.io/c')).rejects.toMatchObject({ code: 422 });
    // The same guard protects the very first finalizer (no list yet: the resourceVersion is tested).
    const bare = await createWidget('fin-bare');
    await custom.patchNamespacedCustomObject({
      ...gvp,
      namespace: ns,
      name: 'fin-bare',
      body: [{ op: 'add', path: '/spec/size', value: 2 }],
    });
    await expect(
      ensureFinalizer(custom, { ...ref, name: 'fin-bare' }, bare, 'fortisync.io/a'),
    ).rejects.toMatchObject({
      code: 422,
    });

    const both = await readWidget('fin');
    expect(both.metadata?.finalizers).toEqual(['fortisync.io/a', 'other.io/b']);
    expect(await removeFinalizer(custom, ref, both, 'fortisync.io/a')).toBe(true);
    expect((await readWidget('fin')).metadata?.finalizers).toEqual(['other.io/b']);
  });

  it('patches /status only when it changed, removing vanished fields', async () => {
    await createWidget('st');
    const patcher = new StatusPatcher(custom, gvp);
    expect(
      await patcher.patch(await readWidget('st'), { observedGeneration: 1, members: 2, note: 'x' }),
    ).toBe(true);
    const after = await readWidget('st');
    expect(after.status).toEqual({ observedGeneration: 1, members: 2, note: 'x' });
    expect(await patcher.patch(after, { observedGeneration: 1, members: 2, note: 'x' })).toBe(false);
    expect(await patcher.patch(after, { observedGeneration: 2, members: 2 })).toBe(true);
    expect((await readWidget('st')).status).toEqual({ observedGeneration: 2, members: 2 });
    expect((await readWidget('st')).spec).toEqual({ size: 1 }); // status subresource: spec untouched
  });

  it('records events.k8s.io/v1 Events and folds repeats into a series', async () => {
    const events = kc.makeApiClient(EventsV1Api);
    const widget = await createWidget('ev');
    const recorder = new EventRecorder({
      api: events,
      reportingController: 'fortisync.io/runtime-test',
      reportingInstance: 'test-1',
    });
    const regarding = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      name: 'ev',
      namespace: ns,
      uid: widget.metadata?.uid,
    };
    await recorder.warning(regarding, 'DeviceUnreachable', 'Sync', 'connect ECONNREFUSED');
    await recorder.warning(regarding, 'DeviceUnreachable', 'Sync', 'connect ECONNREFUSED');
    await recorder.warning(regarding, 'DeviceUnreachable', 'Sync', 'connect ECONNREFUSED');
    await recorder.normal(regarding, 'Synced', 'Sync', 'group has 2 members');
    const list = await events.listNamespacedEvent({ namespace: ns });
    const mine = list.items.filter((e) => e.regarding?.name === 'ev');
    expect(mine.map((e) => [e.reason, e.type, e.series?.count]).sort()).toEqual([
      ['DeviceUnreachable', 'Warning', 3],
      ['Synced', 'Normal', undefined],
    ]);
    expect(mine[0]?.reportingController).toBe('fortisync.io/runtime-test');
  });

  it('elects one leader on a real Lease and hands over at once on release', async () => {
    const coord = kc.makeApiClient(CoordinationV1Api);
    const timings = { leaseDurationMs: 4000, renewDeadlineMs: 3000, retryPeriodMs: 250 };
    const make = (identity: string) => {
      const state = { leading: false, stopped: false };
      const elector = new LeaderElector({
        store: kubeLeaseStore(coord, ns, 'runtime-test-leader'),
        identity,
        ...timings,
        callbacks: {
          onStartedLeading: () => void (state.leading = true),
          onStoppedLeading: () => void ((state.leading = false), (state.stopped = true)),
        },
      });
      const ac = new AbortController();
      const done = elector.run(ac.signal);
      return { elector, state, ac, done };
    };
    const a = make('replica-a');
    await eventually(() => (a.state.leading ? true : undefined), { what: 'a leads' });
    const b = make('replica-b');
    await new Promise((r) => setTimeout(r, 1000)); // several of b's retries and a's renewals
    expect(b.state.leading).toBe(false);
    expect(b.elector.getLeader()).toBe('replica-a');

    const released = Date.now();
    a.ac.abort();
    await a.done;
    expect(a.state.stopped).toBe(true);
    await eventually(() => (b.state.leading ? true : undefined), { what: 'b leads' });
    // Far less than the 4 s lease: the release handed it over.
    expect(Date.now() - released).toBeLessThan(2500);
    const lease = await coord.readNamespacedLease({ namespace: ns, name: 'runtime-test-leader' });
    expect(lease.spec?.holderIdentity).toBe('replica-b');
    expect(lease.spec?.leaseTransitions).toBe(1);
    b.ac.abort();
    await b.done;
  });
});
