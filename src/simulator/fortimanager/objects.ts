import { isIPv4 } from 'node:net';
import { formatIPv6Prefix, parseIPv4Subnet, parseIPv6Prefix } from '../../fortigate/subnet.js';
import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { FMG, fail } from './codes.js';

export type ObjTable = 'firewall/address' | 'firewall/address6' | 'firewall/addrgrp' | 'firewall/addrgrp6';
type Family = 4 | 6;

interface ObjTableDef {
  kind: 'address' | 'group';
  family: Family;
  /** How FMG names the table in messages and where-used answers. */
  label: string;
}

export const OBJ_TABLES: Record<ObjTable, ObjTableDef> = {
  'firewall/address': { kind: 'address', family: 4, label: 'firewall address' },
  'firewall/address6': { kind: 'address', family: 6, label: 'firewall address6' },
  'firewall/addrgrp': { kind: 'group', family: 4, label: 'firewall addrgrp' },
  'firewall/addrgrp6': { kind: 'group', family: 6, label: 'firewall addrgrp6' },
};

export function isObjTable(name: string): name is ObjTable {
  return Object.hasOwn(OBJ_TABLES, name);
}

/** Addresses and groups of one family share one name space (so do VIPs, not simulated). */
function namespaceOf(family: Family): [ObjTable, ObjTable] {
  return family === 4 ? ['firewall/address', 'firewall/addrgrp'] : ['firewall/address6', 'firewall/addrgrp6'];
}

const POLICY_REFS: readonly { attr: string; family: Family }[] = [
  { attr: 'srcaddr', family: 4 },
  { attr: 'dstaddr', family: 4 },
  { attr: 'srcaddr6', family: 6 },
  { attr: 'dstaddr6', family: 6 },
];

export interface PolicyPackage {
  name: string;
  oid: number;
  /** Installation targets (`scope member`). */
  scope: { name: string; vdom: string }[];
  /** Array order is evaluation order. */
  policies: JsonObject[];
}

export interface Usage {
  attr: string;
  mapping_name: string;
  mkey: string | number;
  pkg?: { name: string };
}

export interface AdomContext {
  /** FortiOS ≥ 7.2 ADOMs accept empty groups; older ones answer -9998. */
  emptyGroupsAllowed: () => boolean;
  nextOid: () => number;
  newUuid: () => string;
  now: () => number;
}

export const NAME_MAX = 79;
const COMMENT_MAX = 255;
const FORBIDDEN_NAME_CHARS = /["'<>]/;
const BUILTINS: Record<ObjTable, JsonObject[]> = {
  'firewall/address': [
    { name: 'all', type: 'ipmask', subnet: ['0.0.0.0', '0.0.0.0'] },
    { name: 'none', type: 'ipmask', subnet: ['0.0.0.0', '255.255.255.255'] },
  ],
  'firewall/address6': [
    { name: 'all', type: 'ipprefix', ip6: '::/0' },
    { name: 'none', type: 'ipprefix', ip6: '::/128' },
  ],
  'firewall/addrgrp': [],
  'firewall/addrgrp6': [],
};
const BUILTIN_NAMES = new Set(['all', 'none']);

/** One ADOM's object database: address tables, policy packages and who last changed what. */
export class AdomDb {
  private tables: Record<ObjTable, Map<string, JsonObject>>;
  packages = new Map<string, PolicyPackage>();
  private modified = new Map<string, { time: number; user: string }>();

  constructor(
    private readonly ctx: AdomContext,
    withBuiltins = true,
  ) {
    this.tables = {
      'firewall/address': new Map(),
      'firewall/address6': new Map(),
      'firewall/addrgrp': new Map(),
      'firewall/addrgrp6': new Map(),
    };
    if (!withBuiltins) return;
    for (const [table, entries] of Object.entries(BUILTINS) as [ObjTable, JsonObject[]][]) {
      for (const entry of entries) this.insert(table, this.complete(table, entry), 'system');
    }
  }

  clone(): AdomDb {
    const copy = new AdomDb(this.ctx, false);
    copy.tables = structuredClone(this.tables);
    copy.packages = structuredClone(this.packages);
    copy.modified = new Map(this.modified);
    return copy;
  }

  list(table: ObjTable): JsonObject[] {
    return [...this.tables[table].values()];
  }

  find(table: ObjTable, name: string): JsonObject | undefined {
    return this.tables[table].get(name);
  }

  mustFind(table: ObjTable, name: string): JsonObject {
    return this.find(table, name) ?? fail(FMG.notFound, `${OBJ_TABLES[table].label} ${name}`);
  }

  lastModified(table: ObjTable, name: string): { time: number; user: string } | undefined {
    return this.modified.get(`${table}\u0000${name}`);
  }

  /** `add`: create, -2 when the name is taken in the address/group name space. */
  add(table: ObjTable, data: JsonValue | undefined, user: string): string {
    const body = objectBody(data);
    const name = validName(body.name);
    this.assertNameFree(table, name);
    this.insert(table, this.build(table, {}, body, name), user);
    return name;
  }

  /** `set` on a table: create, or overwrite the entry of that name (fields not given reset). */
  set(table: ObjTable, data: JsonValue | undefined, user: string, mustExist = false): string {
    const body = objectBody(data);
    const name = validName(body.name);
    const existing = this.find(table, name);
    if (!existing) {
      if (mustExist) fail(FMG.notFound, `${OBJ_TABLES[table].label} ${name}`);
      return this.add(table, body, user);
    }
    const keep = { uuid: existing.uuid ?? null, oid: existing.oid ?? null } as JsonObject;
    this.insert(table, this.build(table, keep, body, name), user);
    return name;
  }

  /** `update`: patch the entry; `data.name` renames it, and references follow (FMG keeps oids). */
  update(table: ObjTable, name: string, data: JsonValue | undefined, user: string): string {
    const existing = this.mustFind(table, name);
    const body = objectBody(data);
    const newName = body.name === undefined ? name : validName(body.name);
    if (newName !== name) {
      if (BUILTIN_NAMES.has(name)) fail(FMG.invalidData, `${name} is a built-in object`);
      this.assertNameFree(table, newName);
    }
    const next = this.build(table, existing, body, newName);
    if (newName !== name) {
      this.tables[table].delete(name);
      this.renameReferences(OBJ_TABLES[table].family, name, newName);
    }
    this.insert(table, next, user);
    return newName;
  }

  delete(table: ObjTable, name: string): void {
    this.mustFind(table, name);
    if (BUILTIN_NAMES.has(name)) fail(FMG.invalidData, `${name} is a built-in object`);
    if (this.usedBy(table, name).length > 0) fail(FMG.used);
    this.tables[table].delete(name);
    this.modified.delete(`${table}\u0000${name}`);
  }

  /** `clone`: a copy under `data.name` with the other fields of `data` applied. */
  cloneEntry(table: ObjTable, name: string, data: JsonValue | undefined, user: string): string {
    const existing = this.mustFind(table, name);
    const body = objectBody(data);
    const newName = validName(body.name);
    this.assertNameFree(table, newName);
    const base = { ...structuredClone(existing), uuid: null, oid: null } as JsonObject;
    this.insert(table, this.build(table, base, body, newName), user);
    return newName;
  }

  members(table: ObjTable, group: string): string[] {
    this.assertGroupTable(table);
    return [...(this.mustFind(table, group).member as string[])];
  }

  /** `add` on `…/addrgrp/<g>/member`: appends members, -2 for one already there. */
  memberAdd(table: ObjTable, group: string, data: JsonValue | undefined, user: string): void {
    const current = this.members(table, group);
    const names = nameList(data);
    for (const n of names) if (current.includes(n)) fail(FMG.exists, `member ${n}`);
    this.update(table, group, { member: [...current, ...names] }, user);
  }

  /** `delete` on `…/member`: removes the members named in `data`, -3 for one not there. */
  memberDelete(table: ObjTable, group: string, data: JsonValue | undefined, user: string): void {
    const current = this.members(table, group);
    const names = nameList(data);
    for (const n of names) if (!current.includes(n)) fail(FMG.notFound, `member ${n}`);
    this.update(table, group, { member: current.filter((m) => !names.includes(m)) }, user);
  }

  /** `unset` on `…/member` empties the group (-9998 where empty groups are refused). */
  memberUnset(table: ObjTable, group: string, user: string): void {
    this.members(table, group);
    this.update(table, group, { member: [] }, user);
  }

  /** Who references this entry: groups (as member) and policies of every package. */
  usedBy(table: ObjTable, name: string): Usage[] {
    const family = OBJ_TABLES[table].family;
    const usages: Usage[] = [];
    const groupTable = namespaceOf(family)[1];
    for (const group of this.tables[groupTable].values()) {
      for (const attr of ['member', 'exclude-member']) {
        if (asNames(group[attr]).includes(name))
          usages.push({ attr, mapping_name: OBJ_TABLES[groupTable].label, mkey: group.name as string });
      }
    }
    for (const pkg of this.packages.values()) {
      for (const policy of pkg.policies) {
        for (const ref of POLICY_REFS) {
          if (ref.family === family && asNames(policy[ref.attr]).includes(name)) {
            usages.push({
              attr: ref.attr,
              mapping_name: 'firewall policy',
              mkey: policy.policyid as number,
              pkg: { name: pkg.name },
            });
          }
        }
      }
    }
    return usages;
  }

  /** Names a policy references, resolved through groups (what an install must carry). */
  closure(family: Family, names: Iterable<string>): { addresses: Set<string>; groups: Set<string> } {
    const [addressTable, groupTable] = namespaceOf(family);
    const addresses = new Set<string>();
    const groups = new Set<string>();
    const visit = (name: string): void => {
      if (addresses.has(name) || groups.has(name)) return;
      if (this.find(addressTable, name)) addresses.add(name);
      const group = this.find(groupTable, name);
      if (!group) return;
      groups.add(name);
      for (const m of [...asNames(group.member), ...asNames(group['exclude-member'])]) visit(m);
    };
    for (const n of names) visit(n);
    return { addresses, groups };
  }

  // ---- policy packages ----

  addPackage(data: JsonValue | undefined, mustBeNew: boolean): string {
    const body = objectBody(data);
    const name = validName(body.name);
    if (mustBeNew && this.packages.has(name)) fail(FMG.exists, `package ${name}`);
    const existing = this.packages.get(name);
    const given = Array.isArray(body['scope member']) ? body['scope member'] : undefined;
    this.packages.set(name, {
      name,
      oid: existing?.oid ?? this.ctx.nextOid(),
      // A set without `scope member` keeps the installation targets.
      scope: given
        ? given.filter(isJsonObject).map((s) => ({ name: String(s.name), vdom: String(s.vdom ?? 'root') }))
        : (existing?.scope ?? []),
      policies: existing?.policies ?? [],
    });
    return name;
  }

  mustPackage(name: string): PolicyPackage {
    return this.packages.get(name) ?? fail(FMG.notFound, `package ${name}`);
  }

  policyAdd(pkgName: string, data: JsonValue | undefined): number {
    const pkg = this.mustPackage(pkgName);
    const body = objectBody(data);
    const id = body.policyid === undefined ? nextPolicyId(pkg) : Number(body.policyid);
    if (!Number.isInteger(id) || id < 1) fail(FMG.invalidData, 'policyid');
    if (pkg.policies.some((p) => p.policyid === id)) fail(FMG.exists, `policy ${id}`);
    pkg.policies.push(this.buildPolicy({ policyid: id, uuid: this.ctx.newUuid() }, body));
    return id;
  }

  policyUpdate(pkgName: string, id: number, data: JsonValue | undefined, overwrite: boolean): number {
    const pkg = this.mustPackage(pkgName);
    const at = pkg.policies.findIndex((p) => p.policyid === id);
    if (at < 0) fail(FMG.notFound, `policy ${id}`);
    const current = pkg.policies[at] as JsonObject;
    const base = overwrite ? { policyid: id, uuid: current.uuid ?? null } : current;
    pkg.policies[at] = this.buildPolicy(base as JsonObject, objectBody(data));
    return id;
  }

  policyDelete(pkgName: string, id: number): void {
    const pkg = this.mustPackage(pkgName);
    const at = pkg.policies.findIndex((p) => p.policyid === id);
    if (at < 0) fail(FMG.notFound, `policy ${id}`);
    pkg.policies.splice(at, 1);
  }

  // ---- internals ----

  private buildPolicy(base: JsonObject, body: JsonObject): JsonObject {
    const next: JsonObject = {
      name: '',
      status: 'enable',
      action: 'deny',
      srcintf: [],
      dstintf: [],
      srcaddr: [],
      dstaddr: [],
      srcaddr6: [],
      dstaddr6: [],
      service: [],
      schedule: 'always',
      logtraffic: 'utm',
      comments: '',
      ...structuredClone(base),
    };
    for (const [key, value] of Object.entries(body)) {
      if (key === 'policyid') continue;
      if (key === 'action') next.action = enumValue(value, ['deny', 'accept', 'ipsec'], key);
      else if (key === 'status') next.status = enumValue(value, ['disable', 'enable'], key);
      else if (Array.isArray(value) || typeof value === 'string') {
        next[key] = isListField(key) ? nameList(value) : value;
      } else next[key] = value;
    }
    for (const ref of POLICY_REFS) {
      for (const n of asNames(next[ref.attr]))
        this.assertReference(ref.family, n, `firewall policy.${ref.attr}`);
    }
    return next;
  }

  private insert(table: ObjTable, entry: JsonObject, user: string): void {
    entry.oid ??= this.ctx.nextOid();
    entry.uuid ??= this.ctx.newUuid();
    this.tables[table].set(entry.name as string, entry);
    this.modified.set(`${table}\u0000${entry.name as string}`, { time: this.ctx.now(), user });
  }

  private complete(table: ObjTable, entry: JsonObject): JsonObject {
    return this.build(table, {}, entry, entry.name as string);
  }

  /** Defaults, then `base`, then the request's fields, each checked; references must exist. */
  private build(table: ObjTable, base: JsonObject, body: JsonObject, name: string): JsonObject {
    const def = OBJ_TABLES[table];
    const next: JsonObject = { ...defaults(table), ...structuredClone(base), name };
    for (const [key, value] of Object.entries(body)) {
      if (key === 'name' || key === 'oid' || key === 'uuid') continue;
      next[key] = normaliseField(table, key, value);
    }
    if (def.kind === 'group') {
      const label = `${def.label}.${name}`;
      for (const attr of ['member', 'exclude-member']) {
        for (const m of asNames(next[attr])) {
          if (m === name) fail(FMG.invalidData, `${label}: a group cannot contain itself`);
          this.assertReference(def.family, m, `${label}:${attr}`);
        }
      }
      this.assertNoLoop(def.family, name, asNames(next.member));
      if (asNames(next.member).length === 0 && !this.ctx.emptyGroupsAllowed()) fail(FMG.emptyGroup);
    }
    return next;
  }

  private assertReference(family: Family, name: string, where: string): void {
    const [a, g] = namespaceOf(family);
    if (this.find(a, name) || this.find(g, name)) return;
    fail({
      code: FMG.badReference.code,
      message: `datasrc invalid. object: ${where}. detail: ${name}. solution: data not exist`,
    });
  }

  private assertNoLoop(family: Family, group: string, members: readonly string[]): void {
    const groupTable = namespaceOf(family)[1];
    const seen = new Set<string>();
    const stack = [...members];
    while (stack.length > 0) {
      const name = stack.pop() as string;
      if (name === group) fail(FMG.invalidData, `group ${group} would contain itself`);
      if (seen.has(name)) continue;
      seen.add(name);
      stack.push(...asNames(this.find(groupTable, name)?.member));
    }
  }

  private assertNameFree(table: ObjTable, name: string): void {
    for (const t of namespaceOf(OBJ_TABLES[table].family)) {
      if (this.find(t, name)) fail(FMG.exists, `${OBJ_TABLES[t].label} ${name}`);
    }
  }

  private assertGroupTable(table: ObjTable): void {
    if (OBJ_TABLES[table].kind !== 'group') fail(FMG.invalidUrl);
  }

  private renameReferences(family: Family, from: string, to: string): void {
    const swap = (list: JsonValue | undefined): JsonValue | undefined =>
      Array.isArray(list) ? list.map((n) => (n === from ? to : n)) : list;
    for (const group of this.tables[namespaceOf(family)[1]].values()) {
      group.member = swap(group.member) ?? [];
      if (group['exclude-member'] !== undefined)
        group['exclude-member'] = swap(group['exclude-member']) ?? [];
    }
    for (const pkg of this.packages.values()) {
      for (const policy of pkg.policies) {
        for (const ref of POLICY_REFS)
          if (ref.family === family) policy[ref.attr] = swap(policy[ref.attr]) ?? [];
      }
    }
  }
}

function defaults(table: ObjTable): JsonObject {
  switch (table) {
    case 'firewall/address':
      return {
        type: 'ipmask',
        subnet: ['0.0.0.0', '0.0.0.0'],
        comment: '',
        color: 0,
        'associated-interface': [],
        'allow-routing': 'disable',
        dynamic_mapping: null,
      };
    case 'firewall/address6':
      return { type: 'ipprefix', ip6: '::/0', comment: '', color: 0, dynamic_mapping: null };
    case 'firewall/addrgrp':
    case 'firewall/addrgrp6':
      return {
        member: [],
        comment: '',
        color: 0,
        'exclude-member': [],
        exclude: 'disable',
        dynamic_mapping: null,
      };
  }
}

const ADDRESS_TYPES = ['ipmask', 'iprange', 'fqdn', 'wildcard', 'geography', 'wildcard-fqdn', 'dynamic'];
/** FMG's numbers for the address types (what a get without verbose answers). */
export const ADDRESS_TYPE_NUMBERS: Record<string, number> = {
  ipmask: 0,
  iprange: 1,
  fqdn: 2,
  wildcard: 3,
  geography: 6,
  'wildcard-fqdn': 7,
  dynamic: 8,
};

function normaliseField(table: ObjTable, key: string, value: JsonValue): JsonValue {
  switch (key) {
    case 'subnet':
      return table === 'firewall/address' ? parseSubnet(value) : value;
    case 'ip6':
      return table === 'firewall/address6' ? parseIp6(value) : value;
    case 'type':
      return table === 'firewall/address' ? addressType(value) : value;
    case 'comment':
      if (typeof value !== 'string' || value.length > COMMENT_MAX) fail(FMG.invalidData, 'comment');
      return value;
    case 'color':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 32)
        fail(FMG.invalidData, 'color');
      return value;
    case 'member':
    case 'exclude-member':
    case 'associated-interface':
      return nameList(value);
    default:
      return value;
  }
}

function addressType(value: JsonValue): string {
  if (typeof value === 'number') {
    const name = Object.entries(ADDRESS_TYPE_NUMBERS).find(([, n]) => n === value)?.[0];
    if (name) return name;
  }
  if (typeof value === 'string' && ADDRESS_TYPES.includes(value)) return value;
  return fail(FMG.invalidData, 'type');
}

/** `a.b.c.d/nn`, `a.b.c.d m.m.m.m` or `[ip, mask]` → `[ip, mask]`, the form FMG answers with. */
export function parseSubnet(value: JsonValue): [string, string] {
  let text: string | undefined;
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
    text = `${value[0] as string} ${value[1] as string}`;
  else if (typeof value === 'string') text = value;
  const parsed = text === undefined ? undefined : parseIPv4Subnet(text);
  if (!parsed?.ok || !isIPv4(parsed.ip)) return fail(FMG.invalidData, 'subnet');
  return [parsed.ip, parsed.mask];
}

function parseIp6(value: JsonValue): string {
  const parsed = typeof value === 'string' ? parseIPv6Prefix(value) : undefined;
  if (!parsed?.ok) return fail(FMG.invalidData, 'ip6');
  return formatIPv6Prefix(parsed);
}

function enumValue(value: JsonValue, names: readonly string[], field: string): string {
  if (typeof value === 'number' && names[value] !== undefined) return names[value];
  if (typeof value === 'string' && names.includes(value)) return value;
  return fail(FMG.invalidData, field);
}

function isListField(key: string): boolean {
  return ['srcintf', 'dstintf', 'srcaddr', 'dstaddr', 'srcaddr6', 'dstaddr6', 'service'].includes(key);
}

function nextPolicyId(pkg: PolicyPackage): number {
  return pkg.policies.reduce((max, p) => Math.max(max, Number(p.policyid)), 0) + 1;
}

function validName(value: JsonValue | undefined): string {
  if (typeof value !== 'string' || value === '') return fail(FMG.invalidData, 'name is required');
  if (value.length > NAME_MAX || FORBIDDEN_NAME_CHARS.test(value)) return fail(FMG.invalidData, 'name');
  return value;
}

function objectBody(data: JsonValue | undefined): JsonObject {
  // Some clients (the howto's login) wrap a single object in a list.
  const body = Array.isArray(data) && data.length === 1 ? data[0] : data;
  return isJsonObject(body) ? body : fail(FMG.invalidData, 'data must be an object');
}

/** A list of names: `["a","b"]`, a lone `"a"`, or `[{name:"a"}]`; anything else is refused. */
export function nameList(value: JsonValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item === 'string') return item;
    if (isJsonObject(item) && typeof item.name === 'string') return item.name;
    return fail(FMG.invalidData, 'expected a list of names');
  });
}

function asNames(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
