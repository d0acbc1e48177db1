import type { JsonObject, JsonValue } from '../model/json.js';
import { FMG, fail } from './codes.js';
import { parseSubnet } from './objects.js';

/** The `params[i]` of a request, as far as reads use it. */
export interface GetParams {
  fields?: JsonValue;
  filter?: JsonValue;
  range?: JsonValue;
  option?: JsonValue;
  loadsub?: JsonValue;
}

export interface ReadHooks {
  /** Whether something references the entry (`get used`, `object used`). */
  used?: (entry: JsonObject) => boolean;
  /** `_modified timestamp` and `_last-modified-by` for `option: "extra info"`. */
  extra?: (entry: JsonObject) => JsonObject;
  /** Turns symbolic enums into FMG's numbers when the request was not verbose. */
  render: (entry: JsonObject) => JsonObject;
  /** Sub-tables left out with `loadsub: 0` or `option: "no loadsub"`. */
  subTables?: readonly string[];
}

const USED_FLAG = 'obj flags';

/** A table read: filter, range, option (count, get used, extra info, no loadsub), fields. */
export function readTable(entries: readonly JsonObject[], params: GetParams, hooks: ReadHooks): JsonValue {
  const options = optionList(params.option);
  const annotated = entries.map((e) => withComputed(e, hooks));
  const filtered =
    params.filter === undefined ? annotated : annotated.filter((e) => matches(e, params.filter));
  if (options.has('count')) return filtered.length;
  const ranged = applyRange(filtered, params.range);
  return ranged.map((e) => shape(e, params, options, hooks));
}

/** One entry read (an object URL). */
export function readEntry(entry: JsonObject, params: GetParams, hooks: ReadHooks): JsonObject {
  return shape(withComputed(entry, hooks), params, optionList(params.option), hooks);
}

function withComputed(entry: JsonObject, hooks: ReadHooks): JsonObject {
  if (!hooks.used) return entry;
  return { ...entry, [USED_FLAG]: hooks.used(entry) ? 1 : 0 };
}

function shape(entry: JsonObject, params: GetParams, options: Set<string>, hooks: ReadHooks): JsonObject {
  let out: JsonObject = hooks.render(structuredClone(entry));
  if (!options.has('get used')) delete out[USED_FLAG];
  if (options.has('extra info') && hooks.extra) out = { ...out, ...hooks.extra(entry) };
  if (params.loadsub === 0 || options.has('no loadsub'))
    for (const sub of hooks.subTables ?? []) delete out[sub];
  const fields = params.fields;
  if (Array.isArray(fields) && fields.length > 0) {
    const keep = new Set(fields.filter((f): f is string => typeof f === 'string'));
    // The key always comes back, as FMG answers it.
    keep.add('name');
    keep.add('policyid');
    keep.add(USED_FLAG);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  return out;
}

function optionList(option: JsonValue | undefined): Set<string> {
  if (option === undefined || option === null) return new Set();
  const items = Array.isArray(option) ? option : [option];
  return new Set(items.filter((o): o is string => typeof o === 'string'));
}

function applyRange(entries: JsonObject[], range: JsonValue | undefined): JsonObject[] {
  if (range === undefined) return entries;
  if (!Array.isArray(range) || range.length === 0 || !range.every((n) => typeof n === 'number'))
    return fail(FMG.invalidData, 'range');
  const [offset, count] = range as number[];
  return entries.slice(offset, count === undefined ? undefined : (offset as number) + count);
}

/**
 * FMG filters: `[attr, op, value…]`, or such lists joined by `"&&"` / `"||"` (`&&` binds
 * tighter). Operators: == != < <= > >= like !like contain in. `object used` is the computed flag.
 */
export function matches(entry: JsonObject, filter: JsonValue | undefined): boolean {
  if (!Array.isArray(filter) || filter.length === 0) return fail(FMG.invalidData, 'filter');
  if (typeof filter[0] === 'string') return condition(entry, filter);
  const alternatives: JsonValue[][] = [[]];
  for (let i = 0; i < filter.length; i++) {
    const item = filter[i] as JsonValue;
    if (i % 2 === 1) {
      if (item === '||') alternatives.push([]);
      else if (item !== '&&') fail(FMG.invalidData, `filter joiner ${JSON.stringify(item)}`);
    } else (alternatives[alternatives.length - 1] as JsonValue[]).push(item);
  }
  return alternatives.some((all) => all.length > 0 && all.every((c) => matches(entry, c)));
}

function condition(entry: JsonObject, cond: JsonValue[]): boolean {
  const [attr, op, ...values] = cond as [string, JsonValue, ...JsonValue[]];
  if (typeof op !== 'string' || values.length === 0) return fail(FMG.invalidData, 'filter');
  const actual = attr === 'object used' ? entry[USED_FLAG] : entry[attr];
  const expected = values[0] as JsonValue;
  switch (op) {
    case '==':
      return equal(attr, actual, expected);
    case '!=':
      return !equal(attr, actual, expected);
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, actual, expected);
    case 'like':
      return like(actual, expected);
    case '!like':
      return !like(actual, expected);
    case 'contain':
      return Array.isArray(actual)
        ? actual.some((a) => equal(attr, a, expected))
        : typeof actual === 'string' && typeof expected === 'string' && actual.includes(expected);
    case 'in':
      return values.flat().some((v) => equal(attr, actual, v));
    default:
      return fail(FMG.invalidData, `filter operator ${op}`);
  }
}

function equal(attr: string, actual: JsonValue | undefined, expected: JsonValue): boolean {
  if (attr === 'subnet') {
    try {
      return JSON.stringify(parseSubnet(actual ?? '')) === JSON.stringify(parseSubnet(expected));
    } catch {
      return false;
    }
  }
  if (Array.isArray(actual) && !Array.isArray(expected)) return actual.length === 1 && actual[0] === expected;
  return JSON.stringify(actual) === JSON.stringify(expected) || String(actual) === String(expected);
}

function compare(op: string, actual: JsonValue | undefined, expected: JsonValue): boolean {
  const a = Number(actual);
  const b = Number(expected);
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}

/** SQL LIKE: `%` any run, `_` one character, case-insensitive. */
function like(actual: JsonValue | undefined, pattern: JsonValue): boolean {
  if (typeof pattern !== 'string') return false;
  const text = Array.isArray(actual) ? actual.join(' ') : actual === undefined ? '' : String(actual);
  const source = pattern
    .split('')
    .map((ch) => (ch === '%' ? '.*' : ch === '_' ? '.' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 'is').test(text);
}
