import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import winston, { type Logger } from 'winston';
import { realClock, sleep, type Clock } from './clock.js';
import { errorMessage } from './errors.js';
import { noopLeaderMetrics, type LeaderMetrics } from './metrics.js';
import type { LeaderElectionRecord, LeaseStore, VersionedRecord } from './lease-store.js';

export interface LeaderCallbacks {
  /** Called once leadership is acquired; `signal` aborts when it is lost or the elector stops. */
  onStartedLeading(signal: AbortSignal): void;
  /** Called when leadership ends (lost, or released on shutdown). The caller should exit. */
  onStoppedLeading(): void;
  /** Called whenever a different holder is observed (including ourselves). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  callbacks: LeaderCallbacks;
  identity?: string;
  /** How long a lease is valid without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renewal before giving up (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s). */
  retryPeriodMs?: number;
  /** Extra random fraction on the retry period while waiting to acquire (default 1.2, as client-go). */
  jitterFactor?: number;
  /** Give the lease up on clean shutdown so a successor takes over at once (default true). */
  releaseOnCancel?: boolean;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** e.g. `runtimeMetrics(registry).leaderElection('fortisync')`. */
  metrics?: LeaderMetrics;
}

/** "hostname_random": unique per process even when pods share a hostname after a restart. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(6).toString('hex')}`;
}

const sameRecord = (a: LeaderElectionRecord, b: LeaderElectionRecord): boolean =>
  a.holderIdentity === b.holderIdentity &&
  a.leaseDurationSeconds === b.leaseDurationSeconds &&
  a.acquireTime === b.acquireTime &&
  a.renewTime === b.renewTime &&
  a.leaseTransitions === b.leaseTransitions;

/**
 * client-go's Lease-based leader election. Expiry is judged on the local clock from when this
 * elector last saw the record change (not from the timestamps in it), so clock skew between
 * replicas cannot make two leaders.
 */
export class LeaderElector {
  readonly identity: string;
  private readonly opts: LeaderElectionOptions;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly metrics: LeaderMetrics;
  private observed: VersionedRecord | undefined;
  private observedAt = 0;
  private leading = false;
  private reportedLeader: string | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.opts = opts;
    this.identity = opts.identity ?? defaultIdentity();
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.logger = (opts.logger ?? winston.createLogger({ silent: true })).child({
      lease: opts.store.describe(),
      identity: this.identity,
    });
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    this.metrics = opts.metrics ?? noopLeaderMetrics;
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= this.retryPeriodMs)
      throw new Error('renewDeadline must be greater than retryPeriod');
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed, if any. */
  getLeader(): string | undefined {
    return this.observed?.record.holderIdentity || undefined;
  }

  /**
   * Campaigns until leader, leads until leadership is lost or `signal` aborts, then returns.
   * onStoppedLeading is called exactly once if leadership was ever acquired.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const leadership = new AbortController();
    this.leading = true;
    this.metrics.setLeading(true);
    this.logger.info('Acquired leadership');
    this.safely('onStartedLeading', () => this.opts.callbacks.onStartedLeading(leadership.signal));
    await this.renewLoop(signal);
    this.leading = false;
    this.metrics.setLeading(false);
    leadership.abort();
    if (signal.aborted && (this.opts.releaseOnCancel ?? true)) await this.release();
    this.safely('onStoppedLeading', () => this.opts.callbacks.onStoppedLeading());
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.logger.info('Attempting to acquire leader lease');
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) return true;
      const jitter = this.opts.jitterFactor ?? 1.2;
      await sleep(this.clock, this.retryPeriodMs * (1 + jitter * this.random()), signal);
    }
    return false;
  }

  /** Returns when leadership is lost (renewals failed for renewDeadline) or `signal` aborts. */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!signal.aborted && this.clock.now() < deadline) {
        if (await this.withDeadline(this.tryAcquireOrRenew(), deadline)) {
          renewed = true;
          break;
        }
        await sleep(this.clock, Math.min(this.retryPeriodMs, deadline - this.clock.now()), signal);
      }
      if (!renewed && !signal.aborted) {
        this.logger.error('Failed to renew lease within the renew deadline; leadership lost');
        return;
      }
    }
  }

  /** One client-go tryAcquireOrRenew step; never throws. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const desired: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    };
    try {
      const current = await this.opts.store.get();
      if (!current) {
        this.observe(await this.opts.store.create(desired));
        return true;
      }
      if (!this.observed || !sameRecord(this.observed.record, current.record)) this.observe(current);
      else this.observed = current;
      const holder = current.record.holderIdentity;
      const validFor = (current.record.leaseDurationSeconds || 0) * 1000;
      if (holder !== '' && holder !== this.identity && this.observedAt + validFor > now) {
        return false; // someone else holds a lease that has not expired yet
      }
      if (holder === this.identity) {
        desired.acquireTime = current.record.acquireTime;
        desired.leaseTransitions = current.record.leaseTransitions;
      } else {
        desired.leaseTransitions = current.record.leaseTransitions + 1;
      }
      this.observe(await this.opts.store.update(desired, current.resourceVersion));
      return true;
    } catch (err) {
      this.logger.log(this.leading ? 'warn' : 'debug', 'Lease acquire/renew failed', {
        error: errorMessage(err),
      });
      return false;
    }
  }

  private observe(v: VersionedRecord): void {
    this.observed = v;
    this.observedAt = this.clock.now();
    const holder = v.record.holderIdentity;
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.logger.info('New leader observed', { leader: holder });
      this.safely('onNewLeader', () => this.opts.callbacks.onNewLeader?.(holder));
    }
  }

  /** Hands the lease over at once: empty holder and a 1 s duration, like client-go's release. */
  private async release(): Promise<void> {
    try {
      const current = await this.opts.store.get();
      if (!current || current.record.holderIdentity !== this.identity) return;
      const now = this.clock.now();
      await this.opts.store.update(
        {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.record.leaseTransitions,
        },
        current.resourceVersion,
      );
      this.logger.info('Released leader lease');
    } catch (err) {
      this.logger.warn('Could not release leader lease', { error: errorMessage(err) });
    }
  }

  /** Resolves false if `p` has not settled by `deadline` (a hung request must not extend leadership). */
  private withDeadline(p: Promise<boolean>, deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(false), Math.max(0, deadline - this.clock.now()));
      void p.then((v) => {
        this.clock.clearTimeout(timer);
        resolve(v);
      });
    });
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error('Leader election callback failed', { callback: what, error: errorMessage(err) });
    }
  }
}
