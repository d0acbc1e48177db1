import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { FakeClock, flushAsync } from '../../../src/runtime/fake-clock.js';
import { runtimeMetrics } from '../../../src/runtime/metrics.js';
import {
  Informer,
  waitForCacheSync,
  type ListResult,
  type StreamingListMode,
  type WatchLike,
} from '../../../src/runtime/informer.js';
import { namespaceIndex } from '../../../src/runtime/store.js';
import { memoryLogger } from './helpers.js';

interface Obj extends KubernetesObject {
  spec?: { node?: string };
}

const obj = (name: string, rv: string, extra: { ns?: string; uid?: string; node?: string } = {}): Obj => ({
  metadata: { name, namespace: extra.ns ?? 'default', resourceVersion: rv, uid: extra.uid ?? `uid-${name}` },
  spec: { node: extra.node ?? 'n1' },
});

class FakeStream {
  aborted = false;
  constructor(
    readonly params: Record<string, string | number | boolean | undefined>,
    private readonly cb: (phase: string, o: unknown) => void,
    private readonly done: (err: unknown) => void,
  ) {}
  emit(phase: string, o: unknown): void {
    this.cb(phase, o);
  }
  end(err: unknown = null): void {
    this.done(err);
  }
}

class FakeWatch implements WatchLike {
  streams: FakeStream[] = [];
  failNext: unknown[] = [];
  async watch(
    _path: string,
    params: Record<string, string | number | boolean | undefined>,
    cb: (phase: string, o: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    const failure = this.failNext.shift();
    if (failure !== undefined) {
      // Like client-node: a non-200 response calls done(err) and still returns a controller.
      done(failure);
      return { abort: () => {} };
    }
    const s = new FakeStream(params, cb, done);
    this.streams.push(s);
    return { abort: () => (s.aborted = true) };
  }
  get last(): FakeStream {
    const s = this.streams[this.streams.length - 1];
    if (!s) throw new Error('no watch started');
    return s;
  }
}

function setup(
  opts: { resyncPeriodMs?: number; inactivityTimeoutMs?: number; streamingList?: StreamingListMode } = {},
) {
  const clock = new FakeClock();
  const watch = new FakeWatch();
  const { logger, entries } = memoryLogger();
  let listing: ListResult<Obj> = { items: [], metadata: { resourceVersion: '1' } };
  let listFailures: unknown[] = [];
  let lists = 0;
  const events: string[] = [];
  const informer = new Informer<Obj>({
    name: 'things',
    path: '/apis/x/v1/things',
    listFn: async () => {
      lists++;
      const f = listFailures.shift();
      if (f !== undefined) throw f;
      return structuredClone(listing);
    },
    watch,
    clock,
    logger,
    random: () => 0,
    backoff: { initialMs: 1000, maxMs: 8000, jitter: 0.5 },
    healthyWatchMs: 5000,
    watchTimeoutSeconds: 300,
    ...opts,
  });
  informer.addEventHandler({
    onAdd: (o) => void events.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    onUpdate: (a, b) =>
      void events.push(
        `update ${a.metadata?.name}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`,
      ),
    onDelete: (o, i) =>
      void events.push(`delete ${o.metadata?.name}${i.finalStateUnknown ? ' (unknown)' : ''}`),
    onResync: (o) => void events.push(`resync ${o.metadata?.name}`),
  });
  return {
    clock,
    watch,
    informer,
    events,
    entries,
    setList: (items: Obj[], rv: string) => (listing = { items, metadata: { resourceVersion: rv } }),
    failLists: (...errs: unknown[]) => (listFailures = errs),
    lists: () => lists,
  };
}

const endOfInitialState = (rv: string) => ({
  metadata: { resourceVersion: rv, annotations: { 'k8s.io/initial-events-end': 'true' } },
});

describe('Informer with a streamed list (sendInitialEvents)', () => {
  it('gathers the initial state aside and applies it at the bookmark that ends it, without listing', async () => {
    const t = setup({ streamingList: 'always' });
    t.informer.start();
    await flushAsync();
    const s = t.watch.last;
    expect(s.params).toMatchObject({
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
    });
    expect(s.params.resourceVersion).toBeUndefined(); // a consistent read of the current state
    s.emit('ADDED', obj('a', '5'));
    s.emit('ADDED', obj('b', '6'));
    s.emit('BOOKMARK', { metadata: { resourceVersion: '7' } }); // an ordinary bookmark ends nothing
    expect(t.informer.hasSynced()).toBe(false);
    expect(t.informer.list()).toEqual([]);
    expect(t.events).toEqual([]);
    s.emit('BOOKMARK', endOfInitialState('9'));
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.events).toEqual(['add a@5', 'add b@6']);
    expect(t.informer.lastSyncResourceVersion()).toBe('9');
    // The same stream goes on as an ordinary watch.
    s.emit('MODIFIED', obj('a', '10'));
    expect(t.events).toEqual(['add a@5', 'add b@6', 'update a@5->10']);
    expect(t.lists()).toBe(0);
    // Ended cleanly, it resumes from the last resourceVersion like any watch: no new initial state.
    s.end();
    await flushAsync();
    expect(t.watch.last.params).toMatchObject({ resourceVersion: '10' });
    expect(t.watch.last.params.sendInitialEvents).toBeUndefined();
    await t.informer.stop();
  });

  it('throws away a partial initial state when the stream ends before its bookmark, and streams again', async () => {
    const t = setup({ streamingList: 'always' });
    t.informer.start();
    await flushAsync();
    t.watch.last.emit('ADDED', obj('a', '5'));
    t.watch.last.end(new Error('connection reset'));
    await flushAsync();
    expect(t.informer.hasSynced()).toBe(false);
    expect(t.informer.list()).toEqual([]);
    expect(t.watch.streams).toHaveLength(2); // it had delivered an event: healthy, no backoff
    const again = t.watch.last;
    expect(again.params.sendInitialEvents).toBe(true);
    again.emit('ADDED', obj('b', '8'));
    again.emit('BOOKMARK', endOfInitialState('8'));
    expect(t.events).toEqual(['add b@8']);
    expect(t.lists()).toBe(0);
    await t.informer.stop();
  });

  it('after a 410, streams again and reports only what changed, keeping unchanged objects as they are', async () => {
    const t = setup({ streamingList: 'always' });
    t.informer.start();
    await flushAsync();
    const first = t.watch.last;
    for (const o of [obj('a', '5'), obj('b', '6'), obj('c', '7')]) first.emit('ADDED', o);
    first.emit('BOOKMARK', endOfInitialState('10'));
    const cachedA = t.informer.get('default/a');
    t.events.length = 0;
    await t.clock.advance(5000); // a long-lived, healthy watch: the next one starts at once
    first.emit('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    await flushAsync();
    const second = t.watch.last;
    expect(second).not.toBe(first);
    expect(second.params.sendInitialEvents).toBe(true);
    for (const o of [obj('a', '5'), obj('c', '30'), obj('d', '31')]) second.emit('ADDED', o);
    second.emit('BOOKMARK', endOfInitialState('40'));
    expect(t.events).toEqual(['delete b (unknown)', 'update c@7->30', 'add d@31']);
    expect(t.informer.get('default/a')).toBe(cachedA);
    expect(t.informer.lastSyncResourceVersion()).toBe('40');
    expect(t.lists()).toBe(0);
    await t.informer.stop();
  });

  it('lists in pages from then on when the API server refuses to stream (422), without waiting', async () => {
    const t = setup({ streamingList: 'always' });
    t.setList([obj('a', '5')], '10');
    t.watch.failNext.push(
      Object.assign(
        new Error('sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled'),
        {
          statusCode: 422,
        },
      ),
    );
    t.informer.start();
    await flushAsync();
    expect(t.lists()).toBe(1);
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.events).toEqual(['add a@5']);
    expect(t.watch.last.params).toMatchObject({ resourceVersion: '10' });
    expect(t.watch.last.params.sendInitialEvents).toBeUndefined();
    expect(t.entries.some((e) => String(e.message).includes('does not stream lists'))).toBe(true);
    // A later 410 relists in pages too.
    t.setList([obj('a', '5'), obj('b', '11')], '12');
    await t.clock.advance(5000);
    t.watch.last.emit('ERROR', { code: 410 });
    await flushAsync();
    expect(t.lists()).toBe(2);
    expect(t.watch.last.params.sendInitialEvents).toBeUndefined();
    await t.informer.stop();
  });

  it('after-expired-list: lists in pages, streams once after a list whose continue token expired, then lists again', async () => {
    const t = setup({ streamingList: 'after-expired-list' });
    t.setList([obj('a', '5')], '10');
    t.failLists(Object.assign(new Error('continue parameter is too old'), { statusCode: 410 }));
    t.informer.start();
    await flushAsync();
    expect(t.lists()).toBe(1);
    expect(t.watch.streams).toHaveLength(0);
    await t.clock.advance(1000); // one backoff step, then a streamed list instead of page one again
    expect(t.lists()).toBe(1);
    const s = t.watch.last;
    expect(s.params.sendInitialEvents).toBe(true);
    s.emit('ADDED', obj('a', '5'));
    s.emit('BOOKMARK', endOfInitialState('12'));
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.events).toEqual(['add a@5']);
    // A later 410 on the watch lists in pages again: the stream was only the way out.
    t.setList([obj('a', '5'), obj('b', '13')], '14');
    await t.clock.advance(5000);
    s.emit('ERROR', { code: 410 });
    await flushAsync();
    expect(t.lists()).toBe(2);
    expect(t.events).toEqual(['add a@5', 'add b@13']);
    expect(t.watch.last.params).toMatchObject({ resourceVersion: '14' });
    expect(t.watch.last.params.sendInitialEvents).toBeUndefined();
    await t.informer.stop();
  });

  it('after-expired-list: other list failures are retried in pages', async () => {
    const t = setup({ streamingList: 'after-expired-list' });
    t.failLists(Object.assign(new Error('Internal Server Error'), { statusCode: 500 }));
    t.informer.start();
    await flushAsync();
    await t.clock.advance(1000);
    expect(t.lists()).toBe(2);
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.watch.last.params.sendInitialEvents).toBeUndefined();
    await t.informer.stop();
  });

  it('keeps streaming, with backoff, after a failure that is not a refusal (403)', async () => {
    const t = setup({ streamingList: 'always' });
    t.watch.failNext.push(Object.assign(new Error('forbidden'), { statusCode: 403 }));
    t.informer.start();
    await flushAsync();
    expect(t.watch.streams).toHaveLength(0);
    await t.clock.advance(1000);
    expect(t.watch.streams).toHaveLength(1);
    expect(t.watch.last.params.sendInitialEvents).toBe(true);
    expect(t.lists()).toBe(0);
    await t.informer.stop();
  });
});

describe('Informer (injected list/watch)', () => {
  it('lists, syncs, then watches from the list resourceVersion with bookmarks and a server timeout', async () => {
    const t = setup();
    t.setList([obj('a', '5'), obj('b', '6')], '10');
    expect(t.informer.hasSynced()).toBe(false);
    const synced = t.informer.waitForSync();
    t.informer.start();
    expect(await synced).toBe(true);
    await flushAsync();
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.events).toEqual(['add a@5', 'add b@6']);
    expect(t.informer.get('default/a')?.metadata?.resourceVersion).toBe('5');
    expect(t.watch.last.params).toMatchObject({
      resourceVersion: '10',
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    });
    await t.informer.stop();
    expect(t.watch.last.aborted).toBe(true);
  });

  it('applies ADDED/MODIFIED/DELETED to the cache and handlers and tracks the resourceVersion', async () => {
    const t = setup();
    t.informer.start();
    await flushAsync();
    const s = t.watch.last;
    s.emit('ADDED', obj('a', '11'));
    s.emit('MODIFIED', obj('a', '12'));
    s.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
    expect(t.informer.lastSyncResourceVersion()).toBe('15');
    s.emit('DELETED', obj('a', '16'));
    expect(t.events).toEqual(['add a@11', 'update a@11->12', 'delete a']);
    expect(t.informer.list()).toEqual([]);
    expect(t.informer.lastSyncResourceVersion()).toBe('16');
    expect(t.informer.lastEventTime).toBe(t.clock.now());
    await t.informer.stop();
  });

  it('restarts a cleanly ended healthy watch at once from the last resourceVersion, without relisting', async () => {
    const t = setup();
    t.informer.start();
    await flushAsync();
    t.watch.last.emit('ADDED', obj('a', '20'));
    t.watch.last.end();
    await flushAsync();
    expect(t.watch.streams).toHaveLength(2);
    expect(t.watch.last.params.resourceVersion).toBe('20');
    expect(t.lists()).toBe(1);
    await t.informer.stop();
  });

  it('relists on an in-stream 410 and reports what changed while the watch was down', async () => {
    const t = setup();
    t.setList([obj('a', '5'), obj('b', '6'), obj('c', '7')], '10');
    t.informer.start();
    await flushAsync();
    t.events.length = 0;
    t.setList([obj('a', '5'), obj('c', '30'), obj('d', '31')], '40');
    t.watch.last.emit('ERROR', {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    // The watch died young without events: the relist waits one backoff step (no hot loop).
    await t.clock.advance(999);
    expect(t.lists()).toBe(1);
    await t.clock.advance(1);
    expect(t.lists()).toBe(2);
    expect(t.events).toEqual(['delete b (unknown)', 'update c@7->30', 'add d@31']);
    expect(t.watch.last.params.resourceVersion).toBe('40');
    expect(t.informer.keys().sort()).toEqual(['default/a', 'default/c', 'default/d']);
    await t.informer.stop();
  });

  it('relists on an HTTP 410 from the watch request', async () => {
    const t = setup();
    t.informer.start();
    await flushAsync();
    t.watch.failNext.push(Object.assign(new Error('Gone'), { statusCode: 410 }));
    t.watch.last.emit('ADDED', obj('x', '2'));
    t.watch.last.end();
    await t.clock.advance(0);
    // the restarted watch got HTTP 410 → relist, then a new watch.
    await t.clock.advance(5000);
    expect(t.lists()).toBe(2);
    expect(t.events).toContain('delete x (unknown)');
    await t.informer.stop();
  });

  it('treats a re-created object (new uid) found on relist as delete + add', async () => {
    const t = setup();
    t.setList([obj('a', '5', { uid: 'u1' })], '10');
    t.informer.start();
    await flushAsync();
    t.events.length = 0;
    t.setList([obj('a', '50', { uid: 'u2' })], '60');
    await t.clock.advance(5000); // a healthy, long-running watch relists at once
    t.watch.last.emit('ERROR', { code: 410 });
    await flushAsync();
    expect(t.events).toEqual(['delete a (unknown)', 'add a@50']);
    await t.informer.stop();
  });

  it('backs off exponentially with jitter on repeated failures and never gives up', async () => {
    const t = setup();
    t.informer.start();
    await flushAsync();
    const err = Object.assign(new Error('Internal Server Error'), { statusCode: 500 });
    t.watch.failNext.push(err, err, err, err, err, err);
    t.watch.last.end(new Error('connection reset')); // unhealthy: no events, short-lived
    await flushAsync();
    const starts: number[] = [];
    const t0 = t.clock.now();
    let seen = t.watch.streams.length;
    // random() = 0 → no jitter: 1000, 2000, 4000, 8000, 8000, 8000, 8000 (capped)
    for (let i = 0; i < 7; i++) {
      const next = t.clock.nextTimerAt();
      expect(next).toBeDefined();
      await t.clock.advance((next as number) - t.clock.now());
      starts.push(t.clock.now() - t0);
      if (t.watch.streams.length > seen) break;
      seen = t.watch.streams.length;
    }
    expect(starts).toEqual([1000, 3000, 7000, 15000, 23000, 31000, 39000]);
    expect(t.watch.streams).toHaveLength(2);
    expect(t.watch.last.aborted).toBe(false);
    await t.informer.stop();
  });

  it('jitter adds up to the configured fraction', async () => {
    const clock = new FakeClock();
    const watch = new FakeWatch();
    const informer = new Informer<Obj>({
      name: 'j',
      path: '/p',
      listFn: async () => {
        throw new Error('down');
      },
      watch,
      clock,
      random: () => 0.5,
      backoff: { initialMs: 1000, maxMs: 30_000, jitter: 1 },
    });
    informer.start();
    await flushAsync();
    expect((clock.nextTimerAt() as number) - clock.now()).toBe(1500);
    await informer.stop();
  });

  it('does not report synced until a list succeeds, retrying with backoff', async () => {
    const t = setup();
    t.failLists(new Error('forbidden'), new Error('forbidden'));
    t.informer.start();
    await flushAsync();
    expect(t.informer.hasSynced()).toBe(false);
    await t.clock.advance(1000);
    expect(t.informer.hasSynced()).toBe(false);
    await t.clock.advance(2000);
    expect(t.informer.hasSynced()).toBe(true);
    expect(t.lists()).toBe(3);
    await t.informer.stop();
  });

  it('restarts a silent watch after the inactivity timeout; bookmarks keep it alive', async () => {
    const t = setup({ inactivityTimeoutMs: 60_000 });
    t.informer.start();
    await flushAsync();
    await t.clock.advance(59_000);
    t.watch.last.emit('BOOKMARK', { metadata: { resourceVersion: '3' } });
    await t.clock.advance(59_000);
    expect(t.watch.streams).toHaveLength(1);
    await t.clock.advance(1000);
    expect(t.watch.streams[0]?.aborted).toBe(true);
    expect(t.watch.streams).toHaveLength(2);
    expect(t.watch.last.params.resourceVersion).toBe('3');
    await t.informer.stop();
  });

  it('ignores events that race with its own abort', async () => {
    const t = setup({ inactivityTimeoutMs: 1000 });
    t.informer.start();
    await flushAsync();
    const first = t.watch.last;
    await t.clock.advance(1000);
    first.emit('ADDED', obj('late', '99'));
    expect(t.informer.get('default/late')).toBeUndefined();
    await t.informer.stop();
  });

  it('a throwing or rejecting handler does not break the informer', async () => {
    const t = setup();
    t.informer.onAdd(() => {
      throw new Error('handler bug');
    });
    t.informer.onAdd(async () => {
      throw new Error('async handler bug');
    });
    t.informer.start();
    await flushAsync();
    t.watch.last.emit('ADDED', obj('a', '2'));
    t.watch.last.emit('ADDED', obj('b', '3'));
    await flushAsync();
    expect(t.informer.keys().sort()).toEqual(['default/a', 'default/b']);
    expect(t.events).toEqual(['add a@2', 'add b@3']);
    expect(t.entries.filter((e) => e.message === 'Event handler failed')).toHaveLength(4);
    await t.informer.stop();
  });

  it('maintains indexes across add/update/delete', async () => {
    const t = setup();
    t.informer.addIndex('node', (o) => (o.spec?.node ? [o.spec.node] : []));
    t.informer.addIndex('namespace', namespaceIndex);
    t.setList([obj('a', '1', { node: 'n1' }), obj('b', '2', { node: 'n2', ns: 'other' })], '5');
    t.informer.start();
    await flushAsync();
    expect(t.informer.byIndex('node', 'n1').map((o) => o.metadata?.name)).toEqual(['a']);
    t.watch.last.emit('MODIFIED', obj('a', '6', { node: 'n2' }));
    expect(t.informer.byIndex('node', 'n1')).toEqual([]);
    expect(t.informer.indexKeys('node', 'n2').sort()).toEqual(['default/a', 'other/b']);
    t.watch.last.emit('DELETED', obj('b', '7', { ns: 'other', node: 'n2' }));
    expect(t.informer.indexKeys('node', 'n2')).toEqual(['default/a']);
    expect(t.informer.byIndex('namespace', 'other')).toEqual([]);
    expect(() => t.informer.byIndex('nope', 'x')).toThrow(/no index/);
    await t.informer.stop();
  });

  it('resyncs every cached object periodically once synced', async () => {
    const t = setup({ resyncPeriodMs: 30_000 });
    t.setList([obj('a', '1'), obj('b', '2')], '5');
    t.informer.start();
    await flushAsync();
    t.events.length = 0;
    await t.clock.advance(30_000);
    expect(t.events).toEqual(['resync a', 'resync b']);
    await t.clock.advance(30_000);
    expect(t.events).toHaveLength(4);
    await t.informer.stop();
  });

  it('replays the cache to a handler added late', async () => {
    const t = setup();
    t.setList([obj('a', '1')], '5');
    t.informer.start();
    await flushAsync();
    const late: string[] = [];
    t.informer.onAdd((o) => void late.push(o.metadata?.name ?? ''));
    expect(late).toEqual(['a']);
    await t.informer.stop();
  });

  it('retries when starting the watch itself rejects', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const informer = new Informer<Obj>({
      name: 'r',
      path: '/p',
      listFn: async () => ({ items: [], metadata: { resourceVersion: '1' } }),
      watch: {
        watch: async () => {
          calls++;
          throw new Error('No currently active cluster');
        },
      },
      clock,
      random: () => 0,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    informer.start();
    await flushAsync();
    await clock.advance(100);
    await clock.advance(100);
    expect(calls).toBe(3);
    await informer.stop();
  });

  it('stop while unsynced resolves waitForSync(false); an aborted signal too', async () => {
    const t = setup();
    t.failLists(new Error('down'), new Error('down'), new Error('down'));
    const ac = new AbortController();
    const bySignal = t.informer.waitForSync(ac.signal);
    const byStop = t.informer.waitForSync();
    t.informer.start();
    await flushAsync();
    ac.abort();
    expect(await bySignal).toBe(false);
    await t.informer.stop();
    expect(await byStop).toBe(false);
  });
});

describe('Informer hot-loop guard', () => {
  it('backs off when every watch fails instantly, even with healthyWatchMs 0', async () => {
    const clock = new FakeClock();
    let watches = 0;
    const informer = new Informer<Obj>({
      name: 'spin',
      path: '/p',
      listFn: async () => ({ items: [], metadata: { resourceVersion: '1' } }),
      watch: {
        watch: async (_p, _q, _cb, done) => {
          watches++;
          done(null); // ends at once, synchronously, without events
          return { abort: () => {} };
        },
      },
      clock,
      random: () => 0,
      healthyWatchMs: 0,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    informer.start();
    await flushAsync();
    expect(watches).toBe(1);
    await clock.advance(100);
    expect(watches).toBe(2);
    await informer.stop();
  });
});

describe('Informer metrics', () => {
  it('exposes sync state, cache size, last event time, lists and watch restarts', async () => {
    const clock = new FakeClock();
    const watch = new FakeWatch();
    const registry = new Registry();
    const informer = new Informer<Obj>({
      name: 'pods',
      path: '/api/v1/pods',
      listFn: async () => ({ items: [obj('a', '1')], metadata: { resourceVersion: '5' } }),
      watch,
      clock,
      random: () => 0,
      metrics: runtimeMetrics(registry).informer('pods'),
    });
    informer.start();
    await flushAsync();
    watch.last.emit('ADDED', obj('b', '6'));
    watch.last.emit('ERROR', { code: 410 });
    await flushAsync(); // relisted at once (the watch had delivered events): b is gone again
    const text = await registry.metrics();
    expect(text).toContain('informer_synced{informer="pods"} 1');
    expect(text).toContain('informer_objects{informer="pods"} 1');
    expect(text).toContain(`informer_last_event_timestamp_seconds{informer="pods"} ${clock.now() / 1000}`);
    expect(text).toContain('informer_lists_total{informer="pods",result="success"} 2');
    expect(text).toContain('informer_watch_restarts_total{informer="pods",reason="gone"} 1');
    await informer.stop();
    expect(await registry.metrics()).not.toContain('informer_objects{informer="pods"}');
  });
});

describe('waitForCacheSync', () => {
  it('waits for all informers, and gives up when the signal aborts', async () => {
    const a = setup();
    const b = setup();
    b.failLists(new Error('down'));
    a.informer.start();
    b.informer.start();
    let all: boolean | undefined;
    void waitForCacheSync([a.informer, b.informer]).then((v) => (all = v));
    await flushAsync();
    expect(all).toBeUndefined();
    await b.clock.advance(1000);
    expect(all).toBe(true);
    const c = setup();
    c.failLists(new Error('down'));
    c.informer.start();
    const ac = new AbortController();
    const pending = waitForCacheSync([a.informer, c.informer], ac.signal);
    ac.abort();
    expect(await pending).toBe(false);
    await Promise.all([a.informer.stop(), b.informer.stop(), c.informer.stop()]);
  });
});
