import { describe, expect, it } from '@jest/globals';
import { LatestWriter } from '../../../src/runtime/latest-writer.js';

/** A write that finishes only when released, recording when it ran. */
function gate() {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { done, release };
}

describe('LatestWriter', () => {
  it('runs one write per key at a time and lets the newest waiting write replace older ones', async () => {
    const w = new LatestWriter<string>();
    const ran: string[] = [];
    const first = gate();
    const p1 = w.submit('a', async () => {
      ran.push('1');
      await first.done;
    });
    const p2 = w.submit('a', async () => void ran.push('2'));
    const p3 = w.submit('a', async () => void ran.push('3'));
    const other = w.submit('b', async () => void ran.push('b'));
    await other;
    expect(ran).toEqual(['1', 'b']); // b does not wait for a
    first.release();
    await Promise.all([p1, p2, p3]);
    expect(ran).toEqual(['1', 'b', '3']); // 2 was superseded, and its submitter resolved with 3
  });

  it('rejects the submitters of a failed write, and later writes still run', async () => {
    const w = new LatestWriter<string>();
    await expect(w.submit('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    let ran = false;
    await w.submit('a', async () => void (ran = true));
    expect(ran).toBe(true);
  });

  it('flush waits for running and waiting writes', async () => {
    const w = new LatestWriter<string>();
    const g = gate();
    const ran: number[] = [];
    void w.submit('a', async () => {
      await g.done;
      ran.push(1);
    });
    void w.submit('a', async () => void ran.push(2)).catch(() => undefined);
    let flushed = false;
    const f = w.flush().then(() => (flushed = true));
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    g.release();
    await f;
    expect(ran).toEqual([1, 2]);
  });
});
