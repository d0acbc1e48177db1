/**
 * Builds CMDB and monitor URL paths. mkeys are percent-encoded completely (`/`, space, `:`, `%`),
 * and names that a URL parser would fold away (`.`, `..`, empty) are refused: sent, they would
 * address the collection instead — and a DELETE on the collection purges the whole table.
 */
export function encodeMkey(mkey: string): string {
  assertUsableMkey(mkey);
  return encodeURIComponent(mkey);
}

export function assertUsableMkey(mkey: unknown): asserts mkey is string {
  if (typeof mkey !== 'string' || mkey === '' || mkey === '.' || mkey === '..') {
    throw new TypeError(`refusing to address an entry by the mkey ${JSON.stringify(mkey)}`);
  }
}

export interface EntryTarget {
  api: 'cmdb' | 'monitor';
  /** `firewall/address`, `system/status`, or '' for the CMDB root (transactions). */
  table: string;
  mkey?: string;
  child?: { name: string; mkey?: string };
}

export function buildPath(target: EntryTarget): string {
  let path = `/api/v2/${target.api}`;
  if (target.table !== '') path += `/${target.table}`;
  if (target.mkey !== undefined) path += `/${encodeMkey(target.mkey)}`;
  if (target.child) {
    path += `/${target.child.name}`;
    if (target.child.mkey !== undefined) path += `/${encodeMkey(target.child.mkey)}`;
  }
  return path;
}
