import type { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';

/** One page of a list call, as `listAllPages` asks for it. */
export interface RawPageQuery {
  limit: number;
  _continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface RawPage<T> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const LIST_TIMEOUT_MS = 60_000;

/** A failed list call; `statusCode` 410 is what the informer's relist logic looks for. */
export class ListError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'ListError';
  }
}

/**
 * Lists a core collection page by page as plain JSON, slimming each item as it comes. client-node's
 * typed list turns every object of a page into model class instances (containers, managed fields…)
 * before the informer throws most of it away; at 10,000 pods that was most of a cold start's
 * garbage. Same connection, credentials and TLS as every other call: the KubeConfig supplies them.
 */
export function rawPageLister<T>(
  kc: KubeConfig,
  path: string,
  slim: (raw: unknown) => T,
): (q: RawPageQuery) => Promise<RawPage<T>> {
  return async (q) => {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig has no current cluster');
    const url = new URL(server.replace(/\/+$/, '') + path);
    url.searchParams.set('limit', String(q.limit));
    if (q._continue) url.searchParams.set('continue', q._continue);
    if (q.labelSelector) url.searchParams.set('labelSelector', q.labelSelector);
    if (q.fieldSelector) url.searchParams.set('fieldSelector', q.fieldSelector);
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await kc.applyToHTTPSOptions(options);
    const body = await get(url, options);
    const list = JSON.parse(body) as { items?: unknown[] | null; metadata?: RawPage<T>['metadata'] };
    return { items: (list.items ?? []).map(slim), ...(list.metadata ? { metadata: list.metadata } : {}) };
  };
}

function get(url: URL, options: https.RequestOptions): Promise<string> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(text);
        let message = text.slice(0, 300);
        try {
          message = (JSON.parse(text) as { message?: string }).message ?? message;
        } catch {
          // not a Status object: keep the text
        }
        reject(new ListError(`GET ${url.pathname} answered ${status}: ${message}`, status));
      });
    });
    // A list that hangs would hold the informer (and readiness) forever: give up and let it retry.
    req.setTimeout(LIST_TIMEOUT_MS, () => req.destroy(new Error(`GET ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
