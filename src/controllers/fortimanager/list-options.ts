import type { ListOptions } from '../../fortigate/client.js';
import type { FilterExpr } from '../../fortigate/filter.js';
import type { FilterCondition, ListOptions as FmgListOptions } from '../../fortimanager/index.js';

/** `%` and `_` are LIKE wildcards; FMG documents no escape for them, so such values are not filtered on. */
const LIKE_WILDCARD = /[%_]/;

function condition(e: FilterExpr): FilterCondition | undefined {
  if (e.op === '==') return [e.field, '==', e.value];
  if (e.op === '=@' && !LIKE_WILDCARD.test(e.value)) return [e.field, 'like', `%${e.value}%`];
  return undefined;
}

/**
 * A FortiOS list query as FMG JSON-RPC `get` parameters: `format` becomes `fields`; a filter of one
 * `==` or `=@` (contains) term becomes `[field, "==" | "like", …]`. Any other filter is dropped and
 * the whole table read: every caller checks what it reads (ownership on the exact marker), so a
 * wider read is only slower, never wrong.
 */
export function fmgListOptions(options: ListOptions): FmgListOptions {
  const out: { filter?: FilterCondition; fields?: readonly string[] } = {};
  if (options.format?.length) out.fields = options.format;
  const f = options.filter;
  if (f && f.length === 1 && typeof f[0] !== 'string') {
    const terms = f[0] as readonly FilterExpr[];
    const c = terms.length === 1 ? condition(terms[0] as FilterExpr) : undefined;
    if (c) out.filter = c;
  }
  return out;
}
