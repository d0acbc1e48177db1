import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { RequestLog } from '../request-log.js';
import type { GlobalWorkspaceMode } from './adoms.js';
import { FmgFailure } from './codes.js';
import type { FmgSettings } from './model.js';
import { isObjTable } from './objects.js';
import type { SessionRegistry } from './sessions.js';
import type { TaskRegistry } from './tasks.js';
import type { AdomApi, FmgFaults, FmgFaultRule } from './types.js';

export const FMG_CONTROL_PREFIX = '/__sim';

export interface FmgControlDeps {
  info: () => JsonValue;
  adom: (name: string) => AdomApi;
  settings: FmgSettings;
  sessions: SessionRegistry;
  tasks: TaskRegistry;
  requestLog: RequestLog;
  faults: FmgFaults;
  reset: () => void;
}

type Reply = { status: number; json: JsonValue };
const ok = (json: JsonValue = { status: 'ok' }): Reply => ({ status: 200, json });
const bad = (message: string, status = 400): Reply => ({ status, json: { status: 'error', message } });
/** Runs an action that answers nothing. */
function done(action: () => void): Reply {
  action();
  return ok();
}

const MODES: readonly GlobalWorkspaceMode[] = ['disabled', 'normal', 'workflow', 'per-adom'];

/**
 * The simulator's own API under `/__sim` (for the CLI and other languages' tests): inspect and
 * seed ADOMs, settings, sessions, tasks, the request log and faults.
 */
export function handleControl(
  deps: FmgControlDeps,
  method: string,
  path: string,
  body: JsonValue | undefined,
): Reply {
  const route = `${method.toUpperCase()} ${path.replace(/\/+$/, '') || '/'}`;
  const input = isJsonObject(body) ? body : {};
  try {
    if (route === 'GET /' || route === 'GET /info') return ok(deps.info());
    if (route === 'POST /reset') return done(() => deps.reset());
    if (route === 'GET /requests') return ok(deps.requestLog.entries() as unknown as JsonValue);
    if (route === 'DELETE /requests') return done(() => deps.requestLog.clear());
    if (route === 'GET /tasks') return ok(deps.tasks.list());
    if (route === 'GET /sessions')
      return ok(deps.sessions.list().map((s) => ({ sid: s.sid, user: s.admin.name })));
    if (route === 'POST /sessions/expire')
      return ok({ expired: deps.sessions.expire(typeof input.admin === 'string' ? input.admin : undefined) });
    if (route === 'PUT /settings') return putSettings(deps.settings, input);
    if (route === 'GET /faults') return ok(deps.faults.settings() as unknown as JsonValue);
    if (route === 'DELETE /faults') return done(() => deps.faults.clear());
    if (route === 'POST /faults/rules') return ok({ id: deps.faults.add(input as unknown as FmgFaultRule) });
    const ruleId = /^DELETE \/faults\/rules\/(.+)$/.exec(route)?.[1];
    if (ruleId !== undefined) return deps.faults.remove(ruleId) ? ok() : bad(`no rule ${ruleId}`, 404);
    const adom = /^(GET|POST) \/adoms\/([^/]+)\/(objects|packages)$/.exec(route);
    if (adom)
      return adomRoute(
        deps.adom(decodeURIComponent(adom[2] as string)),
        adom[1] as string,
        adom[3] as string,
        input,
      );
    return bad(`no control route ${route}`, 404);
  } catch (err) {
    if (err instanceof FmgFailure || err instanceof RangeError) return bad(err.message);
    throw err;
  }
}

function adomRoute(adom: AdomApi, method: string, what: string, input: JsonObject): Reply {
  const table = typeof input.table === 'string' ? input.table : 'firewall/address';
  if (what === 'objects') {
    if (!isObjTable(table)) return bad(`unknown table ${table}`);
    if (method === 'GET') return ok(adom.list(table));
    for (const entry of Array.isArray(input.entries) ? input.entries : [])
      if (isJsonObject(entry)) adom.seed(table, entry);
    return ok();
  }
  if (method === 'POST') {
    adom.seedPackage(input as unknown as Parameters<AdomApi['seedPackage']>[0]);
    return ok();
  }
  return bad('GET packages: use the JSON-RPC pm/pkg/adom/<adom> call');
}

function putSettings(settings: FmgSettings, input: JsonObject): Reply {
  const mode = input.workspaceMode;
  if (mode !== undefined) {
    if (!MODES.includes(mode as GlobalWorkspaceMode))
      return bad(`workspaceMode is one of ${MODES.join(', ')}`);
    settings.workspaceMode = mode as GlobalWorkspaceMode;
  }
  if (typeof input.lockPreempt === 'boolean') settings.lockPreempt = input.lockPreempt;
  if (typeof input.installDurationMs === 'number' && input.installDurationMs >= 0)
    settings.installDurationMs = input.installDurationMs;
  return ok({ ...settings });
}
