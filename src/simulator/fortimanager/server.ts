import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { FaultInjector, seededRandom } from '../faults.js';
import type { FaultRule } from '../faults.js';
import { isJsonObject } from '../model/json.js';
import type { JsonValue } from '../model/json.js';
import { RequestLog } from '../request-log.js';
import { startSimulator } from '../server.js';
import type { SimulatorHandle } from '../server.js';
import { generateTls } from '../tls.js';
import type { GeneratedTls } from '../tls.js';
import { adomApi } from './adom-api.js';
import { buildModel, parseVersion } from './build-model.js';
import { FMG_CONTROL_PREFIX, handleControl } from './control.js';
import type { FmgControlDeps } from './control.js';
import { sendJson, serveJsonRpc } from './http-rpc.js';
import type { ManagedDevice } from './tasks.js';
import type {
  FmgFaultAction,
  FmgFaults,
  FortiManagerSimulatorHandle,
  FortiManagerSimulatorOptions,
} from './types.js';

const DEFAULT_VERSION = '7.4.5';

/** Starts a FortiManager JSON-RPC simulator, with its managed FortiGates (FortiOS simulators). */
export async function startFortiManagerSimulator(
  options: FortiManagerSimulatorOptions,
): Promise<FortiManagerSimulatorHandle> {
  if (options.admins.length === 0)
    throw new RangeError('the FortiManager simulator needs at least one admin');
  const version = parseVersion(options.fortimanagerVersion ?? DEFAULT_VERSION);
  const tls = options.http
    ? undefined
    : (options.tls ?? (await generateTls(options.host ? [options.host] : [])));
  const deviceToken = options.deviceToken ?? randomBytes(16).toString('hex');
  const deviceHandles = await startManagedDevices(options, tls, deviceToken);
  const devices = new Map<string, ManagedDevice>(
    [...deviceHandles].map(([name, h]) => [name, { name, serial: h.serial, vdoms: h.vdoms, state: h.state }]),
  );
  const random = seededRandom(options.seed ?? 1);
  const latency = { ms: options.latencyMs ?? 0, jitterMs: options.latencyJitterMs ?? 0 };
  const requestFaults = new FaultInjector<FmgFaultAction>(random, latency);
  const installFaults = new FaultInjector<FmgFaultAction>(random, { ms: 0, jitterMs: 0 });
  const { model, reset: resetModel } = buildModel(options, version, devices, (pkg, device) => {
    const rule = installFaults.pick({
      method: 'INSTALL',
      path: 'securityconsole/install/package',
      table: pkg,
      mkey: device,
    });
    return rule?.action.type === 'install-error'
      ? (rule.action.detail ?? 'injected install failure')
      : undefined;
  });
  const ticker = setInterval(() => model.tasks.advanceAll(), 100);
  ticker.unref();
  const requestLog = new RequestLog(options.requestLogCapacity);
  const hangs = new Set<NodeJS.Timeout>();
  const faults: FmgFaults = {
    add: (rule: FaultRule<FmgFaultAction>) =>
      rule.action.type === 'install-error' ? `i${installFaults.addRule(rule)}` : requestFaults.addRule(rule),
    remove: (id) =>
      id.startsWith('i') ? installFaults.removeRule(id.slice(1)) : requestFaults.removeRule(id),
    clear: () => {
      requestFaults.clear();
      installFaults.clear();
    },
    settings: () => ({ requests: requestFaults.settings(), installs: installFaults.settings() }),
  };
  const reset = (): void => {
    resetModel();
    requestLog.clear();
    faults.clear();
    for (const d of deviceHandles.values()) d.reset();
  };
  const control: FmgControlDeps = {
    info: (): JsonValue => ({
      version: `v${version.join('.')}`,
      adoms: [...model.adoms.keys()],
      devices: [...deviceHandles].map(([name, h]) => ({ name, url: h.url, vdoms: [...h.vdoms] })),
      sessions: model.sessions.list().length,
      settings: { ...model.settings },
      requests: requestLog.total,
    }),
    adom: (name) => adomApi(model, name),
    settings: model.settings,
    sessions: model.sessions,
    tasks: model.tasks,
    requestLog,
    faults,
    reset,
  };
  const rpcDeps = { model: () => model, faults: requestFaults, requestLog, random, hangs };
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const bodyText = await readBody(req, maxBodyBytes);
    if (path === FMG_CONTROL_PREFIX || path.startsWith(`${FMG_CONTROL_PREFIX}/`)) {
      if (!controlAllowed(options, req.headers.authorization))
        return sendJson(res, 401, { status: 'error', message: 'control API: missing or wrong bearer token' });
      const reply = handleControl(
        control,
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
    await serveJsonRpc(
      rpcDeps,
      req,
      res,
      request as typeof request & { method: string; params: JsonValue[] },
    );
  }

  const server = await listen(options, tls, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';
  let closed: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    host,
    port,
    caCertPem: tls?.caCertPem,
    version: `v${version.join('.')}`,
    adom: (name) => adomApi(model, name),
    settings: model.settings,
    sessions: {
      list: () => model.sessions.list().map((s) => ({ sid: s.sid, user: s.admin.name })),
      expire: (admin) => model.sessions.expire(admin),
    },
    devices: deviceHandles,
    deviceToken,
    tasks: { list: () => model.tasks.list(), get: (id) => model.tasks.view(id) },
    requestLog,
    faults,
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

/** One FortiOS simulator per managed FortiGate, serving the FortiManager's certificate. */
async function startManagedDevices(
  options: FortiManagerSimulatorOptions,
  tls: GeneratedTls | FortiManagerSimulatorOptions['tls'],
  deviceToken: string,
): Promise<Map<string, SimulatorHandle>> {
  const handles = new Map<string, SimulatorHandle>();
  for (const spec of options.devices ?? []) {
    const handle = await startSimulator({
      host: options.host,
      tokens: [deviceToken],
      http: options.http,
      tls: tls && { certPem: tls.certPem, keyPem: tls.keyPem, caCertPem: tls.caCertPem },
      vdoms: spec.vdoms ?? ['root'],
      fortiosVersion: spec.fortiosVersion,
      serial: spec.serial,
      hostname: spec.name,
      clock: options.clock,
    });
    handles.set(spec.name, handle);
  }
  return handles;
}

function controlAllowed(options: FortiManagerSimulatorOptions, authorization: string | undefined): boolean {
  const bearer = /^Bearer\s+(\S+)/i.exec(authorization ?? '')?.[1];
  if (bearer === undefined) return false;
  if (options.controlToken !== undefined) return bearer === options.controlToken;
  return options.admins.some((a) => a.apiKey === bearer);
}

async function listen(
  options: FortiManagerSimulatorOptions,
  tls: GeneratedTls | FortiManagerSimulatorOptions['tls'],
  listener: http.RequestListener,
): Promise<http.Server> {
  const server = tls
    ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, listener)
    : http.createServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function parseJson(text: string): JsonValue | undefined {
  try {
    return text === '' ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

/** The body as text, or undefined beyond `limit` bytes (answered 413). */
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
