/** FortiOS filter operators: `==` is case-sensitive, `=*` case-insensitive equality, `=@` contains. */
export type FilterOp = '==' | '=*' | '!=' | '=@' | '!@' | '<' | '<=' | '>' | '>=';

export interface FilterExpr {
  field: string;
  op: FilterOp;
  value: string;
}

/** Longest operators first so `<=` is not read as `<` followed by `=`. */
const OPERATORS: readonly FilterOp[] = ['==', '=*', '!=', '=@', '!@', '<=', '>=', '<', '>'];
const FIELD_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Backslash-escapes the characters FortiOS treats specially inside a filter value. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\,.]/g, (ch) => `\\${ch}`);
}

export function formatFilterExpr(expr: FilterExpr): string {
  if (!FIELD_PATTERN.test(expr.field)) throw new RangeError(`invalid filter field: ${expr.field}`);
  return `${expr.field}${expr.op}${escapeFilterValue(expr.value)}`;
}

/**
 * One `filter=` query value per inner array: the terms of an inner array are ORed (commas), the
 * inner arrays are ANDed (repeated `filter=`). Strings pass through as already formatted filters.
 */
export function buildFilterParams(filter: readonly (readonly FilterExpr[])[] | readonly string[]): string[] {
  return filter.map((clause) =>
    typeof clause === 'string' ? clause : clause.map((expr) => formatFilterExpr(expr)).join(','),
  );
}

/** Splits on commas that are not escaped; keeps escapes in place for the term parser. */
function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeValue(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Parses one `filter=` value into its OR terms; undefined when a term has no known operator. */
export function parseFilterClause(text: string): FilterExpr[] | undefined {
  const terms: FilterExpr[] = [];
  for (const term of splitUnescaped(text)) {
    const field = /^[A-Za-z0-9_-]+/.exec(term)?.[0];
    if (!field) return undefined;
    const rest = term.slice(field.length);
    const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
    if (!op) return undefined;
    terms.push({ field, op, value: unescapeValue(rest.slice(op.length)) });
  }
  return terms;
}
