import {
  PatchStrategy,
  setHeaderOptions,
  type CustomObjectsApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { CustomObjectRef } from './finalizers.js';
import { realClock, type Clock } from './clock.js';
import { createMergePatch, isJsonObject, jsonEqual, toJson } from './json.js';

type StatusApi = Pick<
  CustomObjectsApi,
  'patchNamespacedCustomObjectStatus' | 'patchClusterCustomObjectStatus'
>;

export interface GroupVersionPlural {
  group: string;
  version: string;
  plural: string;
}

export interface StatusPatcherOptions {
  /**
   * `patchOrDefer` writes a progress-only change — one that leaves `conditions` and
   * `observedGeneration` alone, such as a member count or a sync time — at most once per this
   * interval per object (default 0: no limit). Under churn this keeps status writes from doubling
   * the API server's write load, as the EndpointSlice controller's batch period does.
   */
  progressIntervalMs?: number;
  clock?: Clock;
}

export interface PatchOutcome {
  written: boolean;
  /** A progress-only change was held back: reconcile again after this long to write it. */
  retryAfterMs?: number;
}

/** Fields whose change is news, not progress: written at once. */
const SIGNIFICANT = ['conditions', 'observedGeneration'];

/**
 * Writes `/status` with a JSON merge patch, and only when the desired status differs from the
 * one on the cached object: a steady-state reconcile must cost zero writes (and a write would
 * trigger another watch event and reconcile).
 */
export class StatusPatcher {
  private readonly progressIntervalMs: number;
  private readonly clock: Clock;
  /** Last write per object (namespace/name), for the progress interval. */
  private readonly lastWrite = new Map<string, number>();

  constructor(
    private readonly api: StatusApi,
    private readonly gvp: GroupVersionPlural,
    opts: StatusPatcherOptions = {},
  ) {
    this.progressIntervalMs = opts.progressIntervalMs ?? 0;
    this.clock = opts.clock ?? realClock;
  }

  /** Returns true if a patch was sent. */
  async patch(cached: KubernetesObject & { status?: unknown }, desired: unknown): Promise<boolean> {
    return (await this.write(cached, desired, false)).written;
  }

  /** Like `patch`, but holds back a progress-only change written less than the interval ago. */
  patchOrDefer(cached: KubernetesObject & { status?: unknown }, desired: unknown): Promise<PatchOutcome> {
    return this.write(cached, desired, true);
  }

  private async write(
    cached: KubernetesObject & { status?: unknown },
    desired: unknown,
    throttle: boolean,
  ): Promise<PatchOutcome> {
    const from = toJson(cached.status ?? {});
    const to = toJson(desired);
    if (jsonEqual(from, to)) return { written: false };
    const patch = createMergePatch(from, to);
    const key = `${cached.metadata?.namespace ?? ''}/${cached.metadata?.name ?? ''}`;
    const now = this.clock.now();
    if (throttle && this.progressIntervalMs > 0) {
      this.forgetOld(now);
      const last = this.lastWrite.get(key);
      const progressOnly = isJsonObject(patch) && !SIGNIFICANT.some((k) => k in patch);
      if (progressOnly && last !== undefined && now - last < this.progressIntervalMs) {
        return { written: false, retryAfterMs: last + this.progressIntervalMs - now };
      }
    }
    const body = { status: patch };
    const ref: CustomObjectRef = {
      ...this.gvp,
      name: cached.metadata?.name ?? '',
      namespace: cached.metadata?.namespace,
    };
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const { namespace, ...rest } = ref;
    if (namespace) await this.api.patchNamespacedCustomObjectStatus({ ...rest, namespace, body }, options);
    else await this.api.patchClusterCustomObjectStatus({ ...rest, body }, options);
    if (this.progressIntervalMs > 0) this.lastWrite.set(key, now);
    return { written: true };
  }

  /** Entries older than the interval no longer hold anything back. */
  private forgetOld(now: number): void {
    if (this.lastWrite.size < 1024) return;
    for (const [key, at] of this.lastWrite)
      if (now - at >= this.progressIntervalMs) this.lastWrite.delete(key);
  }
}
