import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Authenticator, TokenSpec } from './auth.js';
import type { ApiResponse, CmdbApi } from './cmdb-api.js';
import { errorEnvelope, monitorEnvelope } from './envelopes.js';
import type { FaultAction, FaultInjector } from './faults.js';
import { sendHtml, sendJson, sleep } from './http-io.js';
import { CliFailure } from './model/cli-failure.js';
import type { JsonValue } from './model/json.js';
import type { DeviceProfile } from './profile.js';
import type { RequestLog } from './request-log.js';
import { redactQuery, summariseBody } from './request-log.js';
import type { SimRequest } from './request.js';

export interface RestApiDeps {
  profile: DeviceProfile;
  defaultVdom: string;
  cmdb: CmdbApi;
  auth: Authenticator;
  faults: FaultInjector;
  requestLog: RequestLog;
  random: () => number;
  now: () => number;
  /** A write changed the configuration (persisted state is saved later). */
  changed: () => void;
  /** Timers of requests left hanging by a fault, cleared on close. */
  hangs: Set<NodeJS.Timeout>;
}

/** What one request concerns besides its path, for the request log. */
interface LogExtra {
  fortiosCode?: number;
  fault?: string;
  vdom?: string;
  table?: string;
  mkey?: string;
}

/** A request the token opened, as the routes see it. */
interface Authorized {
  r: SimRequest;
  token: TokenSpec;
}

interface Route {
  name: string;
  matches(r: SimRequest): boolean;
  handle(a: Authorized): ApiResponse;
}

/**
 * The FortiOS REST API of the simulator: latency and injected faults first, then the token check,
 * then the first route of the table that matches.
 */
export class RestApi {
  private readonly routes: Route[] = [
    {
      name: 'malformed path',
      matches: (r) => r.segments === undefined,
      handle: ({ r }) => this.plainFailure(r.method, 400, 'malformed URL'),
    },
    { name: 'CMDB', matches: (r) => r.api === 'cmdb', handle: (a) => this.cmdb(a) },
    {
      name: 'system status',
      matches: (r) =>
        r.api === 'monitor' && r.method === 'GET' && r.apiSegments.join('/') === 'system/status',
      handle: ({ r }) => this.systemStatus(r),
    },
  ];

  constructor(private readonly deps: RestApiDeps) {}

  /** `started`: performance.now() when the request arrived (before its body was read). */
  async serve(req: IncomingMessage, res: ServerResponse, r: SimRequest, started: number): Promise<void> {
    const log = (status: number, extra: LogExtra = {}): void => this.log(r, started, status, extra);
    if (r.bodyText === undefined) {
      sendHtml(res, 413);
      log(413);
      return;
    }
    const latency = this.deps.faults.latencyMs();
    if (latency > 0) await sleep(latency);
    if (await this.injectFault(req, res, r, log)) return;

    const outcome = this.deps.auth.check(r.sourceIp, req.headers.authorization, r.query.get('access_token'));
    if (!outcome.ok) {
      sendHtml(res, outcome.status);
      log(outcome.status);
      return;
    }
    const route = this.routes.find((rt) => rt.matches(r));
    const response = route
      ? route.handle({ r, token: outcome.token })
      : this.plainFailure(r.method, 404, 'not found');
    sendJson(res, response.status, response.json);
    log(response.status, {
      fortiosCode: response.fortiosCode,
      vdom: response.vdom,
      table: response.table,
      mkey: response.mkey,
      ...(response.fault ? { fault: response.fault } : {}),
    });
  }

  /** Answers the request with the first matching fault rule's action; false when none applies. */
  private async injectFault(
    req: IncomingMessage,
    res: ServerResponse,
    r: SimRequest,
    log: (status: number, extra?: LogExtra) => void,
  ): Promise<boolean> {
    const fault = this.deps.faults.pick({ method: r.method, path: r.rawPath, table: r.table, mkey: r.mkey });
    if (!fault) return false;
    const action = fault.action;
    switch (action.type) {
      case 'reset':
        log(0, { fault: `${fault.id}:reset` });
        req.socket.destroy();
        return true;
      case 'hang':
        log(0, { fault: `${fault.id}:hang` });
        if (action.ms !== undefined) {
          const timer = setTimeout(() => {
            this.deps.hangs.delete(timer);
            req.socket.destroy();
          }, action.ms);
          this.deps.hangs.add(timer);
        }
        return true;
      case 'latency':
        await sleep(action.ms + (action.jitterMs ? this.deps.random() * action.jitterMs : 0));
        return false;
      default:
        this.sendFaultError(res, r, action);
        log(action.status, {
          fault: `${fault.id}:error`,
          ...(action.fortiosCode !== undefined && action.status !== 401 && action.status !== 429
            ? { fortiosCode: action.fortiosCode }
            : {}),
        });
        return true;
    }
  }

  private sendFaultError(
    res: ServerResponse,
    r: SimRequest,
    action: Extract<FaultAction, { type: 'error' }>,
  ): void {
    const status = action.status;
    const vdom = r.query.get('vdom') ?? this.deps.defaultVdom;
    if (status === 401 || status === 429) return sendHtml(res, status);
    if (action.fortiosCode === undefined) {
      return sendJson(res, status, { http_method: r.method, status: 'error', http_status: status, vdom });
    }
    const failure = new CliFailure(
      status,
      action.fortiosCode,
      action.cliError ?? 'injected failure',
      action.cliError === undefined,
    );
    sendJson(
      res,
      status,
      errorEnvelope(this.deps.profile, {
        method: r.method,
        vdom,
        table: r.table ?? '',
        mkey: r.mkey,
        failure,
        includeCode: true,
      }),
    );
  }

  private cmdb({ r, token }: Authorized): ApiResponse {
    const { cmdb, faults } = this.deps;
    let body: JsonValue | undefined;
    try {
      body = r.bodyText ? (JSON.parse(r.bodyText) as JsonValue) : undefined;
    } catch {
      return this.plainFailure(r.method, 400, 'the request body is not JSON');
    }
    const vdom = r.query.get('vdom') ?? this.deps.defaultVdom;
    const single = r.apiSegments.length === 3 ? (r.apiSegments[2] as string) : undefined;
    if (
      r.method === 'GET' &&
      single !== undefined &&
      r.transactionId === undefined &&
      faults.hideOnRead(vdom, r.table ?? '', single)
    ) {
      return {
        ...cmdb.notFound(r.method, vdom, r.table ?? '', single),
        vdom,
        fault: 'not-found-after-create',
      };
    }
    const response = cmdb.handle({
      method: r.method,
      segments: r.apiSegments,
      query: r.query,
      body,
      transactionId: r.transactionId,
      allowedVdoms: token.vdoms ? new Set(token.vdoms) : undefined,
      readOnly: token.readOnly,
    });
    if (response.created && r.transactionId === undefined) {
      faults.recordCreate(response.created.vdom, response.created.table, response.created.mkey);
    }
    if (r.method !== 'GET' && response.status === 200 && r.transactionId === undefined) this.deps.changed();
    return response;
  }

  private systemStatus(r: SimRequest): ApiResponse {
    const { profile } = this.deps;
    const vdom = r.query.get('vdom') ?? this.deps.defaultVdom;
    return {
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
  }

  private plainFailure(method: string, status: number, text: string): ApiResponse {
    const failure = new CliFailure(status, undefined, text);
    return {
      status,
      json: errorEnvelope(this.deps.profile, {
        method,
        vdom: this.deps.defaultVdom,
        table: '',
        failure,
        includeCode: false,
      }),
    };
  }

  private log(r: SimRequest, started: number, status: number, extra: LogExtra): void {
    const timestampMs = this.deps.now();
    this.deps.requestLog.add({
      time: new Date(timestampMs).toISOString(),
      timestampMs,
      method: r.method,
      path: r.rawPath,
      query: redactQuery(r.rawQuery),
      table: extra.table ?? r.table,
      mkey: extra.mkey ?? r.mkey,
      vdom: extra.vdom ?? r.query.get('vdom') ?? undefined,
      status,
      fortiosCode: extra.fortiosCode,
      durationMs: performance.now() - started,
      sourceIp: r.sourceIp,
      ...(r.userAgent ? { userAgent: r.userAgent } : {}),
      transactionId: r.transactionId,
      body: r.bodyText === undefined ? undefined : summariseBody(r.bodyText),
      fault: extra.fault,
    });
  }
}
