import type { JsonObject } from '../model/json.js';
import type { Adom } from './adoms.js';
import type { FmgModel } from './model.js';
import type { AdomApi } from './types.js';

/** Tests' and the control API's view of one ADOM: its committed database and its lock. */
export function adomApi(model: FmgModel, name: string): AdomApi {
  const adom = (): Adom => {
    const found = model.adoms.get(name);
    if (!found) throw new RangeError(`no ADOM ${name}`);
    return found;
  };
  return {
    list: (table) => structuredClone(adom().committed.list(table)),
    get: (table, entryName) => {
      const entry = adom().committed.find(table, entryName);
      return entry && structuredClone(entry);
    },
    seed: (table, entry) => {
      adom().committed.add(table, entry, 'seed');
    },
    seedPackage: (pkg) => {
      const db = adom().committed;
      const body: JsonObject = { name: pkg.name };
      if (pkg.scope) body['scope member'] = pkg.scope.map((s) => ({ name: s.name, vdom: s.vdom ?? 'root' }));
      db.addPackage(body, false);
      for (const policy of pkg.policies ?? []) db.policyAdd(pkg.name, policy);
    },
    policies: (pkg) => structuredClone(adom().committed.mustPackage(pkg).policies),
    lockInfo: () => {
      const lock = adom().lock;
      return lock && { user: lock.user, sid: lock.sid, time: lock.time, dirty: lock.dirty };
    },
    setWorkspaceMode: (mode) => {
      adom().workspaceMode = mode;
    },
  };
}
