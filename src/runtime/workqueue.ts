import { realClock, type Clock, type TimerHandle } from './clock.js';
import { noopWorkQueueMetrics, type WorkQueueMetrics } from './metrics.js';
import { MinHeap } from './min-heap.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

export interface WorkQueueOptions<K> {
  /** Used as the `name` label of the workqueue metrics. */
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  metrics?: WorkQueueMetrics;
}

interface Delayed<K> {
  key: K;
  at: number;
  seq: number;
}

/**
 * client-go's rate-limited delaying work queue.
 *
 * - `queue` holds keys waiting in FIFO order, `dirty` every key that needs work (queued, or
 *   re-added while a worker holds it), `processing` the keys workers hold.
 * - Adding a dirty key is a no-op, so bursts of events for one object collapse into one reconcile.
 * - Adding a key that is being processed only marks it dirty; `done()` puts it back, so a key is
 *   never worked on by two workers at once and the change that arrived meanwhile is not lost.
 * - Delayed adds sit in one min-heap served by a single timer; a key waits at most once, at the
 *   earliest time asked for.
 *
 * Unlike client-go, `get()` stops handing out keys as soon as the queue shuts down (keys still
 * queued are dropped): a stopping controller must stop taking work, and every key is recomputed
 * level-triggered by whoever runs next.
 */
export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<K>;
  private readonly metrics: WorkQueueMetrics;

  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Map<K, number>();
  private readonly addedAt = new Map<K, number>();
  private readonly getters: Array<(key: K | undefined) => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private shuttingDown = false;

  private readonly waitingUntil = new Map<K, number>();
  private readonly delayed = new MinHeap<Delayed<K>>((a, b) => a.at - b.at || a.seq - b.seq);
  private seq = 0;
  private timer: { handle: TimerHandle; at: number } | undefined;
  private readonly untrack: () => void;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? 'workqueue';
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>({ clock: this.clock });
    this.metrics = opts.metrics ?? noopWorkQueueMetrics;
    this.untrack = this.metrics.trackInFlight(() => this.inFlight());
  }

  /** Marks `key` as needing work. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.add();
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (!this.processing.has(key)) {
      this.queue.push(key);
      this.dispatch();
    }
    this.metrics.setDepth(this.dirty.size);
  }

  /** Adds `key` after `delayMs`; if it is already waiting, the earlier of the two times wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + delayMs;
    const current = this.waitingUntil.get(key);
    if (current !== undefined && current <= at) return;
    this.waitingUntil.set(key, at);
    this.delayed.push({ key, at, seq: this.seq++ });
    this.armTimer();
  }

  /** Adds `key` once the rate limiter allows it (per-key backoff, overall bucket). */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retry();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Ends the backoff history of `key` (it succeeded). It does not remove a pending add. */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * Waits for the next key and hands it to the caller, who must call `done(key)` after working on
   * it. Resolves `undefined` once the queue shuts down.
   */
  get(): Promise<K | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.len() > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Releases `key`; if it was added again while being processed, it goes back in the queue. */
  done(key: K): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.metrics.observeWorkDuration((this.clock.now() - started) / 1000);
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.queue.push(key);
      this.dispatch();
    }
    if (this.processing.size === 0) this.drainWaiters.splice(0).forEach((w) => w());
  }

  /** Number of keys waiting to be handed out (not counting delayed or processing ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Number of keys workers currently hold. */
  processingCount(): number {
    return this.processing.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting and handing out keys; pending `get()` calls resolve `undefined`. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.delayed.clear();
    this.waitingUntil.clear();
    this.queue = [];
    this.head = 0;
    for (const key of [...this.dirty]) if (!this.processing.has(key)) this.dirty.delete(key);
    this.metrics.setDepth(0);
    this.untrack();
    this.getters.splice(0).forEach((g) => g(undefined));
  }

  /**
   * Shuts down, then waits until every key handed out has been `done()` or `deadlineMs` passed.
   * Resolves true if it drained in time.
   */
  shutDownWithDrain(deadlineMs: number): Promise<boolean> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(() => {
        const i = this.drainWaiters.indexOf(onDrained);
        if (i >= 0) this.drainWaiters.splice(i, 1);
        resolve(false);
      }, deadlineMs);
      const onDrained = (): void => {
        this.clock.clearTimeout(handle);
        resolve(true);
      };
      this.drainWaiters.push(onDrained);
    });
  }

  private take(): K {
    const key = this.queue[this.head] as K;
    this.head++;
    // Compact occasionally so the array does not grow without bound while staying O(1) per get.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const now = this.clock.now();
    this.processing.set(key, now);
    this.dirty.delete(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.metrics.observeQueueLatency((now - added) / 1000);
    this.metrics.setDepth(this.dirty.size);
    return key;
  }

  private dispatch(): void {
    while (this.getters.length > 0 && this.len() > 0) {
      const getter = this.getters.shift();
      getter?.(this.take());
    }
  }

  private armTimer(): void {
    // Lazily drop heap entries superseded by an earlier addAfter of the same key.
    let top = this.delayed.peek();
    while (top && this.waitingUntil.get(top.key) !== top.at) {
      this.delayed.pop();
      top = this.delayed.peek();
    }
    if (this.timer && (!top || this.timer.at !== top.at)) {
      this.clock.clearTimeout(this.timer.handle);
      this.timer = undefined;
    }
    if (top && !this.timer) {
      const at = top.at;
      this.timer = { at, handle: this.clock.setTimeout(() => this.onTimer(), at - this.clock.now()) };
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.clock.now();
    for (let top = this.delayed.peek(); top && top.at <= now; top = this.delayed.peek()) {
      this.delayed.pop();
      if (this.waitingUntil.get(top.key) !== top.at) continue;
      this.waitingUntil.delete(top.key);
      this.add(top.key);
    }
    if (!this.shuttingDown) this.armTimer();
  }

  private inFlight(): { unfinishedSeconds: number; longestSeconds: number } {
    const now = this.clock.now();
    let unfinished = 0;
    let longest = 0;
    for (const started of this.processing.values()) {
      const s = (now - started) / 1000;
      unfinished += s;
      longest = Math.max(longest, s);
    }
    return { unfinishedSeconds: unfinished, longestSeconds: longest };
  }
}
