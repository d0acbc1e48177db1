import { errorEnvelope, readEnvelope, writeEnvelope } from './envelopes.js';
import { matchesFilters, parseFilters } from './filter-eval.js';
import { CliFailure } from './model/cli-failure.js';
import type { DeviceState } from './model/device-state.js';
import { isJsonObject } from './model/json.js';
import type { JsonObject, JsonValue } from './model/json.js';
import { TABLES, isSimTable } from './model/tables.js';
import type { SimTableName, TableDef } from './model/tables.js';
import type { VdomConfig } from './model/vdom-config.js';
import type { DeviceProfile, ErrorCodes } from './profile.js';
import type { StagedRequest, TransactionRegistry } from './transactions.js';

export interface CmdbRequest extends StagedRequest {
  transactionId?: number;
  /** VDOMs the token may use; undefined means all. */
  allowedVdoms?: ReadonlySet<string>;
  readOnly?: boolean;
}

export interface ApiResponse {
  status: number;
  json: JsonValue;
  /** For the request log and for fault bookkeeping. */
  table?: string;
  mkey?: string;
  vdom?: string;
  fortiosCode?: number;
  /** Set on a successful create so the server can simulate read-your-write lag. */
  created?: { vdom: string; table: string; mkey: string };
  /** The injected fault that shaped the answer, for the request log. */
  fault?: string;
}

export interface CmdbDeps {
  profile: DeviceProfile;
  codes: ErrorCodes;
  defaultVdom: string;
  state: () => DeviceState;
  replaceState: (next: DeviceState) => void;
  transactions: TransactionRegistry;
}

interface Route {
  table: string;
  def?: TableDef;
  mkey?: string;
  child?: string;
  childMkey?: string;
}

const TRANSACTION_ACTIONS = new Set(['transaction-start', 'transaction-commit', 'transaction-abort']);

/** `/api/v2/cmdb/...`: FortiOS' configuration API over the in-memory model. */
export class CmdbApi {
  constructor(private readonly deps: CmdbDeps) {}

  handle(req: CmdbRequest): ApiResponse {
    if (req.segments.length === 0) return this.root(req);
    if (req.readOnly && req.method !== 'GET')
      return this.plainError(req, 403, 'the API admin profile is read-only');
    if (req.transactionId === undefined) return this.dispatch(this.deps.state(), req);
    const tx = this.deps.transactions.get(req.transactionId);
    if (!tx) return this.plainError(req, 400, `transaction ${req.transactionId} is unknown or has expired`);
    const response = this.dispatch(tx.staged, req);
    if (req.method !== 'GET' && response.status === 200) {
      tx.requests.push({ method: req.method, segments: req.segments, query: req.query, body: req.body });
    }
    return response;
  }

  /** Executes one request against `state`; never touches transactions. */
  dispatch(state: DeviceState, req: StagedRequest & { allowedVdoms?: ReadonlySet<string> }): ApiResponse {
    const route = this.route(req.segments);
    const vdomParam = req.query.get('vdom');
    const multi = vdomParam === '*' || (vdomParam?.includes(',') ?? false) || req.query.get('global') === '1';
    if (multi) {
      if (req.method !== 'GET') return this.plainError(req, 400, 'a write addresses exactly one VDOM');
      const names = vdomParam === '*' || vdomParam === null ? [...state.vdoms.keys()] : vdomParam.split(',');
      const visible = names.filter((n) => !req.allowedVdoms || req.allowedVdoms.has(n));
      const parts = visible.map((name) => this.inVdom(state, req, route, name));
      return {
        status: 200,
        json: parts.map((p) => p.json),
        table: route.table,
        mkey: route.mkey,
        vdom: vdomParam ?? '*',
      };
    }
    return this.inVdom(state, req, route, vdomParam ?? this.deps.defaultVdom);
  }

  private inVdom(
    state: DeviceState,
    req: StagedRequest & { allowedVdoms?: ReadonlySet<string> },
    route: Route,
    vdomName: string,
  ): ApiResponse {
    const fail = (failure: CliFailure): ApiResponse => this.failure(req.method, vdomName, route, failure);
    if (req.allowedVdoms && !req.allowedVdoms.has(vdomName)) {
      return fail(new CliFailure(403, undefined, `no access to VDOM ${vdomName}`));
    }
    const vdom = state.vdom(vdomName);
    if (!vdom) return fail(new CliFailure(404, this.deps.codes.notFound, `invalid VDOM: ${vdomName}`));
    try {
      if (route.table === 'system/vdom') return this.listVdoms(state, req, vdomName);
      if (!route.def) throw new CliFailure(404, this.deps.codes.notFound, `unknown table ${route.table}`);
      return this.operate(vdom, route.def, route, req);
    } catch (err) {
      if (err instanceof CliFailure) return fail(err);
      throw err;
    }
  }

  private operate(vdom: VdomConfig, def: TableDef, route: Route, req: StagedRequest): ApiResponse {
    const table = def.name;
    const body = req.body;
    const oldRevision = vdom.revision;
    const written = (mkey: string | number | undefined, extra: Partial<ApiResponse> = {}): ApiResponse => ({
      status: 200,
      json: writeEnvelope(this.deps.profile, {
        method: req.method,
        vdom: vdom.name,
        table,
        oldRevision,
        revision: vdom.revision,
        mkey,
      }),
      table,
      mkey: mkey === undefined ? undefined : String(mkey),
      vdom: vdom.name,
      ...extra,
    });

    if (route.child !== undefined) return this.operateChild(vdom, def, route, req, written);

    switch (req.method) {
      case 'GET':
        return route.mkey === undefined ? this.list(vdom, def, req) : this.getOne(vdom, def, route.mkey, req);
      case 'POST': {
        if (route.mkey !== undefined)
          throw new CliFailure(405, undefined, 'POST addresses the table, not an entry');
        const mkey = vdom.create(table, this.objectBody(body));
        return written(mkey, { created: { vdom: vdom.name, table, mkey: String(mkey) } });
      }
      case 'PUT': {
        if (route.mkey === undefined) throw new CliFailure(405, undefined, 'PUT needs an mkey');
        return written(vdom.update(table, route.mkey, this.objectBody(body)).mkey);
      }
      case 'DELETE':
        if (route.mkey === undefined) {
          vdom.purge(table);
          return written(undefined);
        }
        vdom.remove(table, route.mkey);
        return written(route.mkey);
      default:
        throw new CliFailure(405, undefined, `method ${req.method} not allowed`);
    }
  }

  private operateChild(
    vdom: VdomConfig,
    def: TableDef,
    route: Route,
    req: StagedRequest,
    written: (mkey: string | number | undefined) => ApiResponse,
  ): ApiResponse {
    const mkey = route.mkey as string;
    const child = route.child as string;
    switch (req.method) {
      case 'GET': {
        const members = vdom.childList(def.name, mkey, child).map((m) => withOrigin(m, 'name'));
        if (route.childMkey === undefined) {
          return this.readResponse(vdom, def.name, members, { size: members.length });
        }
        const one = members.filter((m) => m.name === route.childMkey);
        if (one.length === 0)
          throw new CliFailure(404, this.deps.codes.notFound, `${child} ${route.childMkey} not found`);
        return this.readResponse(vdom, def.name, one, { mkey: route.childMkey });
      }
      case 'POST':
        if (route.childMkey !== undefined)
          throw new CliFailure(405, undefined, 'POST addresses the child table');
        return written(vdom.childAdd(def.name, mkey, child, this.objectBody(req.body)));
      case 'DELETE':
        if (route.childMkey === undefined) {
          vdom.update(def.name, mkey, { [child]: [] });
          return written(undefined);
        }
        vdom.childRemove(def.name, mkey, child, route.childMkey);
        return written(route.childMkey);
      default:
        throw new CliFailure(405, undefined, `method ${req.method} not allowed on ${child}`);
    }
  }

  private list(vdom: VdomConfig, def: TableDef, req: StagedRequest): ApiResponse {
    const filters = parseFilters(req.query.getAll('filter'));
    if (!filters) throw new CliFailure(400, undefined, 'invalid filter');
    const all = vdom.entries(def.name);
    const matched = filters.length === 0 ? all : all.filter((e) => matchesFilters(e, filters));
    const start = nonNegative(req.query.get('start')) ?? 0;
    const count = nonNegative(req.query.get('count'));
    const page = matched.slice(start, count === undefined ? undefined : start + count);
    const results = page.map((e) => this.present(vdom, def, e, req.query));
    return this.readResponse(vdom, def.name, results, { size: all.length, matchedCount: matched.length });
  }

  private getOne(vdom: VdomConfig, def: TableDef, mkey: string, req: StagedRequest): ApiResponse {
    const entry = vdom.find(def.name, mkey);
    if (!entry) throw new CliFailure(404, this.deps.codes.notFound, `entry not found: ${mkey}`);
    const results = [this.present(vdom, def, entry, req.query)];
    return this.readResponse(vdom, def.name, results, {
      mkey: def.mkeyField === 'policyid' ? Number(mkey) : mkey,
    });
  }

  private readResponse(
    vdom: VdomConfig,
    table: string,
    results: JsonObject[],
    extra: { mkey?: string | number; size?: number; matchedCount?: number },
  ): ApiResponse {
    return {
      status: 200,
      json: readEnvelope(this.deps.profile, {
        method: 'GET',
        vdom: vdom.name,
        table,
        revision: vdom.revision,
        results,
        ...extra,
      }),
      table,
      mkey: extra.mkey === undefined ? undefined : String(extra.mkey),
      vdom: vdom.name,
    };
  }

  /** An entry as FortiOS prints it: `q_origin_key` after the mkey, members with theirs. */
  private present(vdom: VdomConfig, def: TableDef, entry: JsonObject, query: URLSearchParams): JsonObject {
    const format = query
      .get('format')
      ?.split('|')
      .filter((f) => f !== '');
    const datasource = query.get('datasource') === '1';
    const out: JsonObject = {};
    for (const [field, value] of Object.entries(entry)) {
      if (!format || format.includes(field)) {
        const ref = def.references.find((r) => r.field === field);
        out[field] =
          ref && Array.isArray(value)
            ? value.map((m) => this.presentMember(vdom, m as JsonObject, ref.family, datasource))
            : value;
      }
      if (field === def.mkeyField) out.q_origin_key = value;
    }
    if (query.get('with_meta') === '1') {
      const builtin = vdom.isBuiltin(def.name, entry);
      Object.assign(out, {
        q_ref: vdom.refCount(def.name, entry),
        q_static: builtin,
        q_no_rename: builtin,
        q_no_edit: false,
        q_path: def.name.split('/')[0] ?? '',
        q_name: def.name.split('/')[1] ?? '',
        q_mkey_type: def.mkeyField === 'policyid' ? 'integer' : 'string',
      });
    }
    return out;
  }

  private presentMember(
    vdom: VdomConfig,
    member: JsonObject,
    family: 4 | 6,
    datasource: boolean,
  ): JsonObject {
    const out = withOrigin(member, 'name');
    if (datasource) {
      const name = String(member.name);
      const groupTable: SimTableName = family === 4 ? 'firewall/addrgrp' : 'firewall/addrgrp6';
      const addressTable: SimTableName = family === 4 ? 'firewall/address' : 'firewall/address6';
      out.datasource = (vdom.find(groupTable, name) ? groupTable : addressTable).replace('/', '.');
    }
    return out;
  }

  private listVdoms(state: DeviceState, req: StagedRequest, vdomName: string): ApiResponse {
    if (req.method !== 'GET') throw new CliFailure(405, undefined, 'system/vdom is read-only here');
    const results = [...state.vdoms.keys()].map((name) => ({
      name,
      q_origin_key: name,
      'short-name': name,
      'vcluster-id': 0,
      flag: 0,
    }));
    const vdom = state.vdom(vdomName) as VdomConfig;
    return this.readResponse(vdom, 'system/vdom', results, { size: results.length });
  }

  /** `/api/v2/cmdb?action=transaction-…` */
  private root(req: CmdbRequest): ApiResponse {
    const action = req.query.get('action') ?? '';
    const vdom = req.query.get('vdom') ?? this.deps.defaultVdom;
    if (!this.deps.profile.transactions || !TRANSACTION_ACTIONS.has(action)) {
      return this.failure(
        req.method,
        vdom,
        { table: '' },
        new CliFailure(404, this.deps.codes.notFound, 'not found'),
      );
    }
    if (req.method !== 'POST') return this.plainError(req, 405, 'transactions are driven with POST');
    const body = isJsonObject(req.body) ? req.body : {};
    const reply = (results: JsonValue): ApiResponse => ({
      status: 200,
      json: {
        http_method: 'POST',
        results,
        vdom,
        path: '',
        name: '',
        action,
        status: 'success',
        http_status: 200,
        serial: this.deps.profile.serial,
        version: this.deps.profile.versionText,
        build: this.deps.profile.build,
      },
      table: 'cmdb',
      vdom,
    });
    if (action === 'transaction-start') {
      const timeout = typeof body.timeout === 'number' && body.timeout > 0 ? body.timeout : 60;
      return reply({ 'transaction-id': this.deps.transactions.start(this.deps.state(), timeout) });
    }
    const id = Number(body['transaction-id'] ?? req.transactionId);
    const tx = this.deps.transactions.take(id);
    if (!tx) return this.plainError(req, 400, `transaction ${id} is unknown or has expired`);
    if (action === 'transaction-abort') return reply({});
    const candidate = this.deps.state().clone();
    for (const staged of tx.requests) {
      const response = this.dispatch(candidate, staged);
      if (response.status !== 200) return { ...response, table: 'cmdb' };
    }
    this.deps.replaceState(candidate);
    return reply({});
  }

  private route(segments: string[]): Route {
    const table = segments.length === 0 ? '' : `${segments[0] ?? ''}/${segments[1] ?? ''}`;
    return {
      table,
      def: isSimTable(table) ? TABLES[table] : undefined,
      mkey: segments[2],
      child: segments[3],
      childMkey: segments[4],
    };
  }

  private objectBody(body: JsonValue | undefined): JsonObject {
    if (!isJsonObject(body)) throw new CliFailure(400, undefined, 'the request body must be a JSON object');
    return body;
  }

  /** A 404 for one entry, as the device answers an unknown mkey. */
  notFound(method: string, vdom: string, table: string, mkey: string): ApiResponse {
    return this.failure(
      method,
      vdom,
      { table, mkey },
      new CliFailure(404, this.deps.codes.notFound, `entry not found: ${mkey}`),
    );
  }

  private failure(
    method: string,
    vdom: string,
    route: Pick<Route, 'table' | 'mkey'>,
    failure: CliFailure,
  ): ApiResponse {
    const includeCode = failure.httpStatus !== 404 || this.deps.profile.notFoundCodeInBody;
    return {
      status: failure.httpStatus,
      json: errorEnvelope(this.deps.profile, {
        method,
        vdom,
        table: route.table,
        mkey: route.mkey,
        failure,
        includeCode,
      }),
      table: route.table,
      mkey: route.mkey,
      vdom,
      fortiosCode: includeCode ? failure.code : undefined,
    };
  }

  private plainError(req: StagedRequest, status: number, text: string): ApiResponse {
    const vdom = req.query.get('vdom') ?? this.deps.defaultVdom;
    return this.failure(req.method, vdom, this.route(req.segments), new CliFailure(status, undefined, text));
  }
}

function withOrigin(member: JsonObject, key: string): JsonObject {
  return { ...member, q_origin_key: member[key] ?? null };
}

function nonNegative(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
