import type { AddressInfo } from 'node:net';
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { errorMessage } from './errors.js';
import { send, SimpleHttpServer, type ListenAddress } from './http-server.js';

/** A check passes unless it returns false or throws/rejects (the message becomes the reason). */
export type HealthCheck = () => boolean | void | Promise<boolean | void>;

export interface EventLoopMonitorOptions {
  /** Fail when the loop has not run a tick for this long (default 10 s). */
  maxBlockMs?: number;
  /** Tick period (default 1 s). */
  intervalMs?: number;
  clock?: Clock;
}

/**
 * Detects a blocked event loop: a timer re-arms itself every interval; if the last tick is older
 * than maxBlockMs, the process is wedged and liveness should fail so the kubelet restarts it.
 * Depends on nothing external, so an API server or FortiGate outage never restarts the operator.
 */
export class EventLoopMonitor {
  private readonly clock: Clock;
  private readonly maxBlockMs: number;
  private readonly intervalMs: number;
  private lastTick: number;
  private timer: TimerHandle | undefined;

  constructor(opts: EventLoopMonitorOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.maxBlockMs = opts.maxBlockMs ?? 10_000;
    this.intervalMs = opts.intervalMs ?? 1000;
    this.lastTick = this.clock.now();
  }

  start(): void {
    if (this.timer) return;
    this.lastTick = this.clock.now();
    const tick = (): void => {
      this.lastTick = this.clock.now();
      this.timer = this.clock.setTimeout(tick, this.intervalMs);
    };
    this.timer = this.clock.setTimeout(tick, this.intervalMs);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Milliseconds since the last tick. */
  blockedForMs(): number {
    return this.clock.now() - this.lastTick;
  }

  check: HealthCheck = () => {
    const blocked = this.blockedForMs();
    if (blocked > this.maxBlockMs) throw new Error(`event loop blocked for ${Math.round(blocked)} ms`);
  };
}

export interface HealthServerOptions extends ListenAddress {
  eventLoop?: EventLoopMonitorOptions;
  /** A check that has not answered by then counts as failed (default 5 s). */
  checkTimeoutMs?: number;
}

interface CheckResult {
  name: string;
  ok: boolean;
  reason?: string;
}

/**
 * /healthz (alias /livez): process liveness, by default only the event-loop monitor.
 * /readyz: pluggable readiness checks (informers synced, …). `?verbose` lists every check in the
 * Kubernetes "[+]name ok" format.
 */
export class HealthServer {
  readonly eventLoop: EventLoopMonitor;
  private readonly opts: HealthServerOptions;
  private readonly live = new Map<string, HealthCheck>();
  private readonly ready = new Map<string, HealthCheck>();
  private readonly http: SimpleHttpServer;

  constructor(opts: HealthServerOptions) {
    this.opts = opts;
    this.eventLoop = new EventLoopMonitor(opts.eventLoop);
    this.live.set('eventloop', this.eventLoop.check);
    this.http = new SimpleHttpServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const checks =
        url.pathname === '/healthz' || url.pathname === '/livez'
          ? this.live
          : url.pathname === '/readyz'
            ? this.ready
            : undefined;
      if (!checks || (req.method !== 'GET' && req.method !== 'HEAD')) return send(res, 404, 'not found\n');
      const results = await this.runChecks(checks);
      const ok = results.every((r) => r.ok);
      if (!url.searchParams.has('verbose')) {
        const failed = results.filter((r) => !r.ok).map((r) => `[-]${r.name} failed: ${r.reason}\n`);
        return send(
          res,
          ok ? 200 : 500,
          ok ? 'ok' : `${failed.join('')}${url.pathname.slice(1)} check failed\n`,
        );
      }
      const lines = results.map((r) => (r.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.reason}`));
      send(
        res,
        ok ? 200 : 500,
        `${lines.join('\n')}\n${url.pathname.slice(1)} check ${ok ? 'passed' : 'failed'}\n`,
      );
    });
  }

  /** Adds a liveness check. Keep it local: never depend on the API server or a FortiGate. */
  addHealthCheck(name: string, check: HealthCheck): void {
    this.live.set(name, check);
  }

  addReadyCheck(name: string, check: HealthCheck): void {
    this.ready.set(name, check);
  }

  async listen(): Promise<AddressInfo> {
    this.eventLoop.start();
    return this.http.listen({ host: this.opts.host, port: this.opts.port });
  }

  address(): AddressInfo | undefined {
    return this.http.address();
  }

  async close(): Promise<void> {
    this.eventLoop.stop();
    await this.http.close();
  }

  private runChecks(checks: Map<string, HealthCheck>): Promise<CheckResult[]> {
    const timeoutMs = this.opts.checkTimeoutMs ?? 5000;
    return Promise.all(
      [...checks].map(async ([name, check]): Promise<CheckResult> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          const r = await Promise.race([Promise.resolve().then(check), timeout]);
          return r === false ? { name, ok: false, reason: 'not ready' } : { name, ok: true };
        } catch (err) {
          return { name, ok: false, reason: errorMessage(err) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
