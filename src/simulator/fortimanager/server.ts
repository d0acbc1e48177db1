import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { normaliseIp } from '../auth.js';
import { FaultInjector, seededRandom } from '../faults.js';
import type { FaultRule } from '../faults.js';
import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { RequestLog, summariseBody } from '../request-log.js';
import { startSimulator } from '../server.js';
import type { SimulatorHandle } from '../server.js';
import { generateTls } from '../tls.js';
import { Adom } from './adoms.js';
import type { GlobalWorkspaceMode } from './adoms.js';
import { handleControl, FMG_CONTROL_PREFIX } from './control.js';
import type { FmgFaultAction, FortiManagerSimulatorHandle, FortiManagerSimulatorOptions } from './types.js';
import type { FmgModel } from './model.js';
import type { AdomContext } from './objects.js';
import { handleEntry } from './rpc.js';
import { SessionRegistry } from './sessions.js';
import type { Session } from './sessions.js';
import { TaskRegistry } from './tasks.js';
import type { ManagedDevice } from './tasks.js';
import { splitUrl } from './url.js';

const DEFAULT_VERSION = '7.4.5';

/** Starts a FortiManager JSON-RPC simulator, with its managed FortiGates (FortiOS simulators). */
export async function startFortiManagerSimulator(
  options: FortiManagerSimulatorOptions,
): Promise<FortiManagerSimulatorHandle> {
  if (options.admins.length === 0)
    throw new RangeError('the FortiManager simulator needs at least one admin');
  const now = options.clock ?? Date.now;
  const version = parseVersion(options.fortimanagerVersion ?? DEFAULT_VERSION);
  const random = seededRandom(options.seed ?? 1);
  const requestFaults = new FaultInjector<FmgFaultAction>(random, {
    ms: options.latencyMs ?? 0,
    jitterMs: options.latencyJitterMs ?? 0,
  });
  const installFaults = new FaultInjector<FmgFaultAction>(random, { ms: 0, jitterMs: 0 });
  const tls = options.http
    ? undefined
    : (options.tls ?? (await generateTls(options.host ? [options.host] : [])));
  const deviceToken = options.deviceToken ?? randomBytes(16).toString('hex');
  const deviceHandles = new Map<string, SimulatorHandle>();
  for (const spec of options.devices ?? []) {
    const handle = await startSimulator({
      tokens: [deviceToken],
      http: options.http,
      tls: tls && { certPem: tls.certPem, keyPem: tls.keyPem, caCertPem: tls.caCertPem },
      vdoms: spec.vdoms ?? ['root'],
      fortiosVersion: spec.fortiosVersion,
      serial: spec.serial,
      hostname: spec.name,
      clock: options.clock,
    });
    deviceHandles.set(spec.name, handle);
  }
  const devices = new Map<string, ManagedDevice>(
    [...deviceHandles].map(([name, h]) => [name, { name, serial: h.serial, vdoms: h.vdoms, state: h.state }]),
  );

  let oid = 100;
  let counter = 0;
  const settings = {
    workspaceMode: options.workspaceMode ?? ('disabled' as GlobalWorkspaceMode),
    lockPreempt: options.lockPreempt ?? false,
    installDurationMs: options.installDurationMs ?? 3_000,
  };
  const adomSpecs = [
    { name: 'global' },
    ...(options.adoms ?? ['root']).map((a) => (typeof a === 'string' ? { name: a } : a)),
  ];
  let model: FmgModel;
  const freshAdoms = (): Map<string, Adom> =>
    new Map(
      adomSpecs.map((spec) => {
        const v = spec.version ? parseVersion(spec.version) : version;
        const ctx: AdomContext = {
          emptyGroupsAllowed: () => v[0] > 7 || (v[0] === 7 && v[1] >= 2),
          nextOid: () => ++oid,
          newUuid: randomUUID,
          now,
        };
        return [spec.name, new Adom(spec.name, ++oid, [v[0], v[1]], ctx)];
      }),
    );
  const sessions = new SessionRegistry({
    admins: options.admins,
    idleTimeoutMs: options.idleTimeoutMs ?? 900_000,
    loginMax: options.loginMax ?? 32,
    now,
    onEnd: (s: Session) => {
      for (const adom of model.adoms.values()) adom.sessionEnded(s);
    },
  });
  const tasks = new TaskRegistry({
    now,
    device: (name) => devices.get(name),
    installFault: (pkg, device) => {
      const rule = installFaults.pick({
        method: 'install',
        path: 'securityconsole/install/package',
        table: pkg,
        mkey: device,
      });
      return rule?.action.type === 'install-error'
        ? (rule.action.detail ?? 'injected install failure')
        : undefined;
    },
  });
  model = {
    identity: {
      hostname: options.hostname ?? 'FMG-VM64',
      serial: options.serial ?? 'FMG-VM0000000001',
      version,
      build: options.build ?? 2650,
      platform: 'FortiManager-VM64',
    },
    settings,
    adoms: freshAdoms(),
    sessions,
    tasks,
    devices,
    now,
    nextWorkflowId: () => ++counter,
    whereUsed: new Map(),
    nextToken: () => ++counter,
  };
  const ticker = setInterval(() => tasks.advanceAll(), 100);
  ticker.unref();

  const requestLog = new RequestLog(options.requestLogCapacity);
  const hangs = new Set<NodeJS.Timeout>();
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const reset = (): void => {
    sessions.clear();
    model.adoms = freshAdoms();
    tasks.clear();
    model.whereUsed.clear();
    requestLog.clear();
    requestFaults.clear();
    installFaults.clear();
    Object.assign(settings, {
      workspaceMode: options.workspaceMode ?? 'disabled',
      lockPreempt: options.lockPreempt ?? false,
      installDurationMs: options.installDurationMs ?? 3_000,
    });
    for (const d of deviceHandles.values()) d.reset();
  };
  const addFault = (rule: FaultRule<FmgFaultAction>): string =>
    rule.action.type === 'install-error' ? `i${installFaults.addRule(rule)}` : requestFaults.addRule(rule);
  const removeFault = (id: string): boolean =>
    id.startsWith('i') ? installFaults.removeRule(id.slice(1)) : requestFaults.removeRule(id);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] as string;
    const bodyText = await readBody(req, maxBodyBytes);
    if (path === FMG_CONTROL_PREFIX || path.startsWith(`${FMG_CONTROL_PREFIX}/`)) {
      const bearer = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1];
      const allowed =
        bearer !== undefined &&
        (options.controlToken !== undefined
          ? bearer === options.controlToken
          : options.admins.some((a) => a.apiKey === bearer));
      if (!allowed)
        return sendJson(res, 401, { status: 'error', message: 'control API: missing or wrong bearer token' });
      const reply = handleControl(
        controlDeps,
        req.method ?? 'GET',
        path.slice(FMG_CONTROL_PREFIX.length),
        parseJson(bodyText ?? ''),
      );
      return sendJson(res, reply.status, reply.json);
    }
    if (bodyText === undefined) return sendJson(res, 413, { error: 'request body too large' });
    if (path !== '/jsonrpc' || req.method !== 'POST') return sendJson(res, 404, { error: 'not found' });
    const request = parseJson(bodyText);
    if (!isJsonObject(request) || !Array.isArray(request.params) || typeof request.method !== 'string')
      return sendJson(res, 400, { error: 'a JSON-RPC request needs method and params' });
    const latency = requestFaults.latencyMs();
    if (latency > 0) await sleep(latency);

    const sourceIp = normaliseIp(req.socket.remoteAddress);
    const method = request.method;
    const verbose = request.verbose === 1 || request.verbose === true;
    let session = sessions.resolve(request.session, req.headers.authorization);
    let newSession: string | undefined;
    const results: JsonObject[] = [];
    for (const [index, entry] of request.params.entries()) {
      const target = faultTarget(method, entry);
      const fault = requestFaults.pick(target);
      const action = fault?.action;
      const log = (code: number | undefined, status = 200): void => {
        const timestampMs = now();
        requestLog.add({
          time: new Date(timestampMs).toISOString(),
          timestampMs,
          method,
          path: target.path,
          query: '',
          table: target.table,
          mkey: target.mkey,
          vdom: target.adom,
          status,
          fortiosCode: code,
          durationMs: performance.now() - started,
          sourceIp,
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
        if (action.type === 'http') return sendJson(res, action.status, { error: 'injected failure' });
        if (action.type === 'reset') return void req.socket.destroy();
        if (action.ms !== undefined) {
          const timer = setTimeout(() => {
            hangs.delete(timer);
            req.socket.destroy();
          }, action.ms);
          hangs.add(timer);
        }
        return;
      }
      if (action?.type === 'latency')
        await sleep(action.ms + (action.jitterMs ? random() * action.jitterMs : 0));
      if (action?.type === 'expire-session' && session && !session.viaApiKey) {
        sessions.end(session);
        session = undefined;
      }
      if (action?.type === 'status') {
        const url = isJsonObject(entry) && typeof entry.url === 'string' ? entry.url : '';
        results.push({ status: { code: action.code, message: action.message ?? 'injected failure' }, url });
        log(action.code);
        continue;
      }
      const outcome = handleEntry(model, method, entry, session, verbose);
      if (outcome.newSession !== undefined) newSession = outcome.newSession;
      results.push(outcome.result);
      log(outcome.code);
    }
    const reply: JsonObject = { id: request.id ?? null, result: results };
    if (newSession !== undefined) reply.session = newSession;
    sendJson(res, 200, reply);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  };
  const server = tls
    ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const adomApi = (name: string) => {
    const adom = (): Adom => {
      const found = model.adoms.get(name);
      if (!found) throw new RangeError(`no ADOM ${name}`);
      return found;
    };
    return {
      list: (table: Parameters<Adom['committed']['list']>[0]) =>
        structuredClone(adom().committed.list(table)),
      get: (table: Parameters<Adom['committed']['list']>[0], n: string) => {
        const e = adom().committed.find(table, n);
        return e && structuredClone(e);
      },
      seed: (table: Parameters<Adom['committed']['list']>[0], entry: JsonObject) => {
        adom().committed.add(table, entry, 'seed');
      },
      seedPackage: (pkg: {
        name: string;
        scope?: { name: string; vdom?: string }[];
        policies?: JsonObject[];
      }) => {
        const db = adom().committed;
        db.addPackage({ name: pkg.name, 'scope member': (pkg.scope ?? []) as unknown as JsonValue }, false);
        for (const p of pkg.policies ?? []) db.policyAdd(pkg.name, p);
      },
      policies: (pkg: string) => structuredClone(adom().committed.mustPackage(pkg).policies),
      lockInfo: () => {
        const lock = adom().lock;
        return lock && { user: lock.user, sid: lock.sid, time: lock.time, dirty: lock.dirty };
      },
      setWorkspaceMode: (mode: 'disabled' | 'normal' | 'workflow') => {
        adom().workspaceMode = mode;
      },
    };
  };
  const controlDeps = {
    info: (): JsonValue => ({
      version: `v${version.join('.')}`,
      adoms: [...model.adoms.keys()],
      devices: [...deviceHandles.entries()].map(([name, h]) => ({ name, url: h.url, vdoms: [...h.vdoms] })),
      sessions: sessions.list().length,
      settings: { ...settings },
      requests: requestLog.total,
    }),
    adom: adomApi,
    settings,
    sessions,
    tasks,
    requestLog,
    faults: {
      add: addFault,
      remove: removeFault,
      clear: () => (requestFaults.clear(), installFaults.clear()),
      settings: () => ({ requests: requestFaults.settings(), installs: installFaults.settings() }),
    },
    reset,
  };

  let closed: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    host,
    port,
    caCertPem: tls?.caCertPem,
    version: `v${version.join('.')}`,
    adom: adomApi,
    settings,
    sessions: {
      list: () => sessions.list().map((s) => ({ sid: s.sid, user: s.admin.name })),
      expire: (admin?: string) => sessions.expire(admin),
    },
    devices: deviceHandles,
    deviceToken,
    tasks: { list: () => tasks.list(), get: (id: number) => tasks.view(id) },
    requestLog,
    faults: controlDeps.faults,
    reset,
    close: () => {
      closed ??= (async () => {
        clearInterval(ticker);
        for (const timer of hangs) clearTimeout(timer);
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await done;
        await Promise.all([...deviceHandles.values()].map((d) => d.close()));
      })();
      return closed;
    },
  };
}

function faultTarget(
  method: string,
  entry: JsonValue,
): { method: string; path: string; table?: string; mkey?: string; adom?: string } {
  const url = isJsonObject(entry) && typeof entry.url === 'string' ? entry.url : '';
  const segments = splitUrl(url);
  const path = segments.join('/');
  const adomAt = segments.indexOf('adom');
  const adom = adomAt >= 0 ? segments[adomAt + 1] : undefined;
  const fw = segments.indexOf('firewall');
  if (segments[0] === 'pm' && segments[1] === 'config' && fw > 0 && segments[fw + 1] !== undefined)
    return { method, path, table: `firewall/${segments[fw + 1]}`, mkey: segments[fw + 2], adom };
  return { method, path, adom };
}

/** The params entry as logged: passwords never appear. */
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

function parseVersion(text: string): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new RangeError(`not a FortiManager version: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return text === '' ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, json: JsonValue): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
