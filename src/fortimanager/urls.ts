import type { ObjectTable } from './types.js';

/**
 * A name as FMG expects it inside a `url`: `/` is written `\/`, everything else as is (the url
 * travels inside the JSON body, not in an HTTP path). Empty names and `.`/`..` never reach FMG: a
 * url ending at the table would address the whole table.
 */
export function escapeName(name: string): string {
  if (name === '' || name === '.' || name === '..')
    throw new TypeError(`unusable object name ${JSON.stringify(name)}`);
  return name.replaceAll('/', '\\/');
}

/** `pm/config/adom/<adom>` or `pm/config/global` for the global ADOM. */
export function adomConfigBase(adom: string): string {
  return adom === 'global' ? 'pm/config/global' : `pm/config/adom/${escapeName(adom)}`;
}

export function objectUrl(adom: string, table: ObjectTable, name?: string): string {
  const base = `${adomConfigBase(adom)}/obj/${table}`;
  return name === undefined ? base : `${base}/${escapeName(name)}`;
}

export function memberUrl(adom: string, table: ObjectTable, group: string): string {
  return `${objectUrl(adom, table, group)}/member`;
}

/** `dvmdb/adom/<adom>/workspace/<op>`, or `dvmdb/global/…` for the global ADOM. */
export function workspaceUrl(adom: string, op: 'lock' | 'unlock' | 'commit' | 'lockinfo' | 'dirty'): string {
  const base = adom === 'global' ? 'dvmdb/global' : `dvmdb/adom/${escapeName(adom)}`;
  return `${base}/workspace/${op}`;
}

export function adomUrl(adom: string): string {
  return `dvmdb/adom/${escapeName(adom)}`;
}

export function packageUrl(adom: string, pkg?: string): string {
  const base = `pm/pkg/adom/${escapeName(adom)}`;
  return pkg === undefined ? base : `${base}/${escapeName(pkg)}`;
}

export function policyUrl(adom: string, pkg: string): string {
  return `${adomConfigBase(adom)}/pkg/${escapeName(pkg)}/firewall/policy`;
}

/** The `obj` argument of a where-used search: `adom/<a>/obj/firewall/addrgrp`. */
export function whereUsedObj(adom: string, table: ObjectTable): string {
  return adom === 'global' ? `global/obj/${table}` : `adom/${adom}/obj/${table}`;
}
