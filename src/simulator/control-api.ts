import type { FaultRule, FaultInjector } from './faults.js';
import type { Authenticator } from './auth.js';
import type { JsonValue } from './model/json.js';
import { isJsonObject } from './model/json.js';
import type { RequestLog } from './request-log.js';
import type { SimulatorStateApi } from './state-api.js';
import type { DeviceSnapshot } from './model/device-state.js';
import { isSimTable } from './model/tables.js';

export const CONTROL_PREFIX = '/__sim';

export interface ControlDeps {
  state: SimulatorStateApi;
  requestLog: RequestLog;
  faults: FaultInjector;
  auth: Authenticator;
  reset: () => void;
  info: () => JsonValue;
}

export interface ControlResponse {
  status: number;
  json: JsonValue;
}

const ok = (json: JsonValue = { status: 'ok' }): ControlResponse => ({ status: 200, json });
const bad = (message: string, status = 400): ControlResponse => ({
  status,
  json: { status: 'error', message },
});

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

interface ControlRequest {
  segments: string[];
  query: URLSearchParams;
  body: JsonValue | undefined;
}

type ControlHandler = (deps: ControlDeps, r: ControlRequest) => ControlResponse;

function stateOf(deps: ControlDeps, { query }: ControlRequest): ControlResponse {
  const table = query.get('table');
  if (table === null) return ok(deps.state.snapshot() as unknown as JsonValue);
  if (!isSimTable(table)) return bad(`unknown table ${table}`);
  return ok(deps.state.list(table, query.get('vdom') ?? undefined));
}

function seed(deps: ControlDeps, { body }: ControlRequest): ControlResponse {
  if (!isJsonObject(body) || typeof body.table !== 'string' || !Array.isArray(body.entries)) {
    return bad('expected {"table": "firewall/address", "entries": [...], "vdom"?: "root"}');
  }
  if (!isSimTable(body.table)) return bad(`unknown table ${body.table}`);
  const vdom = typeof body.vdom === 'string' ? body.vdom : undefined;
  for (const entry of body.entries) {
    if (!isJsonObject(entry)) return bad('entries must be objects');
    deps.state.seed(body.table, entry, vdom);
  }
  return ok({ status: 'ok', seeded: body.entries.length });
}

function requests(deps: ControlDeps, { query }: ControlRequest): ControlResponse {
  return ok(
    deps.requestLog.entries({
      since: query.has('since') ? Number(query.get('since')) : undefined,
      method: query.get('method') ?? undefined,
      table: query.get('table') ?? undefined,
      limit: query.has('limit') ? Number(query.get('limit')) : undefined,
    }) as unknown as JsonValue,
  );
}

/** The routes of the control API, by "METHOD /path". */
const ROUTES: Record<string, ControlHandler> = {
  'GET /': (deps) => ok(deps.info()),
  'GET /info': (deps) => ok(deps.info()),
  'GET /state': stateOf,
  'PUT /state': (deps, { body }) => {
    if (!isJsonObject(body)) return bad('expected a state snapshot');
    deps.state.load(body as unknown as DeviceSnapshot);
    return ok();
  },
  'POST /state/seed': seed,
  'GET /requests': requests,
  'DELETE /requests': (deps) => {
    deps.requestLog.clear();
    return ok();
  },
  'GET /faults': (deps) =>
    ok({ ...deps.faults.settings(), lockouts: deps.auth.lockedOutSources() } as unknown as JsonValue),
  'DELETE /faults': (deps) => {
    deps.faults.clear();
    deps.auth.clear();
    return ok();
  },
  'POST /faults/rules': (deps, { body }) => {
    if (!isJsonObject(body) || !isJsonObject(body.action))
      return bad('expected a fault rule {match?, action, probability?, times?}');
    return ok({ status: 'ok', id: deps.faults.addRule(body as unknown as FaultRule) });
  },
  'DELETE /faults/rules/:id': (deps, { segments }) =>
    deps.faults.removeRule(segments[2] ?? '') ? ok() : bad('no such rule', 404),
  'PUT /faults/latency': (deps, { body }) => {
    const ms = isJsonObject(body) ? num(body.ms) : undefined;
    if (ms === undefined || !isJsonObject(body)) return bad('expected {"ms": N, "jitterMs"?: N}');
    deps.faults.setLatency(ms, num(body.jitterMs) ?? 0);
    return ok();
  },
  'PUT /faults/not-found-after-create': (deps, { body }) => {
    const reads = isJsonObject(body) ? num(body.reads) : undefined;
    if (reads === undefined) return bad('expected {"reads": N}');
    deps.faults.notFoundAfterCreate(reads);
    return ok();
  },
  'POST /faults/lockout': (deps, { body }) => {
    const source = isJsonObject(body) && typeof body.ip === 'string' ? body.ip : '127.0.0.1';
    deps.auth.lockout(source, isJsonObject(body) ? num(body.durationMs) : undefined);
    return ok();
  },
  'DELETE /faults/lockout': (deps) => {
    deps.auth.clear();
    return ok();
  },
  'POST /reset': (deps) => {
    deps.reset();
    return ok();
  },
};

/** The route key of a request: its method and path, with a fault rule id as `:id`. */
function routeOf(method: string, segments: string[]): string {
  const isRule = segments.length === 3 && segments[0] === 'faults' && segments[1] === 'rules';
  return `${method} /${(isRule ? [...segments.slice(0, 2), ':id'] : segments).join('/')}`;
}

/**
 * The simulator's own API under `/__sim`, a prefix no FortiOS client uses: inspect and seed
 * state, read the request log, inject faults, reset. Errors answer `{status: 'error', message}`.
 */
export function handleControl(
  deps: ControlDeps,
  method: string,
  segments: string[],
  query: URLSearchParams,
  body: JsonValue | undefined,
): ControlResponse {
  const handler = ROUTES[routeOf(method, segments)];
  if (!handler) return bad(`no control route ${method} /${segments.join('/')}`, 404);
  try {
    return handler(deps, { segments, query, body });
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err));
  }
}
