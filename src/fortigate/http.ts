import { Pool } from 'undici';
import type { TimeoutOptions } from './client.js';

export interface HttpSetup {
  baseUrl: string;
  ca?: string;
  insecureSkipVerify?: boolean;
  maxSockets?: number;
  timeouts: TimeoutOptions;
}

export interface HttpRequest {
  method: string;
  /** Below the base URL's path, starting with '/'. */
  path: string;
  query?: URLSearchParams;
  headers: Record<string, string>;
  /** Sent as JSON when present. */
  json?: unknown;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  text: string;
}

/**
 * No answer came: `code` is what `classifyTransportError` reads (every timeout is `ETIMEDOUT`, a
 * socket error keeps its errno). Deliberately without the transport's error as `cause`: the
 * message and the code are all a caller reports, and nothing of the request can leak through it.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * One keep-alive connection pool per device, as the FortiOS and FortiManager clients both use it:
 * TLS trust from the device's CA, no retries of its own (the clients retry only what is safe), no
 * redirects, status codes as values, bodies as text. undici rather than got: a tenth of the CPU
 * per request (ADR 0008), which is most of a cold start's at scale.
 */
export class DeviceHttp {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly requestMs: number;

  constructor(setup: HttpSetup) {
    const url = new URL(setup.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.requestMs = setup.timeouts.requestMs;
    const t = setup.timeouts;
    this.pool = new Pool(url.origin, {
      connections: setup.maxSockets ?? 4,
      connect: {
        timeout: t.connectMs,
        ...(setup.ca !== undefined ? { ca: setup.ca } : {}),
        rejectUnauthorized: setup.insecureSkipVerify !== true,
      },
      headersTimeout: t.responseMs,
      bodyTimeout: t.requestMs,
    });
  }

  /** One exchange; a reply of any status is a value, no answer is a `TransportError`. */
  async request(req: HttpRequest): Promise<HttpReply> {
    const query = req.query?.toString();
    const headers =
      req.json === undefined ? req.headers : { ...req.headers, 'content-type': 'application/json' };
    const bound = boundedSignal(req.signal, this.requestMs);
    try {
      const response = await this.pool.request({
        method: req.method as 'GET',
        path: this.basePath + req.path + (query ? `?${query}` : ''),
        headers,
        ...(req.json !== undefined ? { body: JSON.stringify(req.json) } : {}),
        signal: bound.signal,
      });
      return { status: response.statusCode, text: await response.body.text() };
    } catch (err) {
      throw toTransportError(err, bound.timedOut());
    } finally {
      bound.release();
    }
  }

  /** Closes the pooled connections; requests still in flight fail as transport errors. */
  close(): void {
    this.pool.destroy().catch(() => undefined);
  }
}

/**
 * The caller's signal, also aborted once the whole exchange (body included) has taken `ms`. Plain
 * listeners rather than `AbortSignal.any`: each request's are removed at its end, so a client's
 * long-lived signal never collects one per request.
 */
function boundedSignal(
  outer: AbortSignal | undefined,
  ms: number,
): { signal: AbortSignal; timedOut: () => boolean; release: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('the request took too long'));
  }, ms);
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    release: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

function toTransportError(err: unknown, deadlinePassed: boolean): TransportError {
  const message = err instanceof Error ? err.message : String(err);
  if (deadlinePassed) return new TransportError('the request took too long', 'ETIMEDOUT');
  const code = errorCode(err);
  if (code !== undefined && TIMEOUT_CODES.has(code)) return new TransportError(message, 'ETIMEDOUT');
  // undici reports a socket the peer closed as its own code; the errno under it says more.
  if (code === 'UND_ERR_SOCKET') return new TransportError(message, errorCode(causeOf(err)) ?? 'ECONNRESET');
  if (err instanceof Error && err.name === 'AbortError') return new TransportError(message, 'ABORT_ERR');
  return new TransportError(message, code);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function causeOf(err: unknown): unknown {
  return err instanceof Error ? err.cause : undefined;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableDelay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
