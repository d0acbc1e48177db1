import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { Adom } from './adoms.js';
import { FMG, fail } from './codes.js';
import { adomFor, enumOut, requireWrite, workspaceModeOf } from './model.js';
import type { FmgModel, RpcCall, RpcResult } from './model.js';
import { ADDRESS_TYPE_NUMBERS, OBJ_TABLES, isObjTable } from './objects.js';
import type { AdomDb, ObjTable } from './objects.js';
import { readEntry, readTable } from './query.js';
import type { ReadHooks } from './query.js';

const WRITE_METHODS = new Set(['add', 'set', 'update', 'replace', 'delete', 'clone', 'unset', 'move']);

/** `pm/config/adom/<a>/…` and `pm/config/global/…`: objects, policies, aux commit. */
export function pmConfig(model: FmgModel, call: RpcCall, rest: string[]): RpcResult {
  const [scope, ...tail] = rest;
  const adomName = scope === 'global' ? 'global' : scope === 'adom' ? tail.shift() : undefined;
  const adom = adomFor(model, call, adomName);
  const [area, ...path] = tail;
  if (area === 'obj' && path[0] === 'firewall' && path[1] !== undefined) {
    const table = `firewall/${path[1]}`;
    if (!isObjTable(table)) return fail(FMG.invalidUrl);
    return objects(model, call, adom, table, path.slice(2));
  }
  if (area === 'pkg' && path[0] !== undefined && path[1] === 'firewall' && path[2] === 'policy')
    return policies(model, call, adom, path[0], path[3]);
  if (area === 'workspace' && path[0] === 'commit' && call.method === 'exec') {
    requireWrite(call);
    if (workspaceModeOf(model, adom) !== 'disabled') adom.commit(call.session);
    return {};
  }
  return fail(FMG.invalidUrl);
}

/** Runs a write against the session's view and records it on its lock. */
function write<T>(model: FmgModel, call: RpcCall, adom: Adom, fn: (db: AdomDb) => T): T {
  requireWrite(call);
  const db = adom.writable(call.session, workspaceModeOf(model, adom));
  const result = fn(db);
  adom.touched(call.session);
  return result;
}

function objects(model: FmgModel, call: RpcCall, adom: Adom, table: ObjTable, path: string[]): RpcResult {
  const [name, sub, ...extra] = path;
  if (extra.length > 0 || (sub !== undefined && sub !== 'member')) return fail(FMG.invalidUrl);
  if (sub === 'member' && name !== undefined) return members(model, call, adom, table, name);
  if (call.method === 'get') {
    const db = adom.view(call.session);
    const hooks = objectHooks(call, db, table);
    if (name === undefined) return { data: readTable(db.list(table), call.params, hooks) };
    return { data: readEntry(db.mustFind(table, name), call.params, hooks) };
  }
  if (!WRITE_METHODS.has(call.method)) return fail(FMG.invalidUrl);
  const user = call.session.admin.name;
  const data = call.params.data;
  return write(model, call, adom, (db) => {
    if (name === undefined) return tableWrite(call, db, table, data, user);
    switch (call.method) {
      case 'add':
        return fail(FMG.invalidUrl);
      case 'set':
      case 'replace':
        return nameData(db.set(table, withName(data, name), user, call.method === 'replace'));
      case 'update':
        return nameData(db.update(table, name, data ?? {}, user));
      case 'delete':
        db.delete(table, name);
        return {};
      case 'clone':
        return nameData(db.cloneEntry(table, name, data, user));
      default:
        return fail(FMG.invalidUrl);
    }
  });
}

/** add/set/update/delete on a table URL; `data` may be one object or a list of them. */
function tableWrite(
  call: RpcCall,
  db: AdomDb,
  table: ObjTable,
  data: JsonValue | undefined,
  user: string,
): RpcResult {
  if (call.method === 'delete') {
    // A table delete without a filter would purge it; FMG deletes what the filter matches [U].
    if (call.params.filter === undefined) return fail(FMG.invalidData, 'delete on a table needs a filter');
    const hooks = objectHooks(call, db, table);
    const names = (readTable(db.list(table), { filter: call.params.filter }, hooks) as JsonObject[]).map(
      (e) => e.name as string,
    );
    for (const n of names) db.delete(table, n);
    return {};
  }
  const items = Array.isArray(data) && data.length > 1 ? data : [Array.isArray(data) ? data[0] : data];
  const names = items.map((item) => {
    switch (call.method) {
      case 'add':
        return db.add(table, item, user);
      case 'set':
      case 'replace':
        return db.set(table, item, user, call.method === 'replace');
      case 'update': {
        const target = isJsonObject(item) && typeof item.name === 'string' ? item.name : '';
        return db.update(table, target, item, user);
      }
      default:
        return fail(FMG.invalidUrl);
    }
  });
  return names.length === 1 ? nameData(names[0] as string) : { data: names.map((n) => ({ name: n })) };
}

function members(model: FmgModel, call: RpcCall, adom: Adom, table: ObjTable, group: string): RpcResult {
  if (OBJ_TABLES[table].kind !== 'group') return fail(FMG.invalidUrl);
  if (call.method === 'get') return { data: adom.view(call.session).members(table, group) };
  const user = call.session.admin.name;
  return write(model, call, adom, (db) => {
    if (call.method === 'add') db.memberAdd(table, group, call.params.data, user);
    else if (call.method === 'delete') db.memberDelete(table, group, call.params.data, user);
    else if (call.method === 'unset') db.memberUnset(table, group, user);
    else if (call.method === 'set' || call.method === 'update')
      db.update(table, group, { member: call.params.data ?? [] }, user);
    else fail(FMG.invalidUrl);
    return {};
  });
}

function policies(
  model: FmgModel,
  call: RpcCall,
  adom: Adom,
  pkg: string,
  id: string | undefined,
): RpcResult {
  const policyId = id === undefined ? undefined : Number(id);
  if (policyId !== undefined && !Number.isInteger(policyId)) return fail(FMG.invalidUrl);
  if (call.method === 'get') {
    const list: JsonObject[] = adom
      .view(call.session)
      .mustPackage(pkg)
      .policies.map((p, i) => ({ ...p, 'obj seq': i + 1 }));
    const hooks: ReadHooks = { render: (p) => renderPolicy(call, p) };
    if (policyId === undefined) return { data: readTable(list, call.params, hooks) };
    const one = list.find((p) => p.policyid === policyId) ?? fail(FMG.notFound, `policy ${policyId}`);
    return { data: readEntry(one, call.params, hooks) };
  }
  return write(model, call, adom, (db) => {
    const data = call.params.data;
    if (call.method === 'add' && policyId === undefined)
      return { data: { policyid: db.policyAdd(pkg, data) } };
    if (policyId === undefined) return fail(FMG.invalidUrl);
    if (call.method === 'set' || call.method === 'update' || call.method === 'replace')
      return { data: { policyid: db.policyUpdate(pkg, policyId, data, call.method !== 'update') } };
    if (call.method === 'delete') {
      db.policyDelete(pkg, policyId);
      return {};
    }
    return fail(FMG.invalidUrl);
  });
}

/** `pm/pkg/adom/<a>[/<pkg>]`: policy packages and their installation targets. */
export function packages(
  model: FmgModel,
  call: RpcCall,
  adomName: string | undefined,
  name?: string,
): RpcResult {
  const adom = adomFor(model, call, adomName);
  const render = (p: { name: string; oid: number; scope: { name: string; vdom: string }[] }): JsonObject => ({
    name: p.name,
    oid: p.oid,
    type: 'pkg',
    'scope member': p.scope.map((s) => ({ ...s })),
    'package settings': {},
  });
  if (call.method === 'get') {
    const db = adom.view(call.session);
    if (name === undefined) return { data: [...db.packages.values()].map(render) };
    return { data: render(db.mustPackage(name)) };
  }
  return write(model, call, adom, (db) => {
    if ((call.method === 'add' || call.method === 'set') && name === undefined)
      return nameData(db.addPackage(call.params.data, call.method === 'add'));
    if (call.method === 'delete' && name !== undefined) {
      db.mustPackage(name);
      db.packages.delete(name);
      return {};
    }
    return fail(FMG.invalidUrl);
  });
}

function objectHooks(call: RpcCall, db: AdomDb, table: ObjTable): ReadHooks {
  return {
    used: (e) => db.usedBy(table, e.name as string).length > 0,
    extra: (e) => {
      const m = db.lastModified(table, e.name as string);
      return { '_modified timestamp': Math.floor((m?.time ?? 0) / 1000), '_last-modified-by': m?.user ?? '' };
    },
    render: (e) => {
      if (table === 'firewall/address' && typeof e.type === 'string')
        e.type = enumOut(call, e.type, ADDRESS_TYPE_NUMBERS);
      return e;
    },
    subTables: ['dynamic_mapping'],
  };
}

function renderPolicy(call: RpcCall, p: JsonObject): JsonObject {
  if (typeof p.action === 'string') p.action = enumOut(call, p.action, { deny: 0, accept: 1, ipsec: 2 });
  if (typeof p.status === 'string') p.status = enumOut(call, p.status, { disable: 0, enable: 1 });
  return p;
}

function withName(data: JsonValue | undefined, name: string): JsonObject {
  const body = Array.isArray(data) && data.length === 1 ? data[0] : data;
  return isJsonObject(body) ? { ...body, name: body.name ?? name } : { name };
}

function nameData(name: string): RpcResult {
  return { data: { name } };
}
