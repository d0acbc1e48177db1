import type { KubeConfig } from '@kubernetes/client-node';
import type { WatchLike } from './informer.js';
import { expectOk, kubeGet, type QueryParams } from './kube-fetch.js';

const RESPONSE_TIMEOUT_MS = 30_000;

/**
 * A watch stream over the shared API-server connection pool. client-node 2.x's `Watch` aborts every
 * watch 30 s after it starts (its request timeout also covers the streamed body), which would turn
 * the server-side `timeoutSeconds` of 5–10 minutes into a re-watch every 30 s per informer. Here the
 * 30 s bound covers only the wait for the response headers; a stream that goes quiet is the
 * informer's watchdog's business. Malformed lines end the watch with an error (the informer then
 * watches again from the last resourceVersion) instead of being skipped silently.
 */
export class StreamingWatch implements WatchLike {
  constructor(
    private readonly kc: KubeConfig,
    private readonly responseTimeoutMs = RESPONSE_TIMEOUT_MS,
  ) {}

  watch(
    path: string,
    queryParams: QueryParams,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<{ abort(): void }> {
    const controller = new AbortController();
    let ended = false;
    const end = (err: unknown): void => {
      if (ended) return;
      ended = true;
      controller.abort();
      done(err);
    };
    this.stream(path, queryParams, controller, callback).then(
      () => end(null),
      (err: unknown) => end(controller.signal.aborted && !isTimeout(controller.signal.reason) ? null : err),
    );
    return Promise.resolve({ abort: () => controller.abort() });
  }

  private async stream(
    path: string,
    query: QueryParams,
    controller: AbortController,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
  ): Promise<void> {
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no response to watch ${path}`, 'TimeoutError')),
      this.responseTimeoutMs,
    );
    let res;
    try {
      res = await kubeGet(this.kc, path, { ...query, watch: true }, controller.signal);
    } finally {
      clearTimeout(timer);
    }
    await expectOk(res, `WATCH ${path}`);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!line.trim()) continue;
        const event = JSON.parse(line) as { type: string; object: unknown };
        callback(event.type, event.object, event);
      }
    }
  }
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof DOMException && reason.name === 'TimeoutError';
}
