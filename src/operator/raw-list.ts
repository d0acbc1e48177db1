import type { KubeConfig } from '@kubernetes/client-node';
import { expectOk, kubeGet, KubeHttpError, type KubeGetOptions } from '../runtime/kube-fetch.js';

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
export { KubeHttpError as ListError };

/**
 * Lists a core collection page by page as plain JSON, for `listAllPages` to slim each item as it
 * comes. client-node's typed list turns every object of a page into model class instances
 * (containers, managed fields…) before the informer throws most of it away; at 10,000 pods that was
 * most of a cold start's garbage. Same connection, credentials and TLS as every other call: the
 * KubeConfig supplies them.
 */
export function rawPageLister(
  kc: KubeConfig,
  path: string,
  opts: KubeGetOptions = {},
): (q: RawPageQuery) => Promise<RawPage<unknown>> {
  return async (q) => {
    const query = {
      limit: q.limit,
      continue: q._continue || undefined,
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
    };
    // A list that hangs would hold the informer (and readiness) forever: give up and let it retry.
    const signal = AbortSignal.timeout(LIST_TIMEOUT_MS);
    const res = await expectOk(await kubeGet(kc, path, query, signal, opts), `GET ${path}`);
    const list = (await res.json()) as { items?: unknown[] | null; metadata?: RawPage<unknown>['metadata'] };
    return { items: list.items ?? [], ...(list.metadata ? { metadata: list.metadata } : {}) };
  };
}
