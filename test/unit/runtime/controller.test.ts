import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { Controller, type ReconcileContext, type ReconcileResult } from '../../../src/runtime/controller.js';
import { TerminalError } from '../../../src/runtime/errors.js';
import { FakeClock, flushAsync } from '../../../src/runtime/fake-clock.js';
import { ExponentialFailureRateLimiter } from '../../../src/runtime/rate-limiter.js';
import { memoryLogger } from './helpers.js';

type Behaviour = (key: string, ctx: ReconcileContext, attempt: number) => Promise<ReconcileResult | void>;

function setup(behaviour: Behaviour, workers = 2) {
  const clock = new FakeClock();
  const registry = new Registry();
  const { logger, entries } = memoryLogger();
  const calls: string[] = [];
  const attempts = new Map<string, number>();
  const controller = new Controller<string>({
    name: 'test',
    workers,
    clock,
    logger,
    registry,
    rateLimiter: new ExponentialFailureRateLimiter({ baseDelayMs: 100, maxDelayMs: 10_000, jitter: 0 }),
    reconciler: {
      reconcile: (key, ctx) => {
        calls.push(key);
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        return behaviour(key, ctx, n);
      },
    },
  });
  return { clock, registry, controller, calls, entries };
}

const metric = async (registry: Registry, line: string) =>
  (await registry.metrics()).split('\n').find((l) => l.startsWith(line + ' ')) ?? `${line} <missing>`;

describe('Controller', () => {
  it('reconciles enqueued keys and forgets them on success', async () => {
    const { controller, calls, registry } = setup(async () => {});
    controller.start();
    controller.enqueue('ns/a');
    controller.enqueue('ns/b');
    await flushAsync();
    expect(calls.sort()).toEqual(['ns/a', 'ns/b']);
    expect(controller.queue.numRequeues('ns/a')).toBe(0);
    expect(
      await metric(registry, 'controller_runtime_reconcile_total{controller="test",result="success"}'),
    ).toMatch(/ 2$/);
    expect(await metric(registry, 'controller_runtime_max_concurrent_reconciles{controller="test"}')).toMatch(
      / 2$/,
    );
    await controller.stop(1000);
  });

  it('tells a reconcile whether other keys wait for a worker (its own key re-added does not count)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: boolean[] = [];
    let ctxOfA: ReconcileContext | undefined;
    const { controller } = setup(async (key, ctx) => {
      if (key !== 'ns/a') return;
      ctxOfA ??= ctx;
      if (seen.length === 0) await held;
    }, 1);
    controller.start();
    controller.enqueue('ns/a');
    await flushAsync();
    controller.enqueue('ns/a'); // its own key, while it runs
    seen.push(ctxOfA?.othersWaiting?.() ?? true);
    controller.enqueue('ns/b');
    seen.push(ctxOfA?.othersWaiting?.() ?? false);
    release();
    await flushAsync();
    expect(seen).toEqual([false, true]);
    await controller.stop(1000);
  });

  it('retries errors with per-key exponential backoff, then forgets on success', async () => {
    const { controller, calls, clock, registry, entries } = setup(async (_k, _c, n) => {
      if (n <= 3) throw new Error(`boom ${n}`);
    });
    controller.start();
    controller.enqueue('k');
    await flushAsync();
    expect(calls).toHaveLength(1);
    await clock.advance(99);
    expect(calls).toHaveLength(1);
    await clock.advance(1); // 100 ms
    expect(calls).toHaveLength(2);
    await clock.advance(199);
    expect(calls).toHaveLength(2);
    await clock.advance(1); // 200 ms
    expect(calls).toHaveLength(3);
    await clock.advance(400); // 400 ms, succeeds
    expect(calls).toHaveLength(4);
    expect(controller.queue.numRequeues('k')).toBe(0);
    expect(await metric(registry, 'controller_runtime_reconcile_errors_total{controller="test"}')).toMatch(
      / 3$/,
    );
    expect(
      await metric(registry, 'controller_runtime_reconcile_total{controller="test",result="error"}'),
    ).toMatch(/ 3$/);
    expect(await metric(registry, 'workqueue_retries_total{name="test"}')).toMatch(/ 3$/);
    const errorLog = entries.find((e) => e.message === 'Reconciler error');
    expect(errorLog).toMatchObject({ controller: 'test', key: 'k', error: 'boom 1' });
    expect(typeof errorLog?.reconcileID).toBe('string');
    await controller.stop(1000);
  });

  it('does not requeue terminal errors (also when wrapped)', async () => {
    const { controller, calls, clock, registry } = setup(async (key) => {
      if (key === 'wrapped') throw new Error('outer', { cause: new TerminalError('bad spec') });
      throw new TerminalError('bad spec');
    });
    controller.start();
    controller.enqueue('k');
    controller.enqueue('wrapped');
    await flushAsync();
    await clock.advance(60_000);
    expect(calls.sort()).toEqual(['k', 'wrapped']);
    expect(
      await metric(registry, 'controller_runtime_terminal_reconcile_errors_total{controller="test"}'),
    ).toMatch(/ 2$/);
    await controller.stop(1000);
  });

  it('requeueAfter forgets the backoff and re-runs after the delay', async () => {
    const { controller, calls, clock, registry } = setup(async (_k, _c, n) => {
      if (n === 1) throw new Error('first fails');
      return n === 2 ? { requeueAfterMs: 5000 } : undefined;
    });
    controller.start();
    controller.enqueue('k');
    await flushAsync();
    await clock.advance(100);
    expect(calls).toHaveLength(2);
    expect(controller.queue.numRequeues('k')).toBe(0);
    await clock.advance(4999);
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    expect(calls).toHaveLength(3);
    expect(
      await metric(registry, 'controller_runtime_reconcile_total{controller="test",result="requeue_after"}'),
    ).toMatch(/ 1$/);
    await controller.stop(1000);
  });

  it('a synchronous throw is treated like a rejected promise', async () => {
    const { controller, calls, clock } = setup((_k, _c, n) => {
      if (n === 1) throw new Error('sync');
      return Promise.resolve();
    });
    controller.start();
    controller.enqueue('k');
    await flushAsync();
    await clock.advance(100);
    expect(calls).toHaveLength(2);
    await controller.stop(1000);
  });

  it('runs at most `workers` reconciles at once and never one key twice concurrently', async () => {
    let running = 0;
    let peak = 0;
    const runningKeys = new Set<string>();
    let overlap = false;
    const release: Array<() => void> = [];
    const { controller } = setup(async (key) => {
      if (runningKeys.has(key)) overlap = true;
      runningKeys.add(key);
      peak = Math.max(peak, ++running);
      await new Promise<void>((r) => release.push(r));
      running--;
      runningKeys.delete(key);
    }, 3);
    controller.start();
    for (const k of ['a', 'b', 'c', 'd', 'e']) controller.enqueue(k);
    await flushAsync();
    controller.enqueue('a');
    await flushAsync();
    expect(peak).toBe(3);
    while (release.length > 0) {
      release.splice(0).forEach((r) => r());
      await flushAsync();
    }
    expect(overlap).toBe(false);
    await controller.stop(1000);
  });

  it('stop waits for in-flight reconciles and takes no new work', async () => {
    let finish: () => void = () => {};
    const { controller, calls } = setup(async () => {
      await new Promise<void>((r) => (finish = r));
    }, 1);
    controller.start();
    controller.enqueue('a');
    controller.enqueue('b');
    await flushAsync();
    let stopped: boolean | undefined;
    void controller.stop(10_000).then((s) => (stopped = s));
    await flushAsync();
    expect(stopped).toBeUndefined();
    finish();
    await flushAsync();
    expect(stopped).toBe(true);
    expect(calls).toEqual(['a']);
  });

  it('stop aborts the reconcile signal after the deadline', async () => {
    let aborted = false;
    const { controller, clock } = setup(
      (_k, ctx) =>
        new Promise<void>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            reject(ctx.signal.reason);
          });
        }),
      1,
    );
    controller.start();
    controller.enqueue('a');
    await flushAsync();
    let stopped: boolean | undefined;
    void controller.stop(5000).then((s) => (stopped = s));
    await clock.advance(4999);
    expect(aborted).toBe(false);
    await clock.advance(1);
    expect(stopped).toBe(false);
    expect(aborted).toBe(true);
  });
});
