export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Drops `undefined` members (and turns Dates into strings) exactly as the wire format would. */
export function toJson(value: unknown): JsonValue {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue);
}

export function isJsonObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values (object key order does not matter, array order does). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * RFC 7386 merge patch turning `from` into `to`: changed members are set, removed members become
 * null (a plain `{status: desired}` would leave fields that vanished from desired in place).
 */
export function createMergePatch(from: JsonValue | undefined, to: JsonValue): JsonValue {
  if (!isJsonObject(from) || !isJsonObject(to)) return to;
  const patch: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    if (jsonEqual(old, value)) continue;
    patch[key] = isJsonObject(old) && isJsonObject(value) ? createMergePatch(old, value) : value;
  }
  return patch;
}
