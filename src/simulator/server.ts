import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Authenticator, DEFAULT_LOCKOUT, normaliseIp } from './auth.js';
import type { LockoutPolicy, TokenSpec } from './auth.js';
import { CmdbApi } from './cmdb-api.js';
import type { ApiResponse } from './cmdb-api.js';
import { CONTROL_PREFIX, handleControl } from './control-api.js';
import { errorEnvelope, htmlPage, monitorEnvelope } from './envelopes.js';
import { FaultInjector, seededRandom } from './faults.js';
import type { FaultRule, FaultSettings } from './faults.js';
import { CliFailure } from './model/cli-failure.js';
import { DeviceState } from './model/device-state.js';
import type { DeviceSnapshot } from './model/device-state.js';
import type { JsonValue } from './model/json.js';
import { DEFAULT_LIMITS } from './model/vdom-config.js';
import type { Limits, ModelContext } from './model/vdom-config.js';
import { loadSnapshot, StateWriter } from './persistence.js';
import { DEFAULT_ERROR_CODES, deviceProfile } from './profile.js';
import type { ErrorCodes } from './profile.js';
import { RequestLog, redactQuery, summariseBody } from './request-log.js';
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

const CONTROL_ONLY_HEADERS = { 'content-type': 'application/json' };

export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  if (options.tokens.length === 0) throw new RangeError('the simulator needs at least one API token');
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
  const hangs = new Set<NodeJS.Timeout>();
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;

  const info = (): JsonValue => ({
    version: profile.versionText,
    build: profile.build,
    serial: profile.serial,
    vdoms: [...state.vdoms.keys()],
    requests: requestLog.total,
    openTransactions: transactions.count,
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);
    const query = new URLSearchParams(rawQuery);
    const method = (req.method ?? 'GET').toUpperCase();
    const sourceIp = normaliseIp(req.socket.remoteAddress);
    const bodyText = await readBody(req, maxBodyBytes);

    if (rawPath === CONTROL_PREFIX || rawPath.startsWith(`${CONTROL_PREFIX}/`)) {
      serveControl(req, res, method, rawPath, query, bodyText);
      return;
    }

    const segments = splitPath(rawPath);
    const api = segments?.[0] === 'api' && segments[1] === 'v2' ? segments[2] : undefined;
    const apiSegments = segments?.slice(3) ?? [];
    const table =
      api === 'cmdb'
        ? apiSegments.length === 0
          ? 'cmdb'
          : apiSegments.slice(0, 2).join('/')
        : api === 'monitor'
          ? `monitor/${apiSegments.join('/')}`
          : undefined;
    const mkey = api === 'cmdb' ? (apiSegments[4] ?? apiSegments[2]) : undefined;
    const transactionHeader = req.headers['x-transaction-id'];
    const transactionId =
      typeof transactionHeader === 'string' && /^\d+$/.test(transactionHeader)
        ? Number(transactionHeader)
        : undefined;

    const log = (
      status: number,
      extra: { fortiosCode?: number; fault?: string; vdom?: string; table?: string; mkey?: string } = {},
    ): void => {
      const timestampMs = now();
      requestLog.add({
        time: new Date(timestampMs).toISOString(),
        timestampMs,
        method,
        path: rawPath,
        query: redactQuery(rawQuery),
        table: extra.table ?? table,
        mkey: extra.mkey ?? mkey,
        vdom: extra.vdom ?? query.get('vdom') ?? undefined,
        status,
        fortiosCode: extra.fortiosCode,
        durationMs: performance.now() - started,
        sourceIp,
        transactionId,
        body: bodyText === undefined ? undefined : summariseBody(bodyText),
        fault: extra.fault,
      });
    };

    if (bodyText === undefined) {
      sendHtml(res, 413);
      log(413);
      return;
    }

    const latency = faults.latencyMs();
    if (latency > 0) await sleep(latency);

    const fault = faults.pick({ method, path: rawPath, table, mkey });
    if (fault) {
      const action = fault.action;
      if (action.type === 'reset') {
        log(0, { fault: `${fault.id}:reset` });
        req.socket.destroy();
        return;
      }
      if (action.type === 'hang') {
        log(0, { fault: `${fault.id}:hang` });
        if (action.ms !== undefined) {
          const timer = setTimeout(() => {
            hangs.delete(timer);
            req.socket.destroy();
          }, action.ms);
          hangs.add(timer);
        }
        return;
      }
      if (action.type === 'latency') {
        await sleep(action.ms + (action.jitterMs ? random() * action.jitterMs : 0));
      } else {
        const status = action.status;
        if (status === 401 || status === 429 || action.fortiosCode === undefined) {
          if (status === 401 || status === 429) sendHtml(res, status);
          else
            sendJson(res, status, {
              http_method: method,
              status: 'error',
              http_status: status,
              vdom: query.get('vdom') ?? defaultVdom,
            });
          log(status, { fault: `${fault.id}:error` });
          return;
        }
        const failure = new CliFailure(
          status,
          action.fortiosCode,
          action.cliError ?? 'injected failure',
          action.cliError === undefined,
        );
        const json = errorEnvelope(profile, {
          method,
          vdom: query.get('vdom') ?? defaultVdom,
          table: table ?? '',
          mkey,
          failure,
          includeCode: true,
        });
        sendJson(res, status, json);
        log(status, { fault: `${fault.id}:error`, fortiosCode: action.fortiosCode });
        return;
      }
    }

    const outcome = auth.check(sourceIp, req.headers.authorization, query.get('access_token'));
    if (!outcome.ok) {
      sendHtml(res, outcome.status);
      log(outcome.status);
      return;
    }

    let response: ApiResponse;
    if (segments === undefined) {
      response = plainFailure(method, 400, 'malformed URL');
    } else if (api === 'cmdb') {
      let body: JsonValue | undefined;
      try {
        body = bodyText === '' ? undefined : (JSON.parse(bodyText) as JsonValue);
      } catch {
        response = plainFailure(method, 400, 'the request body is not JSON');
        sendJson(res, response.status, response.json);
        log(response.status);
        return;
      }
      const vdom = query.get('vdom') ?? defaultVdom;
      if (
        method === 'GET' &&
        apiSegments.length === 3 &&
        transactionId === undefined &&
        faults.hideOnRead(vdom, table ?? '', apiSegments[2] as string)
      ) {
        response = cmdb.notFound(method, vdom, table ?? '', apiSegments[2] as string);
        sendJson(res, response.status, response.json);
        log(response.status, { fault: 'not-found-after-create', fortiosCode: response.fortiosCode, vdom });
        return;
      }
      response = cmdb.handle({
        method,
        segments: apiSegments,
        query,
        body,
        transactionId,
        allowedVdoms: outcome.token.vdoms ? new Set(outcome.token.vdoms) : undefined,
        readOnly: outcome.token.readOnly,
      });
      if (response.created && transactionId === undefined) {
        faults.recordCreate(response.created.vdom, response.created.table, response.created.mkey);
      }
      if (method !== 'GET' && response.status === 200 && transactionId === undefined) changed();
    } else if (api === 'monitor' && method === 'GET' && apiSegments.join('/') === 'system/status') {
      const vdom = query.get('vdom') ?? defaultVdom;
      response = {
        status: 200,
        json: monitorEnvelope(profile, vdom, 'system/status', {
          model_name: profile.modelName,
          model_number: profile.modelNumber,
          model: profile.model,
          hostname: profile.hostname,
          log_disk_status: 'not_available',
        }),
        vdom,
      };
    } else {
      response = plainFailure(method, 404, 'not found');
    }
    sendJson(res, response.status, response.json);
    log(response.status, {
      fortiosCode: response.fortiosCode,
      vdom: response.vdom,
      table: response.table,
      mkey: response.mkey,
    });
  }

  function plainFailure(method: string, status: number, text: string): ApiResponse {
    const failure = new CliFailure(status, undefined, text);
    return {
      status,
      json: errorEnvelope(profile, { method, vdom: defaultVdom, table: '', failure, includeCode: false }),
    };
  }

  function serveControl(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    rawPath: string,
    query: URLSearchParams,
    bodyText: string | undefined,
  ): void {
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const allowed =
      bearer !== undefined &&
      (options.controlToken !== undefined ? bearer === options.controlToken : auth.knows(bearer));
    if (!allowed) {
      sendJson(res, 401, { status: 'error', message: 'control API: missing or wrong bearer token' });
      return;
    }
    let body: JsonValue | undefined;
    try {
      body = bodyText ? (JSON.parse(bodyText) as JsonValue) : undefined;
    } catch {
      sendJson(res, 400, { status: 'error', message: 'body is not JSON' });
      return;
    }
    const segments = (splitPath(rawPath.slice(CONTROL_PREFIX.length)) ?? []).filter((s) => s !== '');
    const reply = handleControl(
      { state: stateApi, requestLog, faults, auth, reset, info },
      method,
      segments,
      query,
      body,
    );
    sendJson(res, reply.status, reply.json);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { status: 'error', http_status: 500, message: String(err) });
      else res.destroy();
    });
  };

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
    faults: {
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
    },
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

/** Splits a raw path into decoded segments; undefined when a segment is not valid percent-encoding. */
function splitPath(rawPath: string): string[] | undefined {
  const segments: string[] = [];
  for (const part of rawPath.split('/')) {
    if (part === '') continue;
    try {
      segments.push(decodeURIComponent(part));
    } catch {
      return undefined;
    }
  }
  return segments;
}

/** The body as text, or undefined when it exceeds `limit` bytes (answered with 413). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve('');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, json: JsonValue): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { ...CONTROL_ONLY_HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number): void {
  const text = htmlPage(status);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
