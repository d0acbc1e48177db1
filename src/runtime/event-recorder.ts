import { randomBytes } from 'node:crypto';
import {
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type EventsV1Api,
  type EventsV1Event,
} from '@kubernetes/client-node';
import winston, { type Logger } from 'winston';
import { realClock, type Clock } from './clock.js';
import { errorMessage } from './errors.js';
import { TokenBucketRateLimiter } from './rate-limiter.js';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (an ObjectReference). */
export interface EventRegarding {
  apiVersion?: string;
  kind?: string;
  name: string;
  /** Empty for cluster-scoped objects; their events go to the "default" namespace, as client-go does. */
  namespace?: string;
  uid?: string;
}

export interface EventRecorderOptions {
  api: Pick<EventsV1Api, 'createNamespacedEvent' | 'patchNamespacedEvent'>;
  /** e.g. "fortisync.io/mapping-controller". */
  reportingController: string;
  /** e.g. the pod name / leader identity. */
  reportingInstance: string;
  /** Repeats of an identical event within this window update its series instead (default 6 min). */
  dedupWindowMs?: number;
  /** Overall write budget: sustained rate and burst (default 1/s, burst 25). */
  qps?: number;
  burst?: number;
  /** How many distinct recent events are remembered for de-duplication (default 4096). */
  cacheSize?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstMs: number;
  lastMs: number;
}

const NOTE_MAX = 1024;

/**
 * Records events.k8s.io/v1 Events. Identical events (same object, type, reason, action, note)
 * within the de-duplication window are folded into one Event whose `series.count` grows, and all
 * writes share a token bucket so an error storm cannot flood the API server. Recording is
 * best-effort: it never throws, and a failure is only logged.
 */
export class EventRecorder {
  private readonly opts: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly limiter: TokenBucketRateLimiter<string>;
  private readonly seen = new Map<string, Seen>();

  constructor(opts: EventRecorderOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? winston.createLogger({ silent: true });
    this.limiter = new TokenBucketRateLimiter({
      qps: opts.qps ?? 1,
      burst: opts.burst ?? 25,
      clock: this.clock,
    });
  }

  /** Records an event; resolves when written (or dropped). Never rejects. */
  async record(
    regarding: EventRegarding,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    related?: EventRegarding,
  ): Promise<void> {
    try {
      await this.write(regarding, type, reason, action, note.slice(0, NOTE_MAX), related);
    } catch (err) {
      this.logger.warn('Could not record event', {
        reason,
        object: regarding.name,
        error: errorMessage(err),
      });
    }
  }

  normal(regarding: EventRegarding, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, 'Normal', reason, action, note);
  }

  warning(regarding: EventRegarding, reason: string, action: string, note: string): Promise<void> {
    return this.record(regarding, 'Warning', reason, action, note);
  }

  private async write(
    regarding: EventRegarding,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    related: EventRegarding | undefined,
  ): Promise<void> {
    const now = this.clock.now();
    const key = JSON.stringify([
      regarding.uid,
      regarding.kind,
      regarding.namespace,
      regarding.name,
      type,
      reason,
      action,
      note,
    ]);
    const prior = this.seen.get(key);
    const windowMs = this.opts.dedupWindowMs ?? 6 * 60_000;

    if (!this.limiter.tryAcquire()) {
      // Over budget: drop, but still count it so the next written series is accurate.
      if (prior && now - prior.lastMs <= windowMs) {
        prior.count++;
        prior.lastMs = now;
      }
      this.logger.debug('Event dropped by rate limit', { reason, object: regarding.name });
      return;
    }

    if (prior && now - prior.lastMs <= windowMs) {
      prior.count++;
      prior.lastMs = now;
      this.touch(key, prior);
      try {
        await this.opts.api.patchNamespacedEvent(
          {
            name: prior.name,
            namespace: prior.namespace,
            body: { series: { count: prior.count, lastObservedTime: new V1MicroTime(now) } },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      } catch (err) {
        // Events expire (1 h TTL by default); a vanished one is simply written anew.
        if ((err as { code?: unknown }).code !== 404) throw err;
      }
    }

    const namespace = regarding.namespace || 'default';
    const name = `${regarding.name}.${now.toString(16)}${randomBytes(2).toString('hex')}`;
    const body: EventsV1Event = {
      metadata: { name, namespace },
      eventTime: new V1MicroTime(now),
      reportingController: this.opts.reportingController,
      reportingInstance: this.opts.reportingInstance,
      action,
      reason,
      note,
      type,
      regarding: { ...regarding },
      ...(related ? { related: { ...related } } : {}),
    };
    await this.opts.api.createNamespacedEvent({ namespace, body });
    this.touch(key, { name, namespace, count: 1, firstMs: now, lastMs: now });
  }

  /** Keeps the de-duplication cache bounded, evicting the least recently used entry. */
  private touch(key: string, entry: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, entry);
    const max = this.opts.cacheSize ?? 4096;
    while (this.seen.size > max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }
}
