import { parseFilterClause } from '../fortigate/filter.js';
import type { FilterExpr } from '../fortigate/filter.js';
import { isJsonObject } from './model/json.js';
import type { JsonObject, JsonValue } from './model/json.js';

/** Parsed `filter=` parameters: the outer list is ANDed, each inner list ORed. */
export type FilterClauses = FilterExpr[][];

/** Parses every `filter=` value; undefined when one is malformed. */
export function parseFilters(values: readonly string[]): FilterClauses | undefined {
  const clauses: FilterClauses = [];
  for (const value of values) {
    const clause = parseFilterClause(value);
    if (!clause) return undefined;
    clauses.push(clause);
  }
  return clauses;
}

function scalarText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The texts a field offers for matching: a reference list offers the name of each element. */
function fieldTexts(entry: JsonObject, field: string): string[] {
  const value = entry[field];
  if (Array.isArray(value))
    return value.map((item) => (isJsonObject(item) ? scalarText(item.name) : scalarText(item)));
  return [scalarText(value)];
}

function compareOrdered(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function matchesPositive(text: string, expr: FilterExpr): boolean {
  switch (expr.op) {
    case '==':
    case '!=':
      return text === expr.value;
    case '=*':
      return text.toLowerCase() === expr.value.toLowerCase();
    case '=@':
    case '!@':
      // [guess] substring matching ignores case, like the GUI search.
      return text.toLowerCase().includes(expr.value.toLowerCase());
    case '<':
      return compareOrdered(text, expr.value) < 0;
    case '<=':
      return compareOrdered(text, expr.value) <= 0;
    case '>':
      return compareOrdered(text, expr.value) > 0;
    case '>=':
      return compareOrdered(text, expr.value) >= 0;
  }
}

export function matchesExpr(entry: JsonObject, expr: FilterExpr): boolean {
  const texts = fieldTexts(entry, expr.field);
  const any = texts.some((text) => matchesPositive(text, expr));
  return expr.op === '!=' || expr.op === '!@' ? !any : any;
}

export function matchesFilters(entry: JsonObject, clauses: FilterClauses): boolean {
  return clauses.every((clause) => clause.some((expr) => matchesExpr(entry, expr)));
}
