import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { FMG, fail } from './codes.js';
import { adomFor, requireWrite, workspaceModeOf } from './model.js';
import type { FmgModel, RpcCall, RpcResult } from './model.js';
import { isObjTable } from './objects.js';
import { readEntry } from './query.js';
import { TASK_STATES } from './tasks.js';
import { splitUrl } from './url.js';

/**
 * `exec securityconsole/install/package {adom, pkg, scope?, flags?}` → `{task}`. The package as
 * committed now is what the task installs. In workspace mode the caller must hold the ADOM lock
 * unless `flags` has `auto_lock_ws` [U]; someone else's lock refuses the install.
 */
export function installPackage(model: FmgModel, call: RpcCall): RpcResult {
  if (call.method !== 'exec') return fail(FMG.invalidUrl);
  requireWrite(call);
  const data = isJsonObject(call.params.data) ? call.params.data : fail(FMG.invalidData, 'data');
  const adom = adomFor(model, call, typeof data.adom === 'string' ? data.adom : undefined);
  const pkgName = typeof data.pkg === 'string' ? data.pkg : fail(FMG.invalidData, 'pkg');
  const flags = new Set((Array.isArray(data.flags) ? data.flags : [data.flags]).map(String));
  if (workspaceModeOf(model, adom) !== 'disabled') {
    if (adom.lock && adom.lock.sid !== call.session.sid) fail(FMG.lockedByOther, `by ${adom.lock.user}`);
    if (!adom.lock && !flags.has('auto_lock_ws')) fail(FMG.noWritePermission, 'lock the ADOM first');
  }
  const pkg = adom.committed.mustPackage(pkgName);
  const scope = Array.isArray(data.scope)
    ? data.scope.filter(isJsonObject).map((s) => ({ name: String(s.name), vdom: String(s.vdom ?? 'root') }))
    : pkg.scope;
  if (scope.length === 0) fail(FMG.invalidData, `package ${pkgName} has no installation targets`);
  for (const s of scope) {
    if (!pkg.scope.some((p) => p.name === s.name && p.vdom === s.vdom))
      fail(FMG.invalidData, `${s.name}/${s.vdom} is not an installation target of package ${pkgName}`);
  }
  const copyOnly = flags.has('copy_only') || flags.has('preview');
  const task = model.tasks.startInstall({
    adom: adom.name,
    db: adom.committed.clone(),
    pkg: copyOnly ? { ...pkg, policies: [] } : pkg,
    scope: copyOnly ? [] : scope,
    user: call.session.admin.name,
    durationMs: model.settings.installDurationMs,
  });
  return { data: { task } };
}

/** `task/task[/<id>[/line]]`. */
export function task(model: FmgModel, call: RpcCall, rest: string[]): RpcResult {
  if (call.method !== 'get') return fail(FMG.invalidUrl);
  const render = (t: JsonObject): JsonObject => renderTask(call, t);
  if (rest.length === 0) return { data: model.tasks.list().map(render) };
  const id = Number(rest[0]);
  const view = Number.isInteger(id) ? model.tasks.view(id) : undefined;
  if (!view) return fail(FMG.notFound, `task ${rest[0] ?? ''}`);
  if (rest[1] === 'line' && rest.length === 2) return { data: render(view).line ?? [] };
  if (rest.length > 1) return fail(FMG.invalidUrl);
  return { data: readEntry(view, call.params, { render }) };
}

function renderTask(call: RpcCall, t: JsonObject): JsonObject {
  if (call.verbose) return t;
  const number = (state: JsonValue | undefined): JsonValue =>
    TASK_STATES.indexOf(state as (typeof TASK_STATES)[number]);
  const lines = Array.isArray(t.line)
    ? t.line.filter(isJsonObject).map((l) => ({ ...l, state: number(l.state) }))
    : [];
  return { ...t, state: number(t.state), line: lines };
}

/**
 * Where-used search: `exec cache/search/where/used/start {mkey, obj: "adom/<a>/obj/firewall/<t>"}`
 * → `{token}`; `…/get/summary {token}` → `{percent: 100}`; `…/get/detail {token}` → `{where_used}`.
 * The simulator answers at once, so the first summary is already complete.
 */
export function whereUsed(model: FmgModel, call: RpcCall, rest: string[]): RpcResult {
  const data = isJsonObject(call.params.data) ? call.params.data : {};
  if (rest.join('/') === 'start') {
    const obj = typeof data.obj === 'string' ? splitUrl(data.obj) : [];
    const mkey = typeof data.mkey === 'string' ? data.mkey : fail(FMG.invalidData, 'mkey');
    const adomName = obj[0] === 'adom' ? obj[1] : obj[0] === 'global' ? 'global' : undefined;
    const table = obj.slice(obj[0] === 'adom' ? 3 : 2).join('/');
    if (!isObjTable(table)) return fail(FMG.invalidData, 'obj');
    const db = adomFor(model, call, adomName).view(call.session);
    db.mustFind(table, mkey);
    const token = model.nextToken();
    model.whereUsed.set(token, {
      mkey,
      obj: data.obj as string,
      data: db.usedBy(table, mkey) as unknown as JsonValue[],
    });
    return { data: { token } };
  }
  const token = typeof data.token === 'number' ? data.token : Number(data.token);
  const found = model.whereUsed.get(token) ?? fail(FMG.notFound, `token ${String(data.token)}`);
  if (rest.join('/') === 'get/summary') return { data: { percent: 100, token } };
  if (rest.join('/') === 'get/detail') return { data: { token, where_used: [found] } };
  return fail(FMG.invalidUrl);
}
