import got, { type Got, type Response } from 'got';
import http from 'node:http';
import https from 'node:https';
import type { TimeoutOptions } from './client.js';

export interface HttpSetup {
  baseUrl: string;
  ca?: string;
  insecureSkipVerify?: boolean;
  maxSockets?: number;
  timeouts: TimeoutOptions;
  /** Set `prefixUrl` (the FortiManager transport posts to relative paths). */
  prefixUrl?: boolean;
}

/**
 * One keep-alive connection pool per device and the got instance over it, as the FortiOS and
 * FortiManager clients both use it: TLS trust from the device's CA, no retries of got's own (the
 * clients retry only what is safe), no redirects, errors as status codes, bodies as text.
 */
export function deviceHttp(setup: HttpSetup): { http: Got; agent: http.Agent | https.Agent } {
  const secure = new URL(setup.baseUrl).protocol === 'https:';
  const maxSockets = setup.maxSockets ?? 4;
  const rejectUnauthorized = setup.insecureSkipVerify !== true;
  const pool = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
  const agent = secure
    ? new https.Agent({ ...pool, ca: setup.ca, rejectUnauthorized })
    : new http.Agent(pool);
  const t = setup.timeouts;
  const instance = got.extend({
    ...(setup.prefixUrl ? { prefixUrl: setup.baseUrl.replace(/\/+$/, '') } : {}),
    agent: secure ? { https: agent as https.Agent } : { http: agent as http.Agent },
    https: { certificateAuthority: setup.ca, rejectUnauthorized },
    timeout: {
      connect: t.connectMs,
      secureConnect: t.connectMs,
      response: t.responseMs,
      request: t.requestMs,
    },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
  });
  return { http: instance, agent };
}

/**
 * The reply's text, taken out of got's response. Node's https agent keeps the first request of each
 * pooled TLS socket reachable for as long as the socket lives (the closure of its 'session'
 * listener holds the socket's creation callback, which holds that request, its response, the text
 * and the bytes). A device's first reads are its largest (every address and group), so each pooled
 * socket kept a whole list reply twice: 3.4 MB at 10,000 pods (issue 19).
 */
export function takeBody(response: Response<string>): string {
  const text = response.body;
  response.body = '';
  response.rawBody = new Uint8Array(0);
  return text;
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
