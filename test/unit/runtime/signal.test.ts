import { describe, expect, it } from '@jest/globals';
import { Signal } from '../../../src/runtime/signal.js';

describe('Signal', () => {
  it('wakes a waiter at the next notify', async () => {
    const s = new Signal();
    let woke = false;
    const waiting = s.wait().then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    s.notify();
    await waiting;
    expect(woke).toBe(true);
  });

  it('keeps a notify that came before the wait, once: notifications in between collapse', async () => {
    const s = new Signal();
    s.notify();
    s.notify();
    await s.wait(); // at once
    let woke = false;
    void s.wait().then(() => (woke = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(woke).toBe(false);
  });
});
