import { CliFailure } from './cli-failure.js';
import { defaultEntry, invalid, normaliseField, readReferenceList, validateName } from './entries.js';
import type { FieldContext } from './entries.js';
import type { JsonObject, JsonValue } from './json.js';
import { TABLES, TABLE_NAMES, namespaceTables } from './tables.js';
import type { Family, SimTableName, TableDef } from './tables.js';

export interface Limits {
  /** Entries per address table (address, address6) per VDOM, built-ins included. */
  addresses: number;
  /** Entries per group table (addrgrp, addrgrp6) per VDOM. */
  groups: number;
  membersPerGroup: number;
  policies: number;
}

export const DEFAULT_LIMITS: Limits = {
  addresses: 10_000,
  groups: 2_500,
  membersPerGroup: 1_500,
  policies: 10_000,
};

export interface ModelContext extends FieldContext {
  limits: Limits;
  caseSensitiveNames: boolean;
  newUuid: () => string;
  newRevision: () => string;
}

export interface VdomSnapshot {
  name: string;
  revision: string;
  tables: Partial<Record<SimTableName, JsonObject[]>>;
}

const BUILTIN_NAMES = new Set(['all', 'none']);

/** The built-in placeholders every FortiGate has in every VDOM. */
function builtinEntries(ctx: ModelContext): [SimTableName, JsonObject][] {
  const v4 = (name: string, subnet: string): JsonObject => ({
    ...defaultEntry(TABLES['firewall/address'], ctx.newUuid()),
    name,
    subnet,
  });
  const v6 = (name: string, ip6: string): JsonObject => ({
    ...defaultEntry(TABLES['firewall/address6'], ctx.newUuid()),
    name,
    ip6,
  });
  return [
    ['firewall/address', v4('all', '0.0.0.0 0.0.0.0')],
    ['firewall/address', v4('none', '0.0.0.0 255.255.255.255')],
    ['firewall/address6', v6('all', '::/0')],
    ['firewall/address6', v6('none', '::/128')],
  ];
}

function emptyTables(): Record<SimTableName, Map<string, JsonObject>> {
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, new Map<string, JsonObject>()])) as Record<
    SimTableName,
    Map<string, JsonObject>
  >;
}

/**
 * One VDOM's configuration: the tables, who references whom (kept as an index so reference
 * counts and in-use checks cost nothing at scale), and the configuration revision.
 */
export class VdomConfig {
  private tables = emptyTables();
  /** target id (`family:key`) → referrer ids (`table:key`). */
  private refsTo = new Map<string, Set<string>>();
  private refsFrom = new Map<string, string[]>();
  revision: string;

  constructor(
    readonly name: string,
    private readonly ctx: ModelContext,
    withBuiltins = true,
  ) {
    this.revision = ctx.newRevision();
    if (withBuiltins) for (const [table, entry] of builtinEntries(ctx)) this.insert(table, entry);
  }

  // ---- reading ----

  entries(table: SimTableName): JsonObject[] {
    return [...this.tables[table].values()];
  }

  size(table: SimTableName): number {
    return this.tables[table].size;
  }

  find(table: SimTableName, mkey: string): JsonObject | undefined {
    return this.tables[table].get(this.keyOf(table, mkey));
  }

  /** How many entries reference this one (FortiOS `q_ref`). */
  refCount(table: SimTableName, entry: JsonObject): number {
    const family = TABLES[table].family;
    if (family === undefined) return 0;
    return this.refsTo.get(targetId(family, this.keyOf(table, String(entry.name))))?.size ?? 0;
  }

  isBuiltin(table: SimTableName, entry: JsonObject): boolean {
    return (
      TABLES[table].kind === 'address' && typeof entry.name === 'string' && BUILTIN_NAMES.has(entry.name)
    );
  }

  // ---- writing; each throws CliFailure and leaves the config untouched on failure ----

  create(table: SimTableName, body: JsonObject): string | number {
    const def = TABLES[table];
    const entry = defaultEntry(def, this.ctx.newUuid());
    let key: string;
    if (def.mkeyField === 'policyid') {
      const id = this.newPolicyId(body.policyid);
      entry.policyid = id;
      key = String(id);
    } else {
      const name = validateName(body.name, this.ctx);
      this.assertNameFree(def, name, undefined);
      entry.name = name;
      key = this.keyOf(table, name);
    }
    const limit = this.limitOf(def);
    if (this.tables[table].size >= limit) {
      throw invalid(this.ctx.codes.tableFull, `${table}: the table is full (${limit} entries)`);
    }
    const targets = this.applyBody(def, entry, body, key);
    this.insert(table, entry, targets);
    this.bump();
    return def.mkeyField === 'policyid' ? (entry.policyid as number) : (entry.name as string);
  }

  update(table: SimTableName, mkey: string, body: JsonObject): { mkey: string | number; changed: boolean } {
    const def = TABLES[table];
    const existing = this.mustFind(table, mkey);
    const oldKey = this.entryKey(def, existing);
    const next = structuredClone(existing);
    let newKey = oldKey;
    if (def.mkeyField === 'name' && body.name !== undefined && body.name !== existing.name) {
      const name = validateName(body.name, this.ctx);
      if (this.isBuiltin(table, existing)) {
        throw invalid(this.ctx.codes.inUse, `${existing.name as string}: a built-in entry cannot be renamed`);
      }
      newKey = this.keyOf(table, name);
      this.assertNameFree(def, name, newKey === oldKey ? oldKey : undefined);
      next.name = name;
    }
    const targets = this.applyBody(def, next, body, newKey);
    const changed = JSON.stringify(next) !== JSON.stringify(existing);
    const mkeyOut = def.mkeyField === 'policyid' ? (next.policyid as number) : (next.name as string);
    if (!changed) return { mkey: mkeyOut, changed };
    this.replace(def, oldKey, newKey, next, targets);
    this.bump();
    return { mkey: mkeyOut, changed };
  }

  remove(table: SimTableName, mkey: string): void {
    const def = TABLES[table];
    const entry = this.mustFind(table, mkey);
    this.assertRemovable(table, entry);
    this.drop(def, this.entryKey(def, entry));
    this.bump();
  }

  /** DELETE on the collection: every entry nothing references goes (built-ins stay). */
  purge(table: SimTableName): number {
    const def = TABLES[table];
    let removed = 0;
    for (const entry of this.entries(table)) {
      if (this.isBuiltin(table, entry) || this.refCount(table, entry) > 0) continue;
      this.drop(def, this.entryKey(def, entry));
      removed++;
    }
    if (removed > 0) this.bump();
    return removed;
  }

  childList(table: SimTableName, mkey: string, field: string): JsonObject[] {
    const entry = this.mustFind(table, mkey);
    this.referenceField(table, field);
    return (entry[field] as JsonObject[] | undefined) ?? [];
  }

  /** POST to a child endpoint: append one reference, e.g. a group member. */
  childAdd(table: SimTableName, mkey: string, field: string, body: JsonObject): string {
    const entry = this.mustFind(table, mkey);
    this.referenceField(table, field);
    const name = body.name;
    if (typeof name !== 'string' || name === '')
      throw invalid(this.ctx.codes.empty, `${field}: name is required`);
    const current = ((entry[field] as JsonObject[] | undefined) ?? []).map((m) => m.name as string);
    if (current.some((m) => this.sameName(m, name))) {
      throw invalid(this.ctx.codes.exists, `${field}: ${name} is already a member`);
    }
    this.update(table, mkey, { [field]: [...current, name].map((n) => ({ name: n })) });
    return name;
  }

  childRemove(table: SimTableName, mkey: string, field: string, child: string): void {
    const entry = this.mustFind(table, mkey);
    this.referenceField(table, field);
    const current = ((entry[field] as JsonObject[] | undefined) ?? []).map((m) => m.name as string);
    if (!current.some((m) => this.sameName(m, child))) {
      throw new CliFailure(404, this.ctx.codes.notFound, `${field}: ${child} is not a member`);
    }
    const rest = current.filter((m) => !this.sameName(m, child));
    this.update(table, mkey, { [field]: rest.map((n) => ({ name: n })) });
  }

  // ---- copies and snapshots ----

  clone(): VdomConfig {
    const copy = new VdomConfig(this.name, this.ctx, false);
    copy.tables = structuredClone(this.tables);
    copy.refsTo = structuredClone(this.refsTo);
    copy.refsFrom = structuredClone(this.refsFrom);
    copy.revision = this.revision;
    return copy;
  }

  snapshot(): VdomSnapshot {
    return {
      name: this.name,
      revision: this.revision,
      tables: Object.fromEntries(TABLE_NAMES.map((t) => [t, structuredClone(this.entries(t))])),
    };
  }

  /** Rebuilds a VDOM from a snapshot; references are re-indexed from the entries themselves. */
  static fromSnapshot(snapshot: VdomSnapshot, ctx: ModelContext): VdomConfig {
    const config = new VdomConfig(snapshot.name, ctx, false);
    config.revision = snapshot.revision;
    for (const table of TABLE_NAMES) {
      for (const entry of snapshot.tables[table] ?? []) config.insert(table, structuredClone(entry));
    }
    for (const table of TABLE_NAMES) {
      const def = TABLES[table];
      for (const entry of config.entries(table)) {
        config.setReferences(
          referrerId(table, config.entryKey(def, entry)),
          config.referencedTargets(def, entry),
        );
      }
    }
    return config;
  }

  // ---- internals ----

  private keyOf(table: SimTableName, mkey: string): string {
    if (TABLES[table].mkeyField === 'policyid') return String(Number(mkey));
    return this.ctx.caseSensitiveNames ? mkey : mkey.toLowerCase();
  }

  /** The key of an address or group name (references always name those, whatever table holds them). */
  private nameKey(name: string): string {
    return this.ctx.caseSensitiveNames ? name : name.toLowerCase();
  }

  private sameName(a: string, b: string): boolean {
    return this.nameKey(a) === this.nameKey(b);
  }

  private entryKey(def: TableDef, entry: JsonObject): string {
    return def.mkeyField === 'policyid' ? String(entry.policyid) : this.keyOf(def.name, String(entry.name));
  }

  private mustFind(table: SimTableName, mkey: string): JsonObject {
    const entry = this.find(table, mkey);
    if (!entry) throw new CliFailure(404, this.ctx.codes.notFound, `entry not found: ${mkey}`);
    return entry;
  }

  private limitOf(def: TableDef): number {
    const { limits } = this.ctx;
    return def.kind === 'address' ? limits.addresses : def.kind === 'group' ? limits.groups : limits.policies;
  }

  private newPolicyId(requested: JsonValue | undefined): number {
    const id = requested === undefined || requested === 0 || requested === '0' ? 0 : Number(requested);
    if (!Number.isInteger(id) || id < 0)
      throw invalid(this.ctx.codes.invalidValue, 'policyid: invalid value');
    if (id === 0) {
      let max = 0;
      for (const key of this.tables['firewall/policy'].keys()) max = Math.max(max, Number(key));
      return max + 1;
    }
    if (this.tables['firewall/policy'].has(String(id)))
      throw invalid(this.ctx.codes.exists, `policy ${id} already exists`);
    return id;
  }

  /** Addresses and groups of a family share a name space: same table → -5, the other → -163. */
  private assertNameFree(def: TableDef, name: string, ignoreKey: string | undefined): void {
    if (def.family === undefined) return;
    const key = this.keyOf(def.name, name);
    for (const table of namespaceTables(def.family)) {
      if (key === ignoreKey && table === def.name) continue;
      if (!this.tables[table].has(key)) continue;
      if (table === def.name)
        throw invalid(this.ctx.codes.exists, `A duplicate entry already exists: ${name}`);
      throw invalid(this.ctx.codes.nameClash, `${name}: the name is already used by an entry in ${table}`);
    }
  }

  /** Applies the body's attributes onto `entry` and answers the reference targets it now holds. */
  private applyBody(def: TableDef, entry: JsonObject, body: JsonObject, ownKey: string): string[] {
    for (const [field, value] of Object.entries(body)) {
      if (field === def.mkeyField || field.startsWith('q_')) continue;
      const ref = def.references.find((r) => r.field === field);
      if (ref) {
        const names = readReferenceList(value, field, this.ctx);
        if (names !== undefined)
          entry[field] = names.map((n) => ({ name: this.resolveTarget(def, ref.family, n, ownKey) }));
        continue;
      }
      entry[field] = normaliseField(def, field, value, this.ctx);
    }
    if (def.kind === 'group') {
      const members = entry.member as JsonObject[];
      if (members.length === 0) throw invalid(this.ctx.codes.empty, 'member: empty values are not allowed');
      if (members.length > this.ctx.limits.membersPerGroup) {
        throw invalid(
          this.ctx.codes.tableFull,
          `member: too many members (max ${this.ctx.limits.membersPerGroup})`,
        );
      }
      this.assertNoCycle(def, ownKey, members);
    }
    return this.referencedTargets(def, entry);
  }

  /** A reference must name an existing address or group of the same family; answers its real name. */
  private resolveTarget(def: TableDef, family: Family, name: string, ownKey: string): string {
    const key = this.nameKey(name);
    const isSelf = def.kind === 'group' && key === ownKey;
    for (const table of namespaceTables(family)) {
      const target = this.tables[table].get(key);
      if (target && !isSelf) return target.name as string;
    }
    throw invalid(
      this.ctx.codes.badReference,
      `node_check_object fail! for name ${name}\n\nvalue parse error before '${name}'`,
    );
  }

  /** Groups may nest, but never so that a group ends up containing itself. */
  private assertNoCycle(def: TableDef, ownKey: string, members: JsonObject[]): void {
    const family = def.family as Family;
    const groups = this.tables[namespaceTables(family)[1]];
    const seen = new Set<string>();
    const pending = members.map((m) => this.nameKey(m.name as string));
    while (pending.length > 0) {
      const key = pending.pop() as string;
      if (key === ownKey) {
        throw invalid(this.ctx.codes.badReference, `member: a group cannot contain itself (loop detected)`);
      }
      if (seen.has(key)) continue;
      seen.add(key);
      const group = groups.get(key);
      for (const m of (group?.member as JsonObject[] | undefined) ?? [])
        pending.push(this.nameKey(m.name as string));
    }
  }

  private referencedTargets(def: TableDef, entry: JsonObject): string[] {
    const targets: string[] = [];
    for (const ref of def.references) {
      for (const m of (entry[ref.field] as JsonObject[] | undefined) ?? []) {
        targets.push(targetId(ref.family, this.nameKey(m.name as string)));
      }
    }
    return [...new Set(targets)];
  }

  private assertRemovable(table: SimTableName, entry: JsonObject): void {
    if (this.isBuiltin(table, entry)) {
      throw invalid(
        this.ctx.codes.inUse,
        `${entry.name as string} is a built-in entry and cannot be deleted`,
      );
    }
    const refs = this.refCount(table, entry);
    if (refs > 0) throw invalid(this.ctx.codes.inUse, `The entry is used by other ${refs} entries`);
  }

  private insert(table: SimTableName, entry: JsonObject, targets?: string[]): void {
    const def = TABLES[table];
    const key = this.entryKey(def, entry);
    this.tables[table].set(key, entry);
    if (targets) this.setReferences(referrerId(table, key), targets);
  }

  private drop(def: TableDef, key: string): void {
    this.tables[def.name].delete(key);
    this.setReferences(referrerId(def.name, key), []);
  }

  private replace(def: TableDef, oldKey: string, newKey: string, next: JsonObject, targets: string[]): void {
    const table = this.tables[def.name];
    if (oldKey === newKey) {
      table.set(newKey, next);
    } else {
      // A rename keeps the entry's place in the table, as the CLI's `rename` does.
      const rebuilt = new Map<string, JsonObject>();
      for (const [key, value] of table)
        rebuilt.set(key === oldKey ? newKey : key, key === oldKey ? next : value);
      this.tables[def.name] = rebuilt;
      this.setReferences(referrerId(def.name, oldKey), []);
      if (def.family !== undefined) this.retarget(def.family, oldKey, next.name as string);
    }
    this.setReferences(referrerId(def.name, newKey), targets);
  }

  /** FortiOS follows a rename into every entry that referenced the old name. */
  private retarget(family: Family, oldKey: string, newName: string): void {
    const oldTarget = targetId(family, oldKey);
    const referrers = [...(this.refsTo.get(oldTarget) ?? [])];
    for (const id of referrers) {
      const [table, key] = splitId(id) as [SimTableName, string];
      const def = TABLES[table];
      const entry = this.tables[table].get(key);
      if (!entry) continue;
      for (const ref of def.references) {
        if (ref.family !== family) continue;
        const list = entry[ref.field] as JsonObject[] | undefined;
        for (const m of list ?? []) if (this.nameKey(m.name as string) === oldKey) m.name = newName;
      }
      this.setReferences(id, this.referencedTargets(def, entry));
    }
  }

  private setReferences(referrer: string, targets: string[]): void {
    for (const target of this.refsFrom.get(referrer) ?? []) {
      const set = this.refsTo.get(target);
      set?.delete(referrer);
      if (set && set.size === 0) this.refsTo.delete(target);
    }
    if (targets.length === 0) {
      this.refsFrom.delete(referrer);
      return;
    }
    this.refsFrom.set(referrer, targets);
    for (const target of targets) {
      let set = this.refsTo.get(target);
      if (!set) this.refsTo.set(target, (set = new Set()));
      set.add(referrer);
    }
  }

  private bump(): void {
    this.revision = this.ctx.newRevision();
  }

  /** The child endpoints are the reference lists of a table (`member`, `srcaddr`, …). */
  private referenceField(table: SimTableName, field: string): void {
    if (!TABLES[table].references.some((r) => r.field === field)) {
      throw new CliFailure(404, this.ctx.codes.notFound, `${table} has no child table ${field}`);
    }
  }
}

function targetId(family: Family, key: string): string {
  return `${family}\u0000${key}`;
}

function referrerId(table: SimTableName, key: string): string {
  return `${table}\u0000${key}`;
}

function splitId(id: string): [string, string] {
  const at = id.indexOf('\u0000');
  return [id.slice(0, at), id.slice(at + 1)];
}
