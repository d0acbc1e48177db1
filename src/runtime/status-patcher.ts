import {
  PatchStrategy,
  setHeaderOptions,
  type CustomObjectsApi,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { CustomObjectRef } from './finalizers.js';
import { createMergePatch, jsonEqual, toJson } from './json.js';

type StatusApi = Pick<
  CustomObjectsApi,
  'patchNamespacedCustomObjectStatus' | 'patchClusterCustomObjectStatus'
>;

export interface GroupVersionPlural {
  group: string;
  version: string;
  plural: string;
}

/**
 * Writes `/status` with a JSON merge patch, and only when the desired status differs from the
 * one on the cached object: a steady-state reconcile must cost zero writes (and a write would
 * trigger another watch event and reconcile).
 */
export class StatusPatcher {
  constructor(
    private readonly api: StatusApi,
    private readonly gvp: GroupVersionPlural,
  ) {}

  /** Returns true if a patch was sent. */
  async patch(cached: KubernetesObject & { status?: unknown }, desired: unknown): Promise<boolean> {
    const from = toJson(cached.status ?? {});
    const to = toJson(desired);
    if (jsonEqual(from, to)) return false;
    const body = { status: createMergePatch(from, to) };
    const ref: CustomObjectRef = {
      ...this.gvp,
      name: cached.metadata?.name ?? '',
      namespace: cached.metadata?.namespace,
    };
    const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const { namespace, ...rest } = ref;
    if (namespace) await this.api.patchNamespacedCustomObjectStatus({ ...rest, namespace, body }, options);
    else await this.api.patchClusterCustomObjectStatus({ ...rest, body }, options);
    return true;
  }
}
