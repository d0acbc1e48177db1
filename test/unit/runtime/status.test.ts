import { describe, expect, it } from '@jest/globals';
import type {
  EventsV1ApiCreateNamespacedEventRequest,
  EventsV1ApiPatchNamespacedEventRequest,
  EventsV1Event,
  KubernetesObject,
} from '@kubernetes/client-node';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import {
  addFinalizerPatch,
  conditionsEqual,
  createMergePatch,
  EventRecorder,
  ensureFinalizer,
  removeFinalizer,
  removeFinalizerPatch,
  setCondition,
  StatusPatcher,
  type Condition,
} from '../../../src/runtime/status.js';

const t0 = Date.UTC(2026, 0, 1, 12, 0, 0, 123);

describe('setCondition', () => {
  it('adds a new condition with lastTransitionTime at second precision', () => {
    const out = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Synced', message: '', observedGeneration: 3 },
      t0,
    );
    expect(out).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Synced',
        message: '',
        lastTransitionTime: '2026-01-01T12:00:00Z',
        observedGeneration: 3,
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, changes it when the status flips', () => {
    const a = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'DeviceUnreachable', message: 'x' },
      t0,
    );
    const b = setCondition(
      a,
      { type: 'Ready', status: 'False', reason: 'TokenRefused', message: 'y', observedGeneration: 2 },
      t0 + 60_000,
    );
    expect(b[0]).toMatchObject({
      reason: 'TokenRefused',
      message: 'y',
      lastTransitionTime: '2026-01-01T12:00:00Z',
      observedGeneration: 2,
    });
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'Synced', message: '' }, t0 + 120_000);
    expect(c[0]?.lastTransitionTime).toBe('2026-01-01T12:02:00Z');
    expect(a[0]?.reason).toBe('DeviceUnreachable'); // input not mutated
  });

  it('replaces in place and keeps other conditions', () => {
    let list = setCondition([], { type: 'Ready', status: 'True', reason: 'A', message: '' }, t0);
    list = setCondition(list, { type: 'Synced', status: 'True', reason: 'B', message: '' }, t0);
    list = setCondition(list, { type: 'Ready', status: 'False', reason: 'C', message: '' }, t0);
    expect(list.map((c) => `${c.type}=${c.status}`)).toEqual(['Ready=False', 'Synced=True']);
  });
});

describe('conditionsEqual', () => {
  const c = (type: string, status: Condition['status'] = 'True'): Condition => ({
    type,
    status,
    reason: 'R',
    message: '',
    lastTransitionTime: '2026-01-01T12:00:00Z',
  });
  it('ignores order and compares every field', () => {
    expect(conditionsEqual([c('A'), c('B')], [c('B'), c('A')])).toBe(true);
    expect(conditionsEqual([c('A')], [c('A', 'False')])).toBe(false);
    expect(conditionsEqual([c('A')], [c('A'), c('B')])).toBe(false);
    expect(conditionsEqual(undefined, [])).toBe(true);
    expect(
      conditionsEqual([{ ...c('A'), observedGeneration: 1 }], [{ ...c('A'), observedGeneration: 2 }]),
    ).toBe(false);
  });
});

describe('finalizer patches', () => {
  const obj = (finalizers?: string[]): KubernetesObject => ({
    metadata: { name: 'm', resourceVersion: '42', ...(finalizers ? { finalizers } : {}) },
  });

  it('adds to an existing list guarded by a test of the whole list', () => {
    expect(addFinalizerPatch(obj(['other.io/x']), 'fortisync.io/cleanup')).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: ['other.io/x'] },
      { op: 'add', path: '/metadata/finalizers/-', value: 'fortisync.io/cleanup' },
    ]);
  });

  it('creates the list guarded by the resourceVersion when there is none', () => {
    expect(addFinalizerPatch(obj(), 'f')).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/metadata/finalizers', value: ['f'] },
    ]);
  });

  it('is a no-op when already present / absent', () => {
    expect(addFinalizerPatch(obj(['f']), 'f')).toBeUndefined();
    expect(removeFinalizerPatch(obj(['g']), 'f')).toBeUndefined();
    expect(removeFinalizerPatch(obj(), 'f')).toBeUndefined();
  });

  it('removes every occurrence, highest index first, guarded by a test', () => {
    expect(removeFinalizerPatch(obj(['f', 'g', 'f']), 'f')).toEqual([
      { op: 'test', path: '/metadata/finalizers', value: ['f', 'g', 'f'] },
      { op: 'remove', path: '/metadata/finalizers/2' },
      { op: 'remove', path: '/metadata/finalizers/0' },
    ]);
  });

  it('sends JSON patches through the CustomObjectsApi (namespaced and cluster-scoped)', async () => {
    type PatchParam = { name: string; namespace?: string; plural: string; body: unknown };
    const calls: Array<{ kind: string; param: PatchParam; contentType: unknown }> = [];
    const contentTypeOf = (options: unknown) => {
      const mw = (
        options as {
          middleware?: Array<{ pre: (r: { setHeaderParam(k: string, v: string): void }) => unknown }>;
        }
      ).middleware?.[0];
      let ct: string | undefined;
      mw?.pre({ setHeaderParam: (k, v) => void (k === 'Content-Type' && (ct = v)) });
      return ct;
    };
    const api = {
      patchNamespacedCustomObject: async (param: PatchParam, options?: unknown) => {
        calls.push({ kind: 'ns', param, contentType: contentTypeOf(options) });
        return {};
      },
      patchClusterCustomObject: async (param: PatchParam, options?: unknown) => {
        calls.push({ kind: 'cluster', param, contentType: contentTypeOf(options) });
        return {};
      },
    };
    const gvr = { group: 'fortisync.io', version: 'v1alpha1', plural: 'fortigateendpointmappings' };
    expect(await ensureFinalizer(api, { ...gvr, namespace: 'shop', name: 'm' }, obj(), 'f')).toBe(true);
    expect(await ensureFinalizer(api, { ...gvr, namespace: 'shop', name: 'm' }, obj(['f']), 'f')).toBe(false);
    expect(
      await removeFinalizer(api, { ...gvr, plural: 'fortigatedevices', name: 'd' }, obj(['f']), 'f'),
    ).toBe(true);
    expect(calls.map((c) => c.kind)).toEqual(['ns', 'cluster']);
    expect(calls[0]?.param).toMatchObject({
      namespace: 'shop',
      name: 'm',
      plural: 'fortigateendpointmappings',
    });
    expect(calls[0]?.contentType).toBe('application/json-patch+json');
    expect(calls[1]?.param).not.toHaveProperty('namespace');
  });
});

describe('createMergePatch / StatusPatcher', () => {
  it('sets changed members and nulls removed ones', () => {
    expect(
      createMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 5 }, e: [1, 2], f: 'x' }),
    ).toEqual({
      b: { c: 5, d: null },
      e: [1, 2],
      f: 'x',
    });
  });

  it('patches /status only when it differs from the cached object', async () => {
    const sent: unknown[] = [];
    const api = {
      patchNamespacedCustomObjectStatus: async (param: { body: unknown }) => void sent.push(param.body),
      patchClusterCustomObjectStatus: async (param: { body: unknown }) => void sent.push(param.body),
    };
    const patcher = new StatusPatcher(api, {
      group: 'fortisync.io',
      version: 'v1alpha1',
      plural: 'fortigateendpointmappings',
    });
    const cached = {
      metadata: { name: 'm', namespace: 'shop' },
      status: { observedGeneration: 1, members: 2, stale: true },
    };
    expect(
      await patcher.patch(cached, { observedGeneration: 1, members: 2, stale: true, unset: undefined }),
    ).toBe(false);
    expect(await patcher.patch(cached, { observedGeneration: 2, members: 2 })).toBe(true);
    expect(sent).toEqual([{ status: { observedGeneration: 2, stale: null } }]);
  });
});

describe('StatusPatcher progress interval', () => {
  it('holds back progress-only changes within the interval, never condition changes', async () => {
    const sent: unknown[] = [];
    const api = {
      patchNamespacedCustomObjectStatus: async (param: { body: unknown }) => void sent.push(param.body),
      patchClusterCustomObjectStatus: async (param: { body: unknown }) => void sent.push(param.body),
    };
    const clock = new FakeClock(1_000_000);
    const patcher = new StatusPatcher(
      api,
      { group: 'fortisync.io', version: 'v1alpha1', plural: 'fortigateendpointmappings' },
      { progressIntervalMs: 5000, clock },
    );
    const obj = (status: object) => ({ metadata: { name: 'm', namespace: 'shop' }, status });
    const ready = [{ type: 'Ready', status: 'True' }];
    // The first write of an object is never held back.
    expect(await patcher.patchOrDefer(obj({ members: 1 }), { members: 2, conditions: ready })).toEqual({
      written: true,
    });
    await clock.advance(1000);
    expect(
      await patcher.patchOrDefer(obj({ members: 2, conditions: ready }), { members: 3, conditions: ready }),
    ).toEqual({ written: false, retryAfterMs: 4000 });
    // A condition change goes out at once.
    const notReady = [{ type: 'Ready', status: 'False' }];
    expect(
      await patcher.patchOrDefer(obj({ members: 2, conditions: ready }), {
        members: 3,
        conditions: notReady,
      }),
    ).toEqual({ written: true });
    await clock.advance(5000);
    expect(
      await patcher.patchOrDefer(obj({ members: 3, conditions: notReady }), {
        members: 4,
        conditions: notReady,
      }),
    ).toEqual({ written: true });
    // patch() is never held back.
    expect(await patcher.patch(obj({ members: 4 }), { members: 5 })).toBe(true);
    expect(sent).toHaveLength(4);
  });
});

describe('EventRecorder', () => {
  function setup(opts: { burst?: number; qps?: number } = {}) {
    const clock = new FakeClock(t0);
    const created: Array<{ namespace: string; body: Record<string, unknown> }> = [];
    const patched: Array<{ name: string; body: { series: { count: number } } }> = [];
    let failCreate = false;
    let patchStatus: number | undefined;
    const api = {
      createNamespacedEvent: async (p: EventsV1ApiCreateNamespacedEventRequest): Promise<EventsV1Event> => {
        if (failCreate) throw Object.assign(new Error('forbidden'), { code: 403 });
        created.push({ namespace: p.namespace, body: p.body as unknown as Record<string, unknown> });
        return p.body;
      },
      patchNamespacedEvent: async (p: EventsV1ApiPatchNamespacedEventRequest): Promise<EventsV1Event> => {
        if (patchStatus) throw Object.assign(new Error('not found'), { code: patchStatus });
        patched.push({ name: p.name, body: p.body as { series: { count: number } } });
        return {} as EventsV1Event;
      },
    };
    const rec = new EventRecorder({
      api,
      reportingController: 'fortisync.io/test',
      reportingInstance: 'pod-1',
      clock,
      ...opts,
    });
    return {
      clock,
      rec,
      created,
      patched,
      failCreate: () => (failCreate = true),
      patchFails: (code: number) => (patchStatus = code),
    };
  }
  const mapping = {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateEndpointMapping',
    name: 'web',
    namespace: 'shop',
    uid: 'u1',
  };

  it('writes an events.k8s.io/v1 Event', async () => {
    const t = setup();
    await t.rec.normal(mapping, 'Synced', 'Sync', 'group K8S-DMZ has 2 members');
    expect(t.created).toHaveLength(1);
    expect(t.created[0]?.namespace).toBe('shop');
    expect(t.created[0]?.body).toMatchObject({
      reportingController: 'fortisync.io/test',
      reportingInstance: 'pod-1',
      reason: 'Synced',
      action: 'Sync',
      type: 'Normal',
      note: 'group K8S-DMZ has 2 members',
      regarding: mapping,
    });
    expect((t.created[0]?.body.eventTime as Date).getTime()).toBe(t0);
  });

  it('folds repeats into a series and starts anew after the window', async () => {
    const t = setup();
    await t.rec.warning(mapping, 'DeviceUnreachable', 'Sync', 'timeout');
    await t.clock.advance(1000);
    await t.rec.warning(mapping, 'DeviceUnreachable', 'Sync', 'timeout');
    await t.rec.warning(mapping, 'DeviceUnreachable', 'Sync', 'timeout');
    expect(t.created).toHaveLength(1);
    expect(t.patched.map((p) => p.body.series.count)).toEqual([2, 3]);
    expect(t.patched[0]?.name).toBe((t.created[0]?.body.metadata as { name: string }).name);
    await t.rec.warning(mapping, 'DeviceUnreachable', 'Sync', 'other note');
    expect(t.created).toHaveLength(2);
    await t.clock.advance(7 * 60_000);
    await t.rec.warning(mapping, 'DeviceUnreachable', 'Sync', 'timeout');
    expect(t.created).toHaveLength(3);
  });

  it('writes a new event when the series target has expired', async () => {
    const t = setup();
    await t.rec.normal(mapping, 'Synced', 'Sync', 'ok');
    t.patchFails(404);
    await t.rec.normal(mapping, 'Synced', 'Sync', 'ok');
    expect(t.created).toHaveLength(2);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const t = setup();
    await t.rec.normal({ kind: 'FortiGateDevice', name: 'fw1' }, 'Connected', 'Connect', 'ok');
    expect(t.created[0]?.namespace).toBe('default');
  });

  it('drops events beyond the rate budget and never throws', async () => {
    const t = setup({ burst: 2, qps: 0.1 });
    for (let i = 0; i < 5; i++) await t.rec.normal(mapping, 'Tick', 'Sync', `n${i}`);
    expect(t.created).toHaveLength(2);
    await t.clock.advance(10_000);
    await t.rec.normal(mapping, 'Tick', 'Sync', 'later');
    expect(t.created).toHaveLength(3);
    t.failCreate();
    await t.clock.advance(10_000);
    await expect(t.rec.normal(mapping, 'Boom', 'Sync', 'x')).resolves.toBeUndefined();
  });

  it('truncates long notes to the API limit', async () => {
    const t = setup();
    await t.rec.normal(mapping, 'Long', 'Sync', 'x'.repeat(5000));
    expect((t.created[0]?.body.note as string).length).toBe(1024);
  });
});
