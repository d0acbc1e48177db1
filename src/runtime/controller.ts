import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import winston, { type Logger } from 'winston';
import { realClock, type Clock } from './clock.js';
import { errorMessage, isTerminalError } from './errors.js';
import { noopControllerMetrics, runtimeMetrics, type ControllerMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue } from './workqueue.js';

export interface ReconcileContext {
  /** Aborted when the controller stops and the stop deadline has passed. */
  signal: AbortSignal;
  /** Child of the controller's logger with `controller`, `key` and `reconcileID`. */
  logger: Logger;
  /**
   * Other keys are waiting for a worker: a reconcile that could go on taking work (ADR 0009)
   * should finish what it started and hand its worker back.
   */
  othersWaiting?: () => boolean;
}

/** What a reconcile asks for besides "done" (controller-runtime's Result). */
export interface ReconcileResult {
  /** Run again after this delay (periodic drift check); the backoff history is forgotten. */
  requeueAfterMs?: number;
  /** Run again soon, rate-limited, without counting as an error. */
  requeue?: boolean;
}

/**
 * The reconcile contract: given only a key, read current state from caches, converge, and say
 * whether to run again. Throw to be retried with per-key backoff; throw a TerminalError for
 * failures retrying cannot fix.
 */
export interface Reconciler<K = string> {
  reconcile(key: K, ctx: ReconcileContext): Promise<ReconcileResult | void>;
}

export interface ControllerOptions<K = string> {
  name: string;
  reconciler: Reconciler<K>;
  /** Number of concurrent reconciles (default 2). */
  workers?: number;
  logger?: Logger;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  /** Registry that receives the workqueue and controller metrics. */
  registry?: Registry;
  /** Supply a queue to share it with something else; by default the controller makes its own. */
  queue?: WorkQueue<K>;
}

const silentLogger = (): Logger =>
  winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });

/** Runs a Reconciler over a WorkQueue with a fixed pool of workers. */
export class Controller<K = string> {
  readonly name: string;
  readonly queue: WorkQueue<K>;
  private readonly reconciler: Reconciler<K>;
  private readonly workers: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics;
  private readonly inFlight = new Set<AbortController>();
  private workerLoops: Promise<void>[] = [];
  private active = 0;
  private started = false;

  constructor(opts: ControllerOptions<K>) {
    this.name = opts.name;
    this.reconciler = opts.reconciler;
    this.workers = Math.max(1, opts.workers ?? 2);
    this.logger = opts.logger ?? silentLogger();
    this.clock = opts.clock ?? realClock;
    const metrics = opts.registry ? runtimeMetrics(opts.registry) : undefined;
    this.metrics = metrics?.controller(opts.name) ?? noopControllerMetrics;
    this.queue =
      opts.queue ??
      new WorkQueue<K>({
        name: opts.name,
        clock: this.clock,
        ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
        ...(metrics ? { metrics: metrics.workQueue(opts.name) } : {}),
      });
  }

  /** Asks for `key` to be reconciled (coalesced with other pending requests for it). */
  enqueue(key: K): void {
    this.queue.add(key);
  }

  /** Starts the workers. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.metrics.setMaxConcurrentReconciles(this.workers);
    this.metrics.setActiveWorkers(0);
    this.logger.info('Starting workers', { controller: this.name, workerCount: this.workers });
    for (let i = 0; i < this.workers; i++) this.workerLoops.push(this.runWorker());
  }

  /**
   * Stops taking work and waits up to `deadlineMs` for in-flight reconciles; after the deadline
   * their signals are aborted and stop returns without waiting further. Resolves true if
   * everything finished in time.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    const drained = await this.queue.shutDownWithDrain(deadlineMs);
    if (drained) {
      await Promise.all(this.workerLoops);
    } else {
      this.logger.warn('Stop deadline passed with reconciles in flight; aborting them', {
        controller: this.name,
        inFlight: this.inFlight.size,
      });
      for (const ac of this.inFlight) ac.abort(new Error(`controller ${this.name} stopped`));
    }
    return drained;
  }

  private async runWorker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processOne(key);
    }
  }

  private async processOne(key: K): Promise<void> {
    const ac = new AbortController();
    this.inFlight.add(ac);
    this.metrics.setActiveWorkers(++this.active);
    const logger = this.logger.child({ controller: this.name, key: String(key), reconcileID: randomUUID() });
    const started = this.clock.now();
    try {
      // Promise.resolve().then() also turns a synchronous throw into a rejection.
      const res = await Promise.resolve().then(() =>
        this.reconciler.reconcile(key, {
          signal: ac.signal,
          logger,
          othersWaiting: () => this.queue.len() > 0,
        }),
      );
      if (res && res.requeueAfterMs !== undefined && res.requeueAfterMs > 0) {
        this.queue.forget(key);
        this.queue.addAfter(key, res.requeueAfterMs);
        this.metrics.reconcileTotal('requeue_after');
      } else if (res && res.requeue) {
        this.queue.addRateLimited(key);
        this.metrics.reconcileTotal('requeue');
      } else {
        this.queue.forget(key);
        this.metrics.reconcileTotal('success');
      }
    } catch (err) {
      this.metrics.reconcileTotal('error');
      this.metrics.reconcileError();
      if (isTerminalError(err)) {
        this.metrics.terminalReconcileError();
        this.queue.forget(key);
        logger.error('Reconciler error (terminal, not requeued)', { error: errorMessage(err) });
      } else {
        this.queue.addRateLimited(key);
        logger.error('Reconciler error', {
          error: errorMessage(err),
          requeues: this.queue.numRequeues(key),
          ...(err instanceof Error && err.stack ? { stack: err.stack } : {}),
        });
      }
    } finally {
      this.metrics.observeReconcileTime((this.clock.now() - started) / 1000);
      this.inFlight.delete(ac);
      this.metrics.setActiveWorkers(--this.active);
      this.queue.done(key);
    }
  }
}
