import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Response } from 'undici';

export type QueryParams = Record<string, string | number | boolean | undefined>;

/** A failed raw API call; `statusCode` (410, 403, …) is what callers decide on. */
export class KubeHttpError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

export interface KubeGetOptions {
  /**
   * Ask for a gzip-compressed answer (fetch's default). The API server compresses answers above
   * 128 KiB, such as every page of a large list; on a cluster's own network that costs the API server
   * more CPU than the bytes it saves, so client-go lets a client turn it off (`DisableCompression`,
   * which kube-controller-manager and kube-scheduler use; kubectl's `--disable-compression`).
   */
  compression?: boolean;
}

/**
 * A GET against the API server with exactly the credentials, TLS settings and connection pool of
 * client-node's generated API calls: the KubeConfig fills in the headers and the undici dispatcher.
 * Used where the generated client costs too much (raw lists) or does the wrong thing (watches).
 */
export async function kubeGet(
  kc: KubeConfig,
  path: string,
  query: QueryParams,
  signal: AbortSignal,
  opts: KubeGetOptions = {},
): Promise<Response> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  const ctx = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(ctx);
  const dispatcher = ctx.getDispatcher();
  return fetch(url, {
    method: 'GET',
    headers: {
      ...ctx.getHeaders(),
      Accept: 'application/json',
      ...(opts.compression === false ? { 'Accept-Encoding': 'identity' } : {}),
    },
    signal,
    ...(dispatcher ? { dispatcher } : {}),
  });
}

/** Throws a KubeHttpError carrying the API server's own message unless the response is 2xx. */
export async function expectOk(res: Response, what: string): Promise<Response> {
  if (res.status >= 200 && res.status < 300) return res;
  const text = await res.text();
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not a Status object: keep the text
  }
  throw new KubeHttpError(`${what} answered ${res.status}: ${message}`, res.status);
}
