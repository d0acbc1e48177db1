import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manually driven clock for deterministic tests of anything that takes a Clock. Lives in src/
 * (not test/) so that other packages' tests can drive the runtime with it too.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Number of timers not yet fired. */
  pending(): number {
    return this.timers.length;
  }

  /** Time of the earliest pending timer, if any. */
  nextTimerAt(): number | undefined {
    return this.timers.reduce<number | undefined>(
      (m, t) => (m === undefined || t.at < m ? t.at : m),
      undefined,
    );
  }

  /** Moves time forward without firing timers, as if the event loop had been blocked. */
  jump(ms: number): void {
    this.current += ms;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order and letting promise chains they
   * start settle between timers, so async code observes the same order it would in real time.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushAsync();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
      await flushAsync();
    }
    this.current = target;
    await flushAsync();
  }
}

/**
 * Lets every already-queued promise continuation run. Several macrotask turns are used because
 * chains that hop through a resolved await can need more than one turn to fully settle.
 */
export async function flushAsync(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
