import type { KubernetesObject } from '@kubernetes/client-node';
import winston, { type Logger } from 'winston';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import { errorMessage } from './errors.js';
import { noopInformerMetrics, type InformerMetrics } from './metrics.js';
import { resourceVersionOf, reuseUnchanged } from './reuse-unchanged.js';
import { objectKey, Store, type IndexFn } from './store.js';

/** What a list call returns (a KubernetesListObject, or the raw JSON of one). */
export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export type ListFn<T> = () => Promise<ListResult<T>>;

/** The shape of client-node's `Watch` (so `StreamingWatch`, client-node's `Watch` or a test double fits). */
export interface WatchLike {
  watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }>;
}

export interface DeleteInfo {
  /**
   * True when the deletion was inferred on relist (the object vanished while the watch was down):
   * the object passed is the last state this informer saw, not the final one.
   */
  finalStateUnknown: boolean;
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void | Promise<void>;
  onUpdate?(oldObj: T, newObj: T): void | Promise<void>;
  onDelete?(obj: T, info: DeleteInfo): void | Promise<void>;
  /** Called for every cached object each `resyncPeriodMs`. */
  onResync?(obj: T): void | Promise<void>;
}

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Random extra fraction 0..jitter on top of the delay. */
  jitter?: number;
}

export interface InformerOptions<T> {
  /** For logs. */
  name: string;
  /** Collection path to watch, e.g. /api/v1/pods or /apis/g/v1/namespaces/ns/things. */
  path: string;
  listFn: ListFn<T>;
  watch: WatchLike;
  labelSelector?: string;
  fieldSelector?: string;
  /** Turns a raw watch object into T (e.g. client-node's typed model); identity by default. */
  decode?: (raw: unknown) => T;
  keyFn?: (obj: T) => string;
  /** Server-side watch timeout; randomized between this and twice this, like client-go (default 300). */
  watchTimeoutSeconds?: number;
  /** Restart the watch if nothing (not even a bookmark) arrived for this long (default 180 s). */
  inactivityTimeoutMs?: number;
  /**
   * A watch that delivered events, or ran this long, was healthy: it is restarted without backoff
   * (default 10 s; 0 means only a watch that delivered events counts).
   */
  healthyWatchMs?: number;
  backoff?: BackoffOptions;
  /** Calls onResync for every cached object this often; 0 disables (default). */
  resyncPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** e.g. `runtimeMetrics(registry).informer(name)`. */
  metrics?: InformerMetrics;
  /**
   * How the informer gets a whole state (at start, and after a 410). `never` (default): `listFn`.
   * `always`: a watch that streams it, as client-go's WatchListClient does (KEP-3157:
   * `sendInitialEvents`), served from the API server's watch cache one object at a time, with no
   * continue token to expire. `after-expired-list`: `listFn`, but a list that fails with 410 (its
   * continue token outlived etcd's compaction, so listing again from the first page may never end)
   * is followed by a streamed one. A server that refuses to stream (400/422: older than 1.27, or the
   * WatchList gate off as on 1.33) makes the informer use `listFn` from then on.
   */
  streamingList?: StreamingListMode;
}

export type StreamingListMode = 'never' | 'always' | 'after-expired-list';

type WatchEnd = 'closed' | 'gone' | 'error' | 'watchdog' | 'stopped' | 'desync';

interface WatchOutcome {
  end: WatchEnd;
  healthy: boolean;
  err?: unknown;
  /** A streaming list delivered its initial state (the cache now holds it). */
  listed?: boolean;
}

/** The annotation of the bookmark that ends a streamed list's initial state (KEP-3157). */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

function endsInitialEvents(bookmark: unknown): boolean {
  const m = (bookmark as KubernetesObject | undefined)?.metadata;
  return m?.annotations?.[INITIAL_EVENTS_END] === 'true';
}

/** The HTTP status codes an error carries, in each of the shapes client-node and the API server use. */
function statusCodesOf(err: unknown): unknown[] {
  if (typeof err !== 'object' || err === null) return [];
  const e = err as { statusCode?: unknown; code?: unknown; status?: unknown };
  return [e.statusCode, e.code, e.status];
}

/** The API server does not stream lists: an unknown or forbidden watch parameter. */
function refusesStreamingList(err: unknown): boolean {
  return statusCodesOf(err).some((status) => status === 400 || status === 422);
}

/** True for HTTP 410 Gone in any of the shapes client-node and the API server produce. */
export function isGone(err: unknown): boolean {
  return statusCodesOf(err).includes(410);
}

/**
 * A list-then-watch informer with a local indexed cache, built on client-node's `Watch` because
 * its own ListWatch stops for good on errors, has no backoff, watchdog, bookmarks, sync state or
 * resync (see docs/decisions/0002-informers.md).
 *
 * Lifecycle: list → replace the cache (emitting adds/updates, and deletes for objects that
 * vanished) → watch from the list's resourceVersion → on stream end restart the watch from the
 * last seen resourceVersion; on 410 Gone list again; on any failure back off exponentially
 * with jitter and retry, forever, until stop().
 */
export class Informer<T extends KubernetesObject> {
  readonly name: string;
  private readonly opts: InformerOptions<T>;
  private readonly store = new Store<T>();
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly keyFn: (obj: T) => string;
  private readonly decode: (raw: unknown) => T;
  /** decode, or the cached object when a list brings it at the same resourceVersion. */
  private readonly decodeListed: (raw: unknown) => T;

  private resourceVersion = '';
  private synced = false;
  private syncWaiters: Array<(synced: boolean) => void> = [];
  private stopped = true;
  private loop: Promise<void> | undefined;
  private loopAbort = new AbortController();
  private stopWatch: (() => void) | undefined;
  private resyncTimer: TimerHandle | undefined;
  private watching = false;
  private lastEvent: number | undefined;
  private consecutiveFailures = 0;
  private readonly metrics: InformerMetrics;
  private untrack: () => void = () => {};
  private streamMode: StreamingListMode;
  /** The next whole state comes from a streamed list. */
  private streamNext: boolean;

  constructor(opts: InformerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.logger = (opts.logger ?? winston.createLogger({ silent: true })).child({ informer: opts.name });
    this.keyFn = opts.keyFn ?? objectKey;
    this.decode = opts.decode ?? ((raw) => raw as T);
    this.decodeListed = reuseUnchanged((key) => this.store.get(key), this.decode, this.keyFn);
    this.metrics = opts.metrics ?? noopInformerMetrics;
    this.streamMode = opts.streamingList ?? 'never';
    this.streamNext = this.streamMode === 'always';
  }

  // ---- cache ----

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return this.store.list();
  }

  keys(): string[] {
    return this.store.keys();
  }

  addIndex(name: string, fn: IndexFn<T>): void {
    this.store.addIndex(name, fn);
  }

  byIndex(name: string, value: string): T[] {
    return this.store.byIndex(name, value);
  }

  indexKeys(name: string, value: string): string[] {
    return this.store.indexKeys(name, value);
  }

  // ---- state ----

  /** True once the first complete list has been applied to the cache (and stays true). */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves true once synced, or false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      const waiter = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      this.syncWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Clock time (ms) of the last watch event or bookmark, for staleness metrics. */
  get lastEventTime(): number | undefined {
    return this.lastEvent;
  }

  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  isWatching(): boolean {
    return this.watching;
  }

  // ---- handlers ----

  /**
   * Registers handlers; returns a function removing them. Objects already cached are replayed
   * to `onAdd` so a late subscriber starts from the same state as an early one.
   */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.add(h);
    if (h.onAdd) for (const obj of this.store.list()) this.call('add', () => h.onAdd?.(obj));
    return () => this.handlers.delete(h);
  }

  onAdd(fn: (obj: T) => void | Promise<void>): () => void {
    return this.addEventHandler({ onAdd: fn });
  }

  onUpdate(fn: (oldObj: T, newObj: T) => void | Promise<void>): () => void {
    return this.addEventHandler({ onUpdate: fn });
  }

  onDelete(fn: (obj: T, info: DeleteInfo) => void | Promise<void>): () => void {
    return this.addEventHandler({ onDelete: fn });
  }

  onResync(fn: (obj: T) => void | Promise<void>): () => void {
    return this.addEventHandler({ onResync: fn });
  }

  // ---- lifecycle ----

  /** Starts listing and watching in the background. Idempotent. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loopAbort = new AbortController();
    this.untrack = this.metrics.track(() => ({
      synced: this.synced,
      objects: this.store.size,
      ...(this.lastEvent !== undefined ? { lastEventMs: this.lastEvent } : {}),
    }));
    this.loop = this.run();
    this.scheduleResync();
  }

  /** Stops watching; the cache keeps its content. Resolves when the loop has exited. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.loopAbort.abort();
    this.stopWatch?.();
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    this.syncWaiters.splice(0).forEach((w) => w(false));
    await this.loop;
    this.untrack();
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.stopped) {
      const streaming = needList && this.streamNext;
      if (needList && !streaming) {
        try {
          await this.relist();
          needList = false;
          this.metrics.listed('success');
        } catch (err) {
          if (this.stopped) break;
          this.metrics.listed('error');
          this.consecutiveFailures++;
          // Lists start at the current state, so a 410 means a continue token expired mid-list.
          if (isGone(err) && this.streamMode === 'after-expired-list') this.streamNext = true;
          this.logger.warn('List failed; will retry', {
            error: errorMessage(err),
            failures: this.consecutiveFailures,
            ...(this.streamNext ? { next: 'streamed list' } : {}),
          });
          await this.backoff();
          continue;
        }
      }
      if (this.stopped) break;
      const outcome = await this.watchOnce(streaming);
      if (outcome.end === 'stopped' || this.stopped) break;
      if (streaming && outcome.listed) {
        needList = false;
        this.streamNext = this.streamMode === 'always';
      }
      if (streaming && !outcome.listed) {
        this.metrics.listed('error');
        if (refusesStreamingList(outcome.err)) {
          this.streamMode = 'never';
          this.streamNext = false;
          this.logger.info('The API server does not stream lists; listing in pages', {
            error: errorMessage(outcome.err),
          });
          continue;
        }
      }
      if (outcome.end === 'gone' || outcome.end === 'desync') needList = true;
      this.metrics.watchEnded(outcome.end);
      this.consecutiveFailures = outcome.healthy ? 0 : this.consecutiveFailures + 1;
      const level = outcome.end === 'closed' && outcome.healthy ? 'debug' : 'info';
      this.logger.log(level, 'Watch ended; restarting', {
        reason: outcome.end,
        relist: needList,
        failures: this.consecutiveFailures,
        ...(outcome.err !== undefined && outcome.err !== null ? { error: errorMessage(outcome.err) } : {}),
      });
      if (this.consecutiveFailures > 0) await this.backoff();
    }
  }

  private backoff(): Promise<void> {
    const b = this.opts.backoff ?? {};
    const initial = b.initialMs ?? 800;
    const max = b.maxMs ?? 30_000;
    const jitter = b.jitter ?? 0.5;
    const base = Math.min(max, initial * Math.pow(2, Math.max(0, this.consecutiveFailures - 1)));
    return sleep(this.clock, base * (1 + jitter * this.random()), this.loopAbort.signal);
  }

  private async relist(): Promise<void> {
    const list = await this.opts.listFn();
    if (this.stopped) return;
    const fresh = new Map<string, T>();
    for (const obj of list.items ?? []) fresh.set(this.keyFn(obj), obj);
    this.replace(fresh);
    this.listDone(list.metadata?.resourceVersion ?? '', 'list');
  }

  private listDone(resourceVersion: string, via: 'list' | 'watch-list'): void {
    this.resourceVersion = resourceVersion;
    if (this.synced) return;
    this.synced = true;
    this.logger.info('Informer synced', { objects: this.store.size, resourceVersion, via });
    this.syncWaiters.splice(0).forEach((w) => w(true));
  }

  /** Makes the cache equal to a fresh list, emitting what changed since the last state seen. */
  private replace(fresh: ReadonlyMap<string, T>): void {
    // Deletions first: a member that is gone must leave as early as possible.
    for (const key of this.store.keys()) {
      if (fresh.has(key)) continue;
      const old = this.store.delete(key);
      if (old !== undefined) this.emitDelete(old, { finalStateUnknown: true });
    }
    for (const [key, obj] of fresh) {
      const old = this.store.set(key, obj);
      if (old === undefined) {
        this.emitAdd(obj);
      } else if (old.metadata?.uid && obj.metadata?.uid && old.metadata.uid !== obj.metadata.uid) {
        // Deleted and re-created under the same name while we were not watching.
        this.emitDelete(old, { finalStateUnknown: true });
        this.emitAdd(obj);
      } else if (resourceVersionOf(old) !== resourceVersionOf(obj)) {
        this.emitUpdate(old, obj);
      }
    }
  }

  /**
   * One event of a streamed list's initial state, gathered aside until the bookmark that ends it;
   * returns true at that bookmark. An object the cache holds at the same resourceVersion is kept
   * as it is: a relist after a 410 then decodes only what changed.
   */
  private gatherInitial(initial: Map<string, T>, phase: string, raw: unknown): boolean {
    if (phase === 'BOOKMARK') return endsInitialEvents(raw);
    if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED') return false;
    const key = this.keyFn(raw as T);
    if (phase === 'DELETED') {
      initial.delete(key);
      return false;
    }
    initial.set(key, this.decodeListed(raw));
    return false;
  }

  /** One watch; `streamingList` first streams the whole state and replaces the cache with it. */
  private watchOnce(streamingList = false): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      const startedAt = this.clock.now();
      let finished = false;
      let gotEvent = false;
      // The initial state of a streamed list, until the bookmark that ends it.
      let initial = streamingList ? new Map<string, T>() : undefined;
      let handle: { abort(): void } | undefined;
      let watchdog: TimerHandle | undefined;
      const inactivityMs = this.opts.inactivityTimeoutMs ?? 180_000;

      const finish = (end: WatchEnd, err?: unknown): void => {
        if (finished) return;
        finished = true;
        this.watching = false;
        this.stopWatch = undefined;
        if (watchdog) this.clock.clearTimeout(watchdog);
        handle?.abort();
        // Never count a watch that ended at once without events as healthy: with no backoff, a
        // watch that fails synchronously would spin the loop on microtasks and starve the process.
        const healthyAfter = this.opts.healthyWatchMs ?? 10_000;
        const healthy = gotEvent || (healthyAfter > 0 && this.clock.now() - startedAt >= healthyAfter);
        resolve({ end, healthy, err, ...(streamingList ? { listed: initial === undefined } : {}) });
      };
      const armWatchdog = (): void => {
        if (watchdog) this.clock.clearTimeout(watchdog);
        watchdog = this.clock.setTimeout(() => finish('watchdog'), inactivityMs);
      };
      this.stopWatch = () => finish('stopped');
      armWatchdog();
      this.watching = true;

      const baseTimeout = this.opts.watchTimeoutSeconds ?? 300;
      const params: Record<string, string | number | boolean | undefined> = {
        // A streamed list starts from a consistent read of the current state (resourceVersion unset).
        resourceVersion: streamingList ? undefined : this.resourceVersion,
        ...(streamingList ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' } : {}),
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(baseTimeout * (1 + this.random())),
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      };

      const onEvent = (phase: string, raw: unknown): void => {
        // Events racing with our own abort must not touch the cache or the resourceVersion.
        if (finished) return;
        if (phase === 'ERROR') {
          const status = raw as { code?: number; message?: string } | undefined;
          finish(
            isGone(status) ? 'gone' : 'error',
            new Error(`watch error event: ${status?.message ?? 'unknown'}`),
          );
          return;
        }
        gotEvent = true;
        this.lastEvent = this.clock.now();
        armWatchdog();
        try {
          if (initial === undefined) this.applyEvent(phase, raw);
          else if (this.gatherInitial(initial, phase, raw)) {
            this.replace(initial);
            initial = undefined;
            this.listDone(resourceVersionOf(raw) ?? '', 'watch-list');
            this.metrics.listed('success');
          }
        } catch (err) {
          // The cache may now miss this object; only a fresh list can restore it.
          this.logger.error('Could not apply watch event; relisting', { phase, error: errorMessage(err) });
          finish('desync', err);
        }
      };

      this.opts.watch
        .watch(this.opts.path, params, onEvent, (err) => {
          if (err === null || err === undefined) finish('closed');
          else finish(isGone(err) ? 'gone' : 'error', err);
        })
        .then(
          (h) => {
            handle = h;
            if (finished) h.abort();
          },
          (err: unknown) => finish(isGone(err) ? 'gone' : 'error', err),
        );
    });
  }

  private applyEvent(phase: string, raw: unknown): void {
    if (phase === 'BOOKMARK') {
      this.resourceVersion = resourceVersionOf(raw) ?? this.resourceVersion;
      return;
    }
    if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED') return;
    const obj = this.decode(raw);
    const key = this.keyFn(obj);
    if (phase === 'DELETED') {
      // The event carries the final state; emit even if we never saw the object (client-go does too).
      this.store.delete(key);
      this.emitDelete(obj, { finalStateUnknown: false });
    } else {
      const old = this.store.set(key, obj);
      if (old === undefined) this.emitAdd(obj);
      else this.emitUpdate(old, obj);
    }
    this.resourceVersion = resourceVersionOf(raw) ?? this.resourceVersion;
  }

  private scheduleResync(): void {
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period <= 0 || this.stopped) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.stopped) return;
      if (this.synced) {
        for (const obj of this.store.list()) this.forEach('resync', (h) => h.onResync?.(obj));
      }
      this.scheduleResync();
    }, period);
  }

  private emitAdd(obj: T): void {
    this.forEach('add', (h) => h.onAdd?.(obj));
  }

  private emitUpdate(oldObj: T, newObj: T): void {
    this.forEach('update', (h) => h.onUpdate?.(oldObj, newObj));
  }

  private emitDelete(obj: T, info: DeleteInfo): void {
    this.forEach('delete', (h) => h.onDelete?.(obj, info));
  }

  private forEach(kind: string, fn: (h: EventHandlers<T>) => void | Promise<void>): void {
    for (const h of [...this.handlers]) this.call(kind, () => fn(h));
  }

  /** Handlers never throw into the informer: a bad handler must not stop the cache updating. */
  private call(kind: string, fn: () => void | Promise<void>): void {
    try {
      const r = fn();
      if (r && typeof r.then === 'function') {
        r.then(undefined, (err: unknown) =>
          this.logger.error('Event handler failed', { kind, error: errorMessage(err) }),
        );
      }
    } catch (err) {
      this.logger.error('Event handler failed', { kind, error: errorMessage(err) });
    }
  }
}

/** Resolves true once every informer has synced, false if `signal` aborts (or one stops) first. */
export async function waitForCacheSync(
  informers: ReadonlyArray<{ waitForSync(signal?: AbortSignal): Promise<boolean> }>,
  signal?: AbortSignal,
): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return results.every(Boolean);
}
