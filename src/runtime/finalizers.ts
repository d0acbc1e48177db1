import {
  PatchStrategy,
  setHeaderOptions,
  type CustomObjectsApi,
  type KubernetesObject,
} from '@kubernetes/client-node';

export type JsonPatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** Identifies one custom object for the CustomObjectsApi. */
export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  /** Omit for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

export function hasFinalizer(obj: KubernetesObject, finalizer: string): boolean {
  return obj.metadata?.finalizers?.includes(finalizer) ?? false;
}

/**
 * JSON Patch adding `finalizer`, or undefined if it is already there. The `test` op makes the
 * patch fail (HTTP 422) if the finalizers changed since `obj` was read, so a concurrent writer's
 * finalizer is never overwritten. With no finalizers array there is nothing to test, so the
 * resourceVersion guards the write instead.
 */
export function addFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  const current = obj.metadata?.finalizers;
  if (current?.includes(finalizer)) return undefined;
  if (current) {
    return [
      { op: 'test', path: '/metadata/finalizers', value: current },
      { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
    ];
  }
  const rv = obj.metadata?.resourceVersion;
  return [
    ...(rv ? [{ op: 'test' as const, path: '/metadata/resourceVersion', value: rv }] : []),
    { op: 'add', path: '/metadata/finalizers', value: [finalizer] },
  ];
}

/** JSON Patch removing every occurrence of `finalizer`, or undefined if absent; guarded like add. */
export function removeFinalizerPatch(obj: KubernetesObject, finalizer: string): JsonPatchOp[] | undefined {
  const current = obj.metadata?.finalizers ?? [];
  const indexes = current.flatMap((f, i) => (f === finalizer ? [i] : []));
  if (indexes.length === 0) return undefined;
  return [
    { op: 'test', path: '/metadata/finalizers', value: current },
    // Highest index first so earlier removals do not shift later ones.
    ...indexes.reverse().map((i): JsonPatchOp => ({ op: 'remove', path: `/metadata/finalizers/${i}` })),
  ];
}

type PatchApi = Pick<CustomObjectsApi, 'patchNamespacedCustomObject' | 'patchClusterCustomObject'>;

/** Sends a JSON Patch to a custom object; returns the patched object. */
export async function applyJsonPatch(
  api: PatchApi,
  ref: CustomObjectRef,
  ops: JsonPatchOp[],
): Promise<unknown> {
  const options = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  const { namespace, ...rest } = ref;
  return namespace
    ? api.patchNamespacedCustomObject({ ...rest, namespace, body: ops }, options)
    : api.patchClusterCustomObject({ ...rest, body: ops }, options);
}

/** Adds `finalizer` if missing. Returns true if a write happened. A 422 means "re-read and retry". */
export async function ensureFinalizer(
  api: PatchApi,
  ref: CustomObjectRef,
  obj: KubernetesObject,
  finalizer: string,
): Promise<boolean> {
  const ops = addFinalizerPatch(obj, finalizer);
  if (!ops) return false;
  await applyJsonPatch(api, ref, ops);
  return true;
}

/** Removes `finalizer` if present. Returns true if a write happened. */
export async function removeFinalizer(
  api: PatchApi,
  ref: CustomObjectRef,
  obj: KubernetesObject,
  finalizer: string,
): Promise<boolean> {
  const ops = removeFinalizerPatch(obj, finalizer);
  if (!ops) return false;
  await applyJsonPatch(api, ref, ops);
  return true;
}
