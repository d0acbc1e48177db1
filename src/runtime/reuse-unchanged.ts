import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from './store.js';

/** An object's resourceVersion; undefined when absent or empty. */
export function resourceVersionOf(obj: unknown): string | undefined {
  const rv = (obj as KubernetesObject | undefined)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/**
 * Decodes a listed object unless the cache already holds it at the same resourceVersion, in which case
 * the cached one is returned. A relist (after a 410), paged or streamed, then decodes only the objects
 * that changed: at 150,000 pods a second full copy of the cache would not fit beside the first.
 */
export function reuseUnchanged<T extends KubernetesObject>(
  cached: (key: string) => T | undefined,
  decode: (raw: unknown) => T,
  keyFn: (obj: T) => string = objectKey,
): (raw: unknown) => T {
  return (raw) => {
    const rv = resourceVersionOf(raw);
    if (rv !== undefined && typeof (raw as KubernetesObject).metadata?.name === 'string') {
      const known = cached(keyFn(raw as T));
      if (known !== undefined && resourceVersionOf(known) === rv) return known;
    }
    return decode(raw);
  };
}
