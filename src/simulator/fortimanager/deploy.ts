import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { SimTableName } from '../model/tables.js';
import type { SimulatorStateApi } from '../state-api.js';
import type { AdomDb, ObjTable, PolicyPackage } from './objects.js';

/** What an earlier install put on one device VDOM, so the next one can delete what is no longer used. */
export interface InstalledSet {
  objects: { table: ObjTable; name: string }[];
  policies: number[];
}

export const NOTHING_INSTALLED: InstalledSet = { objects: [], policies: [] };

const POLICY_FIELDS = ['srcintf', 'dstintf', 'srcaddr', 'dstaddr', 'srcaddr6', 'dstaddr6', 'service'];

/**
 * Installs a policy package on one FortiGate VDOM the way FMG does: the package's policies, and the
 * objects they use (groups resolved to their members). Objects no policy uses do not reach the
 * device, and what the previous install put there and is now unused is deleted. All or nothing:
 * on a refusal the device is rolled back and the FortiOS error is thrown.
 */
export function deploy(
  db: AdomDb,
  pkg: PolicyPackage,
  device: { name: string; state: SimulatorStateApi },
  vdom: string,
  previous: InstalledSet,
): InstalledSet {
  const snapshot = device.state.snapshot();
  try {
    const objects = [...usedObjects(db, pkg, 4), ...usedObjects(db, pkg, 6)];
    for (const { table, name } of objects) {
      const entry = db.find(table, name) as JsonObject;
      upsert(device.state, table, name, toFortiOS(table, resolveMapping(entry, device.name, vdom)), vdom);
    }
    const policies = pkg.policies.map((p) => p.policyid as number);
    for (const policy of pkg.policies) {
      upsert(device.state, 'firewall/policy', String(policy.policyid), policyBody(policy), vdom);
    }
    for (const id of previous.policies) {
      if (!policies.includes(id) && device.state.get('firewall/policy', String(id), vdom))
        device.state.remove('firewall/policy', String(id), vdom);
    }
    const kept = new Set(objects.map((o) => `${o.table}\u0000${o.name}`));
    // Groups before addresses, so members are released before they go.
    const stale = previous.objects
      .filter((o) => !kept.has(`${o.table}\u0000${o.name}`))
      .sort((a, b) => Number(b.table.includes('grp')) - Number(a.table.includes('grp')));
    for (const o of stale) {
      if (device.state.get(o.table, o.name, vdom) && device.state.refCount(o.table, o.name, vdom) === 0)
        device.state.remove(o.table, o.name, vdom);
    }
    return { objects, policies };
  } catch (err) {
    device.state.load(snapshot);
    throw err;
  }
}

/** The objects the package's policies use, addresses first, then groups members-first. */
function usedObjects(db: AdomDb, pkg: PolicyPackage, family: 4 | 6): { table: ObjTable; name: string }[] {
  const attrs = family === 4 ? ['srcaddr', 'dstaddr'] : ['srcaddr6', 'dstaddr6'];
  const names = pkg.policies.flatMap((p) => attrs.flatMap((a) => (p[a] as string[] | undefined) ?? []));
  const { addresses, groups } = db.closure(family, names);
  const addressTable: ObjTable = family === 4 ? 'firewall/address' : 'firewall/address6';
  const groupTable: ObjTable = family === 4 ? 'firewall/addrgrp' : 'firewall/addrgrp6';
  const builtin = (n: string): boolean => n === 'all' || n === 'none';
  const ordered: { table: ObjTable; name: string }[] = [...addresses]
    .filter((n) => !builtin(n))
    .map((name) => ({ table: addressTable, name }));
  const placed = new Set(addresses);
  let pending = [...groups];
  while (pending.length > 0) {
    const ready = pending.filter((g) =>
      ((db.find(groupTable, g)?.member as string[] | undefined) ?? []).every((m) => placed.has(m)),
    );
    // A loop cannot exist (the ADOM refuses it); this guard only keeps a bug from spinning.
    if (ready.length === 0) break;
    for (const g of ready) {
      placed.add(g);
      ordered.push({ table: groupTable, name: g });
    }
    pending = pending.filter((g) => !placed.has(g));
  }
  return ordered;
}

/** A `dynamic_mapping` entry whose `_scope` names this device/VDOM overrides the base value. */
function resolveMapping(entry: JsonObject, device: string, vdom: string): JsonObject {
  const mappings = Array.isArray(entry.dynamic_mapping) ? entry.dynamic_mapping : [];
  const mine = mappings.filter(isJsonObject).find((m) => {
    const scope = Array.isArray(m._scope) ? m._scope : [];
    return scope.some((s) => isJsonObject(s) && s.name === device && (s.vdom ?? 'root') === vdom);
  });
  if (!mine) return entry;
  const override = Object.fromEntries(Object.entries(mine).filter(([k]) => k !== '_scope'));
  return { ...entry, ...override };
}

function toFortiOS(table: ObjTable, entry: JsonObject): JsonObject {
  const common: JsonObject = {
    name: entry.name as string,
    comment: entry.comment ?? '',
    color: entry.color ?? 0,
  };
  switch (table) {
    case 'firewall/address': {
      const body: JsonObject = { ...common, type: entry.type ?? 'ipmask' };
      if (entry.type === 'iprange')
        Object.assign(body, { 'start-ip': entry['start-ip'] ?? '', 'end-ip': entry['end-ip'] ?? '' });
      else if (entry.type === 'fqdn') body.fqdn = entry.fqdn ?? '';
      else body.subnet = Array.isArray(entry.subnet) ? entry.subnet.join(' ') : (entry.subnet ?? '');
      return body;
    }
    case 'firewall/address6':
      return { ...common, ip6: entry.ip6 ?? '::/0' };
    case 'firewall/addrgrp':
    case 'firewall/addrgrp6':
      return { ...common, member: refs(entry.member) };
  }
}

function policyBody(policy: JsonObject): JsonObject {
  const body: JsonObject = {
    policyid: policy.policyid as number,
    name: policy.name ?? '',
    status: policy.status ?? 'enable',
    action: policy.action ?? 'deny',
    schedule: policy.schedule ?? 'always',
    comments: policy.comments ?? '',
  };
  for (const field of POLICY_FIELDS) body[field] = refs(policy[field]);
  return body;
}

function refs(value: JsonValue | undefined): JsonObject[] {
  return (Array.isArray(value) ? value : []).map((name) => ({ name: String(name) }));
}

function upsert(
  state: SimulatorStateApi,
  table: SimTableName,
  name: string,
  body: JsonObject,
  vdom: string,
): void {
  if (state.get(table, name, vdom)) state.update(table, name, body, vdom);
  else state.seed(table, body, vdom);
}
