import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { FMG, FmgFailure, fail } from './codes.js';
import type { FmgModel, RpcCall, RpcResult } from './model.js';
import { installPackage, task, whereUsed } from './rpc-install.js';
import { packages, pmConfig } from './rpc-objects.js';
import { dvmdb, systemGlobal, systemStatus } from './rpc-system.js';
import type { Session } from './sessions.js';
import { splitUrl } from './url.js';

/** Routes one `params` entry (the caller is known) to its handler. */
export function route(model: FmgModel, call: RpcCall): RpcResult {
  const [a, b, c, d, ...rest] = call.segments;
  const path = call.segments.join('/');
  if (path === 'sys/status' || path === 'cli/global/system/status') return systemStatus(model, call);
  if (path === 'cli/global/system/global') return systemGlobal(model, call);
  if (path === 'sys/logout') {
    if (call.method !== 'exec') return fail(FMG.invalidUrl);
    model.sessions.logout(call.session);
    return {};
  }
  if (a === 'dvmdb') return dvmdb(model, call, call.segments.slice(1));
  if (a === 'pm' && b === 'config') return pmConfig(model, call, call.segments.slice(2));
  if (a === 'pm' && b === 'pkg' && c === 'adom' && rest.length === 0)
    return packages(model, call, d, undefined);
  if (a === 'pm' && b === 'pkg' && c === 'adom' && rest.length === 1)
    return packages(model, call, d, rest[0]);
  if (path === 'securityconsole/install/package') return installPackage(model, call);
  if (a === 'task' && b === 'task') return task(model, call, call.segments.slice(2));
  if (path.startsWith('cache/search/where/used/')) return whereUsed(model, call, call.segments.slice(4));
  return fail(FMG.invalidUrl);
}

export interface RpcEntryOutcome {
  result: JsonObject;
  code: number;
  /** Set by a successful login: the new session string, sent at the top level of the answer. */
  newSession?: string;
}

/** Handles one params entry: login and logout, then the permission to call at all, then the route. */
export function handleEntry(
  model: FmgModel,
  method: string,
  entry: JsonValue,
  session: Session | undefined,
  verbose: boolean,
): RpcEntryOutcome {
  const params = isJsonObject(entry) ? entry : {};
  const url = typeof params.url === 'string' ? params.url : '';
  const reply = (status: { code: number; message: string }, data?: JsonValue): RpcEntryOutcome => ({
    result: {
      status: { code: status.code, message: status.message },
      url,
      ...(data === undefined ? {} : { data }),
    },
    code: status.code,
  });
  try {
    const segments = splitUrl(url);
    if (segments.join('/') === 'sys/login/user' && method === 'exec') {
      const data = Array.isArray(params.data) ? params.data[0] : params.data;
      const creds = isJsonObject(data) ? data : {};
      const created = model.sessions.login(creds.user, creds.passwd ?? creds.password);
      return { ...reply(FMG.ok), newSession: created.token };
    }
    if (!session) return reply(FMG.noPermission);
    const result = route(model, { method, url, segments, params, session, verbose });
    return reply(FMG.ok, result.data);
  } catch (err) {
    if (err instanceof FmgFailure) return reply({ code: err.code, message: err.message });
    throw err;
  }
}
