import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FakeClock, flushAsync } from '../../../src/runtime/fake-clock.js';
import { runtimeMetrics } from '../../../src/runtime/metrics.js';
import { ExponentialFailureRateLimiter } from '../../../src/runtime/rate-limiter.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

function newQueue(clock = new FakeClock()) {
  const rateLimiter = new ExponentialFailureRateLimiter<string>({
    baseDelayMs: 10,
    maxDelayMs: 1000,
    jitter: 0,
  });
  return { clock, q: new WorkQueue<string>({ clock, rateLimiter }) };
}

describe('WorkQueue', () => {
  it('hands keys out in FIFO order', async () => {
    const { q } = newQueue();
    q.add('a');
    q.add('b');
    q.add('c');
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(await q.get()).toBe('c');
  });

  it('collapses N adds of a queued key into one', async () => {
    const { q } = newQueue();
    for (let i = 0; i < 5; i++) q.add('a');
    q.add('b');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('never hands out a key that is being processed; an add while processing re-queues it once after done', async () => {
    const { q } = newQueue();
    q.add('a');
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await flushAsync();
    expect(second).toBeUndefined();
    q.done('a');
    await flushAsync();
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(0);
  });

  it('a waiting getter receives a key added later', async () => {
    const { q } = newQueue();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
  });

  it('two workers never hold the same key', async () => {
    const { q } = newQueue();
    const held = new Set<string>();
    let violations = 0;
    let processed = 0;
    const worker = async () => {
      for (;;) {
        const k = await q.get();
        if (k === undefined) return;
        if (held.has(k)) violations++;
        held.add(k);
        await flushAsync(1);
        q.add(k === 'a' && processed < 10 ? 'a' : 'b');
        processed++;
        held.delete(k);
        q.done(k);
      }
    };
    q.add('a');
    q.add('b');
    const workers = [worker(), worker(), worker()];
    await flushAsync(60);
    q.shutDown();
    await Promise.all(workers);
    expect(violations).toBe(0);
    expect(processed).toBeGreaterThan(10);
  });

  it('addAfter delays a key and orders by ready time', async () => {
    const { q, clock } = newQueue();
    q.addAfter('late', 300);
    q.addAfter('early', 100);
    q.addAfter('mid', 200);
    expect(q.len()).toBe(0);
    await clock.advance(99);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    await clock.advance(200);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['early', 'mid', 'late']);
  });

  it('addAfter de-duplicates to the earliest time with a single timer', async () => {
    const { q, clock } = newQueue();
    q.addAfter('a', 500);
    q.addAfter('a', 100);
    q.addAfter('a', 800);
    q.addAfter('b', 1000);
    expect(clock.pending()).toBe(1);
    await clock.advance(100);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    await clock.advance(899);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    // 'a' fired only once (the 500 and 800 requests were superseded), 'b' at 1000.
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('b');
  });

  it('addAfter with a non-positive delay adds at once', () => {
    const { q } = newQueue();
    q.addAfter('a', 0);
    q.addAfter('b', -5);
    expect(q.len()).toBe(2);
  });

  it('addRateLimited backs off exponentially per key until forget', async () => {
    const { q, clock } = newQueue();
    q.addRateLimited('a'); // 10 ms
    expect(q.numRequeues('a')).toBe(1);
    await clock.advance(9);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    q.addRateLimited('a'); // 20 ms
    await clock.advance(19);
    expect(q.len()).toBe(0);
    await clock.advance(1);
    expect(q.len()).toBe(1);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });

  it('shutDown resolves waiting getters with undefined and ignores later adds', async () => {
    const { q, clock } = newQueue();
    const p = q.get();
    q.addAfter('later', 100);
    q.shutDown();
    expect(await p).toBeUndefined();
    q.add('a');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
    expect(clock.pending()).toBe(0);
  });

  it('shutDownWithDrain waits for in-flight keys', async () => {
    const { q } = newQueue();
    q.add('a');
    const k = await q.get();
    let drained: boolean | undefined;
    void q.shutDownWithDrain(1000).then((d) => (drained = d));
    await flushAsync();
    expect(drained).toBeUndefined();
    q.done(k as string);
    await flushAsync();
    expect(drained).toBe(true);
  });

  it('shutDownWithDrain gives up at the deadline', async () => {
    const { q, clock } = newQueue();
    q.add('a');
    await q.get();
    let drained: boolean | undefined;
    void q.shutDownWithDrain(1000).then((d) => (drained = d));
    await clock.advance(999);
    expect(drained).toBeUndefined();
    await clock.advance(1);
    expect(drained).toBe(false);
  });

  it('reports client-go metrics', async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const metrics = runtimeMetrics(registry);
    const q = new WorkQueue<string>({ name: 'pods', clock, metrics: metrics.workQueue('pods') });
    q.add('a');
    q.add('a');
    q.add('b');
    await clock.advance(2000);
    const k = await q.get();
    await clock.advance(3000);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_adds_total{name="pods"} 2');
    expect(text).toContain('workqueue_depth{name="pods"} 1');
    expect(text).toContain('workqueue_unfinished_work_seconds{name="pods"} 3');
    expect(text).toContain('workqueue_longest_running_processor_seconds{name="pods"} 3');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="pods"} 2');
    q.done(k as string);
    q.addRateLimited('c');
    const after = await registry.metrics();
    expect(after).toContain('workqueue_work_duration_seconds_sum{name="pods"} 3');
    expect(after).toContain('workqueue_retries_total{name="pods"} 1');
    expect(after).toContain('workqueue_unfinished_work_seconds{name="pods"} 0');
    q.shutDown();
  });
});
