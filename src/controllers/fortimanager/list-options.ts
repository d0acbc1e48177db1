import type { ListOptions } from '../../fortigate/client.js';
import type { FilterExpr } from '../../fortigate/filter.js';
import type { Filter, FilterCondition, ListOptions as FmgListOptions } from '../../fortimanager/index.js';

/** `%` and `_` are LIKE wildcards; FMG documents no escape for them, so such values are not filtered on. */
const LIKE_WILDCARD = /[%_]/;

function condition(e: FilterExpr): FilterCondition | undefined {
  if (e.op === '==') return [e.field, '==', e.value];
  if (e.op === '=@' && !LIKE_WILDCARD.test(e.value)) return [e.field, 'like', `%${e.value}%`];
  return undefined;
}

/**
 * A FortiOS list query as FMG JSON-RPC `get` parameters: `format` becomes `fields`; a filter of one
 * `==` or `=@` (contains) term becomes `[field, "==" | "like", …]`, one of several `==` terms (an OR)
 * those conditions joined by `"||"`. Any other filter is dropped and
 * the whole table read: every caller checks what it reads (ownership on the exact marker), so a
 * wider read is only slower, never wrong.
 */
export function fmgListOptions(options: ListOptions): FmgListOptions {
  const out: { filter?: Filter; fields?: readonly string[] } = {};
  if (options.format?.length) out.fields = options.format;
  const f = options.filter;
  if (f && f.length === 1 && typeof f[0] !== 'string') {
    const terms = f[0] as readonly FilterExpr[];
    if (terms.length === 1) {
      const c = condition(terms[0] as FilterExpr);
      if (c) out.filter = c;
    } else if (terms.length > 1 && terms.every((t) => t.op === '==')) {
      // An OR of equalities (the ownership re-read of a batch of names): conditions joined by `||`.
      out.filter = terms.flatMap((t, i) => [
        ...(i > 0 ? ['||' as const] : []),
        [t.field, '==', t.value] as const,
      ]);
    }
  }
  return out;
}
