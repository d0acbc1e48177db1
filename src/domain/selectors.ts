import type { LabelSelector } from '../api/v1alpha1/common.js';

/** Kubernetes label selector semantics; an empty selector matches everything. */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(l, req.key);
    const value = l[req.key];
    switch (req.operator) {
      case 'In':
        if (!present || !(req.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (present && (req.values ?? []).includes(value as string)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}

/** Glob with `*` (any run) and `?` (one character), anchored, case-sensitive like FortiOS names. */
export function matchesGlob(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}
