import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Authenticator, DEFAULT_LOCKOUT } from './auth.js';
import type { LockoutPolicy, TokenSpec } from './auth.js';
import { CmdbApi } from './cmdb-api.js';
import { CONTROL_PREFIX, handleControl, type ControlDeps } from './control-api.js';
import { FaultInjector, seededRandom } from './faults.js';
import type { FaultRule, FaultSettings } from './faults.js';
import { DeviceState } from './model/device-state.js';
import type { DeviceSnapshot } from './model/device-state.js';
import type { JsonValue } from './model/json.js';
import { DEFAULT_LIMITS } from './model/vdom-config.js';
import type { Limits, ModelContext } from './model/vdom-config.js';
import { loadSnapshot, StateWriter } from './persistence.js';
import { DEFAULT_ERROR_CODES, deviceProfile } from './profile.js';
import type { DeviceProfile, ErrorCodes } from './profile.js';
import { readBody, sendJson, splitPath } from './http-io.js';
import { RequestLog } from './request-log.js';
import { parseRequest, type SimRequest } from './request.js';
import { RestApi } from './rest-api.js';
import { createStateApi } from './state-api.js';
import type { SimulatorStateApi } from './state-api.js';
import { generateTls } from './tls.js';
import { TransactionRegistry } from './transactions.js';

export interface SimulatorOptions {
  /** Loopback by default; the simulator is for demos and tests. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  tokens: readonly (string | TokenSpec)[];
  /** Guards `/__sim`; when unset, any API token opens it. */
  controlToken?: string;
  /** Plain HTTP instead of HTTPS. */
  http?: boolean;
  /** A certificate to serve instead of a generated one. */
  tls?: { certPem: string; keyPem: string; caCertPem?: string };
  fortiosVersion?: string;
  build?: number;
  serial?: string;
  hostname?: string;
  /** The first one is the admin's default VDOM. */
  vdoms?: readonly string[];
  /** A file the configuration is loaded from and saved to, so a demo survives a restart. */
  statePath?: string;
  latencyMs?: number;
  latencyJitterMs?: number;
  limits?: Partial<Limits>;
  errorCodes?: Partial<ErrorCodes>;
  caseSensitiveNames?: boolean;
  /** How an empty string for an option attribute is answered (default: the option's default, as 6.x did). */
  emptyOption?: 'default' | 'refuse';
  /** Accept `access_token=` in the URL; default: yes before 7.4.5, no from 7.4.5 on. */
  allowUrlToken?: boolean;
  trustedHosts?: readonly string[];
  lockout?: Partial<LockoutPolicy>;
  /** Milliseconds since the epoch; drives lockouts, transaction timeouts and log times. */
  clock?: () => number;
  /** Seed of the generator behind fault probabilities and latency jitter. */
  seed?: number;
  requestLogCapacity?: number;
  maxBodyBytes?: number;
}

export interface SimulatorFaults {
  add(rule: FaultRule): string;
  remove(id: string): boolean;
  setLatency(ms: number, jitterMs?: number): void;
  /** The next `reads` single-entry GETs of each newly created entry answer 404. */
  notFoundAfterCreate(reads: number): void;
  /** Locks a source address out as if it had failed to log in three times. */
  lockout(sourceIp?: string, durationMs?: number): void;
  clearLockouts(): void;
  /** Removes every rule, restores the start-up latency and lifts lockouts. */
  clear(): void;
  settings(): FaultSettings;
}

export interface SimulatorHandle {
  url: string;
  host: string;
  port: number;
  /** The CA that signed the served certificate (undefined over plain HTTP or a given cert without CA). */
  caCertPem: string | undefined;
  version: string;
  build: number;
  serial: string;
  vdoms: readonly string[];
  state: SimulatorStateApi;
  requestLog: RequestLog;
  faults: SimulatorFaults;
  /** Back to a fresh device: built-ins only, empty log, no faults, lockouts or transactions. */
  reset(): void;
  close(): Promise<void>;
}

/** The simulated device and everything acting on it, before it listens. */
interface Device {
  profile: DeviceProfile;
  vdomNames: string[];
  defaultVdom: string;
  now: () => number;
  random: () => number;
  writer: StateWriter | undefined;
  changed: () => void;
  faults: FaultInjector;
  auth: Authenticator;
  requestLog: RequestLog;
  cmdb: CmdbApi;
  stateApi: SimulatorStateApi;
  reset: () => void;
  info: () => JsonValue;
}

async function assemble(options: SimulatorOptions): Promise<Device> {
  const now = options.clock ?? Date.now;
  const profile = deviceProfile(options.fortiosVersion ?? '7.2.8', options);
  const codes: ErrorCodes = { ...DEFAULT_ERROR_CODES, ...options.errorCodes };
  const vdomNames = options.vdoms && options.vdoms.length > 0 ? [...new Set(options.vdoms)] : ['root'];
  const defaultVdom = vdomNames[0] as string;
  const ctx: ModelContext = {
    codes,
    profile,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    caseSensitiveNames: options.caseSensitiveNames ?? true,
    newUuid: randomUUID,
    newRevision: () => randomUUID().replaceAll('-', ''),
  };

  const saved = options.statePath ? await loadSnapshot(options.statePath) : undefined;
  let state = saved ? DeviceState.fromSnapshot(saved, vdomNames, ctx) : DeviceState.fresh(vdomNames, ctx);
  const writer = options.statePath ? new StateWriter(options.statePath, () => state.snapshot()) : undefined;
  const changed = (): void => writer?.markDirty();

  const random = seededRandom(options.seed ?? 1);
  const faults = new FaultInjector(random, {
    ms: options.latencyMs ?? 0,
    jitterMs: options.latencyJitterMs ?? 0,
  });
  const auth = new Authenticator({
    tokens: options.tokens,
    trustedHosts: options.trustedHosts,
    allowUrlToken: options.allowUrlToken ?? !profile.urlTokenRefusedByDefault,
    lockout: { ...DEFAULT_LOCKOUT, ...options.lockout },
    now,
  });
  const requestLog = new RequestLog(options.requestLogCapacity);
  const transactions = new TransactionRegistry(now);
  const cmdb = new CmdbApi({
    profile,
    codes,
    defaultVdom,
    state: () => state,
    replaceState: (next) => {
      state = next;
    },
    transactions,
  });
  const stateApi = createStateApi(
    () => state,
    (snapshot: DeviceSnapshot) => {
      state = DeviceState.fromSnapshot(snapshot, vdomNames, ctx);
    },
    defaultVdom,
    changed,
  );
  const reset = (): void => {
    state = DeviceState.fresh(vdomNames, ctx);
    requestLog.clear();
    faults.clear();
    auth.clear();
    transactions.clear();
    changed();
  };
  const info = (): JsonValue => ({
    version: profile.versionText,
    build: profile.build,
    serial: profile.serial,
    vdoms: [...state.vdoms.keys()],
    requests: requestLog.total,
    openTransactions: transactions.count,
  });
  return {
    profile,
    vdomNames,
    defaultVdom,
    now,
    random,
    writer,
    changed,
    faults,
    auth,
    requestLog,
    cmdb,
    stateApi,
    reset,
    info,
  };
}

export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  if (options.tokens.length === 0) throw new RangeError('the simulator needs at least one API token');
  const device = await assemble(options);
  const { profile, vdomNames, faults, auth, requestLog, stateApi, reset, writer, info } = device;
  const hangs = new Set<NodeJS.Timeout>();
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;

  const rest = new RestApi({ ...device, hangs });
  const control = { state: stateApi, requestLog, faults, auth, reset, info };
  const controlAllowed = (bearer: string): boolean =>
    options.controlToken !== undefined ? bearer === options.controlToken : auth.knows(bearer);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const bodyText = await readBody(req, maxBodyBytes);
    const r = parseRequest(req, bodyText);
    if (r.rawPath === CONTROL_PREFIX || r.rawPath.startsWith(`${CONTROL_PREFIX}/`)) {
      serveControl(req, res, r, control, controlAllowed);
      return;
    }
    await rest.serve(req, res, r, started);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { status: 'error', http_status: 500, message: String(err) });
      else res.destroy();
    });
  };

  const { server, caCertPem, host, port } = await listen(options, listener);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closed: Promise<void> | undefined;
  return {
    url: `${options.http ? 'http' : 'https'}://${urlHost}:${port}`,
    host,
    port,
    caCertPem,
    version: profile.versionText,
    build: profile.build,
    serial: profile.serial,
    vdoms: vdomNames,
    state: stateApi,
    requestLog,
    faults: faultsHandle(faults, auth),
    reset,
    close: () => {
      closed ??= (async () => {
        for (const timer of hangs) clearTimeout(timer);
        hangs.clear();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await done;
        await writer?.flush();
      })();
      return closed;
    },
  };
}

/** Serves HTTPS (a generated certificate unless one is given) or plain HTTP on host:port. */
async function listen(
  options: SimulatorOptions,
  listener: http.RequestListener,
): Promise<{ server: http.Server; caCertPem: string | undefined; host: string; port: number }> {
  let caCertPem: string | undefined;
  let server: http.Server;
  if (options.http) {
    server = http.createServer(listener);
  } else {
    const tls: { certPem: string; keyPem: string; caCertPem?: string } =
      options.tls ?? (await generateTls(options.host ? [options.host] : []));
    caCertPem = tls.caCertPem;
    server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, listener);
  }
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
  return { server, caCertPem, host, port };
}

function faultsHandle(faults: FaultInjector, auth: Authenticator): SimulatorFaults {
  return {
    add: (rule) => faults.addRule(rule),
    remove: (id) => faults.removeRule(id),
    setLatency: (ms, jitterMs) => faults.setLatency(ms, jitterMs),
    notFoundAfterCreate: (reads) => faults.notFoundAfterCreate(reads),
    lockout: (sourceIp = '127.0.0.1', durationMs) => auth.lockout(sourceIp, durationMs),
    clearLockouts: () => auth.clear(),
    clear: () => {
      faults.clear();
      auth.clear();
    },
    settings: () => faults.settings(),
  };
}

/** The control API (/__sim): the bearer must be the control token, or any API token without one. */
function serveControl(
  req: IncomingMessage,
  res: ServerResponse,
  r: SimRequest,
  deps: ControlDeps,
  allowed: (bearer: string) => boolean,
): void {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (bearer === undefined || !allowed(bearer)) {
    sendJson(res, 401, { status: 'error', message: 'control API: missing or wrong bearer token' });
    return;
  }
  let body: JsonValue | undefined;
  try {
    body = r.bodyText ? (JSON.parse(r.bodyText) as JsonValue) : undefined;
  } catch {
    sendJson(res, 400, { status: 'error', message: 'body is not JSON' });
    return;
  }
  const segments = (splitPath(r.rawPath.slice(CONTROL_PREFIX.length)) ?? []).filter((s) => s !== '');
  const reply = handleControl(deps, r.method, segments, r.query, body);
  sendJson(res, reply.status, reply.json);
}
