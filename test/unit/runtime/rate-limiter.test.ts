import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import {
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from '../../../src/runtime/rate-limiter.js';

describe('ExponentialFailureRateLimiter', () => {
  it('doubles from the base per failure and caps at the maximum', () => {
    const rl = new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1_000_000, jitter: 0 });
    const delays = Array.from({ length: 5 }, () => rl.when('k'));
    expect(delays).toEqual([5, 10, 20, 40, 80]);
    for (let i = 0; i < 100; i++) rl.when('k');
    expect(rl.when('k')).toBe(1_000_000);
    expect(rl.numRequeues('k')).toBe(106);
  });

  it('tracks keys independently and forget resets one', () => {
    const rl = new ExponentialFailureRateLimiter({ baseDelayMs: 1, jitter: 0 });
    rl.when('a');
    rl.when('a');
    expect(rl.when('b')).toBe(1);
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
    expect(rl.when('a')).toBe(1);
  });

  it('adds up to `jitter` of extra delay, never beyond the cap', () => {
    const high = new ExponentialFailureRateLimiter({
      baseDelayMs: 100,
      maxDelayMs: 150,
      jitter: 0.5,
      random: () => 0.999,
    });
    expect(high.when('k')).toBeCloseTo(149.95);
    expect(high.when('k')).toBe(150);
    const low = new ExponentialFailureRateLimiter({ baseDelayMs: 100, jitter: 0.5, random: () => 0 });
    expect(low.when('k')).toBe(100);
  });

  it('survives enormous failure counts', () => {
    const rl = new ExponentialFailureRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000, jitter: 0 });
    for (let i = 0; i < 5000; i++) rl.when('k');
    expect(rl.when('k')).toBe(1000);
  });
});

describe('TokenBucketRateLimiter', () => {
  it('allows a burst, then spaces requests at 1/qps, and refills over time', async () => {
    const clock = new FakeClock();
    const rl = new TokenBucketRateLimiter({ qps: 10, burst: 3, clock });
    expect([rl.when('a'), rl.when('b'), rl.when('c')]).toEqual([0, 0, 0]);
    expect(rl.when('d')).toBeCloseTo(100);
    expect(rl.when('e')).toBeCloseTo(200);
    await clock.advance(1000);
    // 10 tokens accrued, 2 owed, bucket capped at 3 → 3 available again... minus debt: min(3, -2+10)=3.
    expect(rl.when('f')).toBe(0);
  });
});

describe('MaxOfRateLimiter / default', () => {
  it('returns the slowest answer and forgets in all limiters', () => {
    const clock = new FakeClock();
    const rl = new MaxOfRateLimiter(
      new ExponentialFailureRateLimiter({ baseDelayMs: 5, jitter: 0 }),
      new TokenBucketRateLimiter({ qps: 1, burst: 1, clock }),
    );
    expect(rl.when('a')).toBe(5);
    expect(rl.when('a')).toBeCloseTo(1000);
    expect(rl.numRequeues('a')).toBe(2);
    rl.forget('a');
    expect(rl.numRequeues('a')).toBe(0);
  });

  it('defaults to 5ms base and a 10 qps / 100 burst bucket', () => {
    const clock = new FakeClock();
    const rl = defaultControllerRateLimiter({ clock, jitter: 0 });
    expect(rl.when('a')).toBe(5);
    for (let i = 0; i < 99; i++) rl.when(`k${i}`);
    // 101st call overall: bucket empty, waits 100ms for a token; its own backoff is only 5ms.
    expect(rl.when('z')).toBeCloseTo(100);
  });
});
