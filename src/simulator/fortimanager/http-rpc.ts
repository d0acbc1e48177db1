import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { normaliseIp } from '../auth.js';
import type { FaultInjector } from '../faults.js';
import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { RequestLog } from '../request-log.js';
import { summariseBody } from '../request-log.js';
import type { FmgModel } from './model.js';
import { handleEntry } from './rpc.js';
import type { Session } from './sessions.js';
import type { FmgFaultAction } from './types.js';
import { splitUrl } from './url.js';

export interface RpcHttpDeps {
  model: () => FmgModel;
  faults: FaultInjector<FmgFaultAction>;
  requestLog: RequestLog;
  random: () => number;
  /** Timers of hanging requests, cleared on close. */
  hangs: Set<NodeJS.Timeout>;
}

interface FaultTarget {
  method: string;
  path: string;
  table?: string;
  mkey?: string;
  adom?: string;
}

/**
 * `POST /jsonrpc`: each params entry is handled (and logged) on its own, as FMG answers one result
 * per entry. Faults of the first entry that concern the whole exchange (http, hang, reset) end it.
 */
export async function serveJsonRpc(
  deps: RpcHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  request: JsonObject & { method: string; params: JsonValue[] },
): Promise<void> {
  const started = performance.now();
  const model = deps.model();
  const sourceIp = normaliseIp(req.socket.remoteAddress);
  const latency = deps.faults.latencyMs();
  if (latency > 0) await sleep(latency);
  let session = model.sessions.resolve(request.session, req.headers.authorization);
  let newSession: string | undefined;
  const results: JsonObject[] = [];
  for (const [index, entry] of request.params.entries()) {
    // Upper case, as the FortiOS simulator's log and fault rules compare methods.
    const target = faultTarget(request.method.toUpperCase(), entry);
    const fault = deps.faults.pick(target);
    const action = fault?.action;
    const log = (code: number | undefined, status = 200): void => {
      const timestampMs = model.now();
      deps.requestLog.add({
        time: new Date(timestampMs).toISOString(),
        timestampMs,
        method: target.method,
        path: target.path,
        query: '',
        table: target.table,
        mkey: target.mkey,
        vdom: target.adom,
        status,
        fortiosCode: code,
        durationMs: performance.now() - started,
        sourceIp,
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
        body: summariseBody(redactedEntry(entry)),
        fault: fault && `${fault.id}:${fault.action.type}`,
      });
    };
    if (
      index === 0 &&
      action &&
      (action.type === 'http' || action.type === 'hang' || action.type === 'reset')
    ) {
      log(undefined, action.type === 'http' ? action.status : 0);
      endExchange(deps, req, res, action);
      return;
    }
    if (action?.type === 'latency')
      await sleep(action.ms + (action.jitterMs ? deps.random() * action.jitterMs : 0));
    if (action?.type === 'expire-session' && session) {
      model.sessions.end(session);
      session = undefined;
    }
    if (action?.type === 'status') {
      const url = isJsonObject(entry) && typeof entry.url === 'string' ? entry.url : '';
      results.push({ status: { code: action.code, message: action.message ?? 'injected failure' }, url });
      log(action.code);
      continue;
    }
    const outcome = handleEntry(
      model,
      request.method,
      entry,
      session as Session | undefined,
      isVerbose(request),
    );
    newSession = outcome.newSession ?? newSession;
    results.push(outcome.result);
    log(outcome.code);
  }
  const reply: JsonObject = { id: request.id ?? null, result: results };
  if (newSession !== undefined) reply.session = newSession;
  sendJson(res, 200, reply);
}

function endExchange(
  deps: RpcHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  action: Extract<FmgFaultAction, { type: 'http' | 'hang' | 'reset' }>,
): void {
  if (action.type === 'http') return sendJson(res, action.status, { error: 'injected failure' });
  if (action.type === 'reset') return void req.socket.destroy();
  if (action.ms === undefined) return;
  const timer = setTimeout(() => {
    deps.hangs.delete(timer);
    req.socket.destroy();
  }, action.ms);
  deps.hangs.add(timer);
}

function isVerbose(request: JsonObject): boolean {
  return request.verbose === 1 || request.verbose === true;
}

function faultTarget(method: string, entry: JsonValue): FaultTarget {
  const url = isJsonObject(entry) && typeof entry.url === 'string' ? entry.url : '';
  const segments = splitUrl(url);
  // The url as sent (names still escaped), without the optional leading and trailing slashes.
  const path = url.replace(/^\/+|\/+$/g, '');
  const adomAt = segments.indexOf('adom');
  const adom = adomAt >= 0 ? segments[adomAt + 1] : undefined;
  const fw = segments.indexOf('firewall');
  if (segments[0] === 'pm' && segments[1] === 'config' && fw > 0 && segments[fw + 1] !== undefined)
    return { method, path, table: `firewall/${segments[fw + 1]}`, mkey: segments[fw + 2], adom };
  return { method, path, adom };
}

/** The params entry as logged: passwords and session strings never appear. */
function redactedEntry(entry: JsonValue): string {
  const copy = structuredClone(entry);
  const scrub = (value: JsonValue): void => {
    if (Array.isArray(value)) value.forEach(scrub);
    else if (isJsonObject(value))
      for (const key of Object.keys(value)) {
        if (/^(passwd|password|session|apikey|api_key|token)$/i.test(key)) value[key] = '******';
        else scrub(value[key] as JsonValue);
      }
  };
  scrub(copy);
  return JSON.stringify(copy);
}

export function sendJson(res: ServerResponse, status: number, json: JsonValue): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
