import { describe, expect, it } from '@jest/globals';
import { OverlappedSync, type NextBatch } from '../../../src/controllers/device/overlapped-sync.js';
import { FakeClock } from '../../../src/runtime/fake-clock.js';

/** A batch whose write finishes when the test says so. */
interface Batch {
  name: string;
  started: number;
  finish: () => void;
  written: Promise<void>;
}

function batch(name: string, started = 0): Batch {
  let finish!: () => void;
  const written = new Promise<void>((resolve) => (finish = resolve));
  return { name, started, finish, written };
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A sync over these batches: `next` hands out `queue` one by one (a batch starts at once). */
function sync(first: Batch, queue: (Batch | 'drain')[], opts: { windowMs?: number; clock?: FakeClock } = {}) {
  const clock = opts.clock ?? new FakeClock(0);
  const landed: string[] = [];
  /** What was in flight each time `next` was asked. */
  const asked: string[] = [];
  const changes: { onChange?: (() => void) | undefined } = {};
  const overlapped = new OverlappedSync<Batch, string, string>(first, clock, opts.windowMs ?? 5000);
  let nextError: Error | undefined;
  const running = overlapped.run(changes, {
    write: async (b) => {
      await b.written;
      return b.name;
    },
    land: (b, w) => {
      landed.push(w);
      return b.name;
    },
    next: (inFlight): NextBatch<Batch> => {
      if (nextError) throw nextError;
      asked.push(inFlight.map((b) => b.name).join() || 'none in flight');
      return queue.shift();
    },
  });
  return {
    running,
    landed,
    asked,
    change: () => changes.onChange?.(),
    failNext: (e: Error) => (nextError = e),
    overlapped,
  };
}

describe('OverlappedSync', () => {
  it('lands batches in the order they were planned, whatever order their writes finish in', async () => {
    const [a, b] = [batch('a'), batch('b')];
    const s = sync(a, [b]);
    s.change();
    await turns();
    expect(s.overlapped.inFlight().map((x) => x.name)).toEqual(['a', 'b']);
    b.finish();
    await turns();
    expect(s.landed).toEqual([]); // b waits for a
    a.finish();
    expect(await s.running).toEqual(['a', 'b']);
    expect(s.landed).toEqual(['a', 'b']);
  });

  it('drains: asks again, at once, only when every batch in flight has landed', async () => {
    const [a, b, c] = [batch('a'), batch('b'), batch('c')];
    const s = sync(a, [b, 'drain', c]);
    s.change();
    await turns();
    s.change(); // b is in flight beside a: this one must wait for both
    await turns();
    expect(s.asked).toEqual(['a', 'a,b']);
    s.change();
    a.finish();
    await turns();
    expect(s.asked).toEqual(['a', 'a,b']); // b is still writing
    b.finish();
    await turns();
    // Then c starts (the landings' wake-ups may ask once more, with c in flight).
    expect(s.asked.slice(0, 3)).toEqual(['a', 'a,b', 'none in flight']);
    expect(s.overlapped.inFlight().map((x) => x.name)).toEqual(['c']);
    c.finish();
    expect(await s.running).toEqual(['a', 'b', 'c']);
  });

  it('starts no batch once the window has passed', async () => {
    const clock = new FakeClock(0);
    const [a, b] = [batch('a'), batch('b')];
    const s = sync(a, [b], { clock, windowMs: 1000 });
    await clock.advance(1000);
    s.change();
    await turns();
    expect(s.overlapped.inFlight().map((x) => x.name)).toEqual(['a']);
    a.finish();
    expect(await s.running).toEqual(['a']);
  });

  it('a planning step that throws ends the sync only after the batches in flight have landed', async () => {
    const a = batch('a');
    const s = sync(a, []);
    s.failNext(new Error('planning broke'));
    s.change();
    await turns();
    let settled = false;
    const outcome = s.running.then(
      () => (settled = true),
      (e: Error) => {
        settled = true;
        return e.message;
      },
    );
    await turns();
    expect(settled).toBe(false); // a is still writing
    a.finish();
    expect(await outcome).toBe('planning broke');
    expect(s.landed).toEqual(['a']);
  });
});
