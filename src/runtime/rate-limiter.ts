import { realClock, type Clock } from './clock.js';

/** Decides how long a key waits before it is retried (client-go's workqueue.RateLimiter). */
export interface RateLimiter<K = string> {
  /** Delay in ms before `key` may be processed again; records one more failure for it. */
  when(key: K): number;
  /** Clears the failure history of `key` (call after it was processed successfully). */
  forget(key: K): void;
  /** How many times `key` has been rate-limited since it was last forgotten. */
  numRequeues(key: K): number;
}

export interface ExponentialBackoffOptions {
  /** Delay after the first failure (default 5 ms, as client-go). */
  baseDelayMs?: number;
  /** Upper bound for the delay (default 1000 s, as client-go). */
  maxDelayMs?: number;
  /**
   * Extra random fraction added on top of the exponential delay, 0..jitter (default 0.1). Spreads
   * retries of many keys that failed together (e.g. a device went down) instead of a thundering herd.
   */
  jitter?: number;
  random?: () => number;
}

/** Per-key exponential backoff: base * 2^failures (+ jitter), capped at max. */
export class ExponentialFailureRateLimiter<K = string> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();
  private readonly base: number;
  private readonly max: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(opts: ExponentialBackoffOptions = {}) {
    this.base = opts.baseDelayMs ?? 5;
    this.max = opts.maxDelayMs ?? 1_000_000;
    this.jitter = opts.jitter ?? 0.1;
    this.random = opts.random ?? Math.random;
  }

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for huge n; the cap makes that harmless.
    const exp = this.base * Math.pow(2, n);
    const withJitter = exp * (1 + this.jitter * this.random());
    return Math.min(this.max, withJitter);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface TokenBucketOptions {
  /** Sustained rate (default 10 per second). */
  qps?: number;
  /** Bucket size (default 100). */
  burst?: number;
  clock?: Clock;
}

/**
 * Overall token bucket shared by all keys, like golang.org/x/time/rate's Reserve(): each call
 * takes a token, and when the bucket is empty the caller is told how long until its token exists.
 * Tokens may go negative so that concurrent reservations queue up behind each other.
 */
export class TokenBucketRateLimiter<K = string> implements RateLimiter<K> {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Clock;
  private tokens: number;
  private last: number;

  constructor(opts: TokenBucketOptions = {}) {
    this.qps = opts.qps ?? 10;
    this.burst = opts.burst ?? 100;
    this.clock = opts.clock ?? realClock;
    this.tokens = this.burst;
    this.last = this.clock.now();
  }

  when(_key: K): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: K): void {}

  numRequeues(_key: K): number {
    return 0;
  }

  /** Takes a token only if one is available now (for callers that drop rather than wait). */
  tryAcquire(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The slowest answer of several limiters wins. */
export class MaxOfRateLimiter<K = string> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];

  constructor(...limiters: RateLimiter<K>[]) {
    this.limiters = limiters;
  }

  when(key: K): number {
    // Every limiter must see the call (the bucket must spend its token) even if another is slower.
    return this.limiters.reduce((max, l) => Math.max(max, l.when(key)), 0);
  }

  forget(key: K): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiters.reduce((max, l) => Math.max(max, l.numRequeues(key)), 0);
  }
}

export interface DefaultRateLimiterOptions extends ExponentialBackoffOptions, TokenBucketOptions {}

/** client-go's DefaultControllerRateLimiter: max(per-key 5ms..1000s backoff, 10 qps / 100 burst). */
export function defaultControllerRateLimiter<K = string>(
  opts: DefaultRateLimiterOptions = {},
): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(
    new ExponentialFailureRateLimiter<K>(opts),
    new TokenBucketRateLimiter<K>(opts),
  );
}
