import type { Clock } from '../../runtime/clock.js';
import { Signal } from '../../runtime/signal.js';

/**
 * What to do next beside the batches in flight: nothing yet (undefined), wait for one to land,
 * `drain` (the changes would meet what is in flight: wait until every batch has landed, then ask
 * again), stop starting batches (the rest is the next sync's), or start this batch at once.
 */
export type NextBatch<B> = undefined | 'wait' | 'drain' | 'stop' | B;

export interface OverlapSteps<B, W, O> {
  write(batch: B): Promise<W>;
  land(batch: B, written: W): O;
  /** Asked at every change seen and every landing, and at once after a drain. */
  next(inFlight: readonly B[]): NextBatch<B>;
}

/**
 * One sync of a device whose later batches start while the earlier ones still write (ADR 0009): a
 * change seen meanwhile reaches the device after its own two round trips, not after the rest of
 * the sync's too. New batches start within `windowMs` of the first; the sync ends when every batch
 * has landed, and rethrows the first failure then.
 */
export class OverlappedSync<B extends { started: number }, W, O> {
  private readonly flight = new Map<B, Promise<void>>();
  private readonly signal = new Signal();
  private readonly outcomes: O[] = [];
  private failure: { error: unknown } | undefined;
  private lastLanding: Promise<void> = Promise.resolve();

  constructor(
    private readonly first: B,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  /** The batches written now (a landing batch is among them until it has landed). */
  inFlight(): B[] {
    return [...this.flight.keys()];
  }

  /** Runs the sync; `changes` is told how to wake it when a change is seen. */
  async run(changes: { onChange?: (() => void) | undefined }, steps: OverlapSteps<B, W, O>): Promise<O[]> {
    const previous = changes.onChange;
    changes.onChange = () => this.signal.notify();
    try {
      this.launch(this.first, steps);
      await this.startBatches(steps);
    } finally {
      changes.onChange = previous;
    }
    if (this.failure) throw this.failure.error;
    return this.outcomes;
  }

  private async startBatches(steps: OverlapSteps<B, W, O>): Promise<void> {
    let stopped = false;
    while (this.flight.size > 0) {
      await this.signal.wait();
      let next = stopped ? undefined : this.ask(steps);
      if (next === 'drain') {
        // Planned once nothing is in flight, with every change seen until then: a batch planned
        // now and written later would write a picture older than what the cache holds by then.
        await Promise.all(this.flight.values());
        next = this.ask(steps);
      }
      if (next === 'stop') stopped = true;
      if (next === undefined || typeof next === 'string') continue;
      this.launch(next, steps);
    }
  }

  /** The next step, unless the sync has failed or its window has passed. */
  private ask(steps: OverlapSteps<B, W, O>): NextBatch<B> | 'failed' {
    if (this.failure || this.clock.now() - this.first.started >= this.windowMs) return undefined;
    return this.attempt(() => steps.next(this.inFlight()));
  }

  /**
   * Runs a planning step; a throw is the sync's failure, never left behind while batches are still
   * in flight (they land first, then `run` rethrows it).
   */
  private attempt<R>(step: () => R): R | 'failed' {
    try {
      return step();
    } catch (error) {
      this.failure ??= { error };
      return 'failed';
    }
  }

  private launch(batch: B, steps: OverlapSteps<B, W, O>): void {
    // Batches land in the order they were planned, whenever their writes finish: a mapping's
    // bookkeeping (its generation applied, its release) never goes back to an older batch's.
    const previous = this.lastLanding;
    const landed = steps
      .write(batch)
      .then(async (written) => {
        await previous;
        return steps.land(batch, written);
      })
      .then(
        (outcome) => {
          this.outcomes.push(outcome);
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => {
        this.flight.delete(batch);
        this.signal.notify();
      });
    this.flight.set(batch, landed);
    this.lastLanding = landed;
  }
}
