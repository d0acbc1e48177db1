import { AuthGate, AuthHeldError } from '../../../src/fortigate/auth-gate.js';
import winston from 'winston';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiOSApi } from '../../../src/controllers/device/fortios-api.js';
import { ReferenceProblem, type KeyRef } from '../../../src/controllers/device/referenced-objects.js';
import { DEVICE_INDEX, devicesOfMapping } from '../../../src/controllers/resources.js';
import type { FortiGateClientOptions } from '../../../src/fortigate/client.js';
import { FortiOSError, type FortiOSErrorKind } from '../../../src/fortigate/errors.js';
import type { FilterExpr } from '../../../src/fortigate/filter.js';
import { matchesExpr } from '../../../src/simulator/filter-eval.js';
import type { JsonObject } from '../../../src/simulator/model/json.js';
import type { ReconcileContext } from '../../../src/runtime/controller.js';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import { DeviceReconciler, type DeviceReconcilerDeps } from '../../../src/controllers/device/reconciler.js';
import { DeviceSessions } from '../../../src/controllers/device/sync-state.js';
import type { DivergenceReport } from '../../../src/controllers/device/incremental.js';
import { MemberCache } from '../../../src/controllers/member-cache.js';
import type { ClusterView } from '../../../src/domain/desired.js';
import type { Lister } from '../../../src/runtime/store.js';
import { objectKey, Store } from '../../../src/runtime/store.js';

type Entry = Record<string, unknown> & { name: string };
export interface Call {
  method: string;
  table?: string;
  name?: string;
}

/**
 * An in-memory FortiGate behind the FortiOSApi port: tables of entries, the calls it answered, and
 * failures to inject. Its requests pass the lockout guard it is given (`authGate`), as the real
 * client's do.
 */
export class FakeFortiGate {
  readonly tables = new Map<string, Map<string, Entry>>();
  readonly calls: Call[] = [];
  /** Options of every client the reconciler built, in order. */
  readonly clients: FortiGateClientOptions[] = [];
  /** Fails the calls it answers for (method, table, name) with this error kind. */
  failWith: ((call: Call) => FortiOSErrorKind | undefined) | undefined;
  /** Awaited before a call takes effect (after `failWith`): holds a write in flight. */
  beforeCall: ((call: Call) => Promise<void> | undefined) | undefined;
  /** Fails calls after they took effect (a timeout whose write landed anyway). */
  failAfterWith: ((call: Call) => FortiOSErrorKind | undefined) | undefined;

  constructor(private readonly clock: FakeClock) {}

  table(name: string): Map<string, Entry> {
    let t = this.tables.get(name);
    if (!t) this.tables.set(name, (t = new Map()));
    return t;
  }

  names(table: string): string[] {
    return [...this.table(table).keys()].sort();
  }

  members(group: string, table = 'firewall/addrgrp'): string[] {
    const entry = this.table(table).get(group);
    return ((entry?.member as { name: string }[] | undefined) ?? []).map((m) => m.name).sort();
  }

  /** A client factory for DeviceReconcilerDeps.createClient. */
  readonly createClient = (_device: string, options: FortiGateClientOptions): FortiOSApi => {
    this.clients.push(options);
    const gate =
      options.authGate ??
      new AuthGate({ retryAfterMs: options.unauthorizedCooldownMs ?? 31_000, now: () => this.clock.now() });
    const call = async <R>(c: Call, fn: () => R): Promise<R> => {
      let ticket;
      try {
        ticket = await gate.admit(options.baseUrl, options.token);
      } catch (err) {
        if (err instanceof AuthHeldError) throw error(err.kind, c, 'held by the lockout guard');
        throw err;
      }
      this.calls.push(c);
      const kind = this.failWith?.(c);
      ticket.done(kind === 'unauthorized' || kind === 'locked-out' ? kind : 'ok');
      if (kind) throw error(kind, c, 'injected');
      await this.beforeCall?.(c);
      const result = fn();
      const late = this.failAfterWith?.(c);
      if (late) throw error(late, c, 'injected after it took effect');
      return result;
    };
    const api = {
      systemStatus: () =>
        call({ method: 'status' }, () => ({
          version: 'v7.4.3',
          build: 2573,
          serial: 'FGVM01',
          hostname: 'fw1',
          model: 'FGVM64',
          modelName: 'FortiGate-VM64',
          modelNumber: '',
        })),
      list: (table: string, opts?: { filter?: readonly (readonly FilterExpr[])[] }) =>
        call({ method: 'list', table }, () =>
          [...this.table(table).values()]
            .filter((e) =>
              (opts?.filter ?? []).every((terms) => terms.some((t) => matchesExpr(e as JsonObject, t))),
            )
            .map((e) => structuredClone(e)),
        ),
      get: (table: string, name: string) =>
        call({ method: 'get', table, name }, () => structuredClone(this.table(table).get(name))),
      create: (table: string, body: Entry) =>
        call({ method: 'create', table, name: body.name }, () => {
          if (this.table(table).has(body.name)) throw error('exists', { method: 'create', table }, 'exists');
          this.table(table).set(body.name, structuredClone(body));
          return {};
        }),
      update: (table: string, name: string, patch: Record<string, unknown>) =>
        call({ method: 'update', table, name }, () => {
          const entry = this.table(table).get(name);
          if (!entry) throw error('not-found', { method: 'update', table, name }, 'missing');
          this.table(table).set(name, { ...entry, ...structuredClone(patch) });
          return {};
        }),
      delete: (table: string, name: string) =>
        call({ method: 'delete', table, name }, () => {
          if (!this.table(table).delete(name))
            throw error('not-found', { method: 'delete', table }, 'missing');
          return {};
        }),
      addMember: (table: string, group: string, member: string) =>
        call({ method: 'addMember', table, name: group }, () => {
          const entry = this.table(table).get(group);
          if (!entry) throw error('not-found', { method: 'addMember', table }, 'missing');
          entry.member = [...((entry.member as { name: string }[]) ?? []), { name: member }];
          return {};
        }),
      removeMember: (table: string, group: string, member: string) =>
        call({ method: 'removeMember', table, name: group }, () => {
          const entry = this.table(table).get(group);
          if (!entry) throw error('not-found', { method: 'removeMember', table }, 'missing');
          entry.member = ((entry.member as { name: string }[]) ?? []).filter((m) => m.name !== member);
          return {};
        }),
      authBlockedUntilMs: () => gate.blockedUntilMs(options.baseUrl, options.token),
      close: () => {},
    };
    return api as unknown as FortiOSApi;
  };
}

function error(kind: FortiOSErrorKind, c: Call, why: string): FortiOSError {
  return new FortiOSError(`${c.method} ${c.table ?? ''} ${c.name ?? ''}: ${kind} (${why})`, {
    kind,
    method: 'GET',
    path: `/api/v2/cmdb/${c.table ?? ''}`,
    ...(kind === 'unauthorized' ? { httpStatus: 401 } : {}),
  });
}

/** Secret and ConfigMap values by namespace/name/key; a missing one is a ReferenceProblem. */
export class FakeReferences {
  readonly values = new Map<string, string>();

  async value(ref: KeyRef): Promise<string> {
    const v = this.values.get(`${ref.namespace}/${ref.name}/${ref.key}`);
    if (v === undefined)
      throw new ReferenceProblem('SecretNotFound', `Secret ${ref.namespace}/${ref.name} does not exist`);
    return v;
  }

  /** What the reconciler last said it still references (kind/namespace/name). */
  retained: string[] = [];

  retain(refs: Iterable<{ kind: string; namespace: string; name: string }>): void {
    this.retained = [...refs].map((r) => `${r.kind}/${r.namespace}/${r.name}`).sort();
  }
}

/** Status writes and finalizer patches a reconciler sent. */
export class FakeApiServer {
  readonly statuses: { name: string; status: Record<string, unknown> }[] = [];
  readonly patches: { name: string; body: unknown }[] = [];
  readonly events: { name: string; type: string; reason: string }[] = [];

  readonly statusPatcher = {
    patchOrDefer: async (obj: { metadata?: { name?: string } }, status: unknown) => {
      this.statuses.push({ name: obj.metadata?.name ?? '', status: status as Record<string, unknown> });
      return { written: true };
    },
    patch: async (obj: { metadata?: { name?: string } }, status: unknown) => {
      this.statuses.push({ name: obj.metadata?.name ?? '', status: status as Record<string, unknown> });
      return true;
    },
  };

  readonly customObjects = {
    patchClusterCustomObject: async (req: { name: string; body: unknown }) => {
      this.patches.push({ name: req.name, body: req.body });
      return {};
    },
    patchNamespacedCustomObject: async (req: { name: string; body: unknown }) => {
      this.patches.push({ name: req.name, body: req.body });
      return {};
    },
  };

  readonly recorder = {
    record: async (regarding: { name: string }, type: string, reason: string) => {
      this.events.push({ name: regarding.name, type, reason });
    },
  };

  lastStatus(name: string): Record<string, unknown> | undefined {
    return [...this.statuses].reverse().find((s) => s.name === name)?.status;
  }

  condition(name: string, type: string): { status: string; reason: string; message: string } | undefined {
    const conditions = (this.lastStatus(name)?.conditions ?? []) as {
      type: string;
      status: string;
      reason: string;
      message: string;
    }[];
    return conditions.find((c) => c.type === type);
  }
}

export function mappingStore(...mappings: FortiGateEndpointMapping[]): Store<FortiGateEndpointMapping> {
  const store = new Store<FortiGateEndpointMapping>();
  store.addIndex(DEVICE_INDEX, devicesOfMapping);
  for (const m of mappings) store.set(objectKey(m), m);
  return store;
}

export function deviceStore(...devices: FortiGateDevice[]): Store<FortiGateDevice> {
  const store = new Store<FortiGateDevice>();
  for (const d of devices) store.set(d.metadata.name, d);
  return store;
}

export function fortigateDevice(
  spec: Partial<FortiGateDevice['spec']> = {},
  meta: Partial<FortiGateDevice['metadata']> = {},
): FortiGateDevice {
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateDevice',
    metadata: { name: 'fw1', uid: 'd1', generation: 1, finalizers: ['fortisync.io/cleanup'], ...meta },
    spec: {
      url: 'https://fw1.example',
      clusterName: 'c1',
      credentialsSecretRef: { name: 'fw1-token', namespace: 'fortisync' },
      ...spec,
    },
  };
}

export function endpointMapping(
  spec: Partial<FortiGateEndpointMapping['spec']> = {},
  meta: Partial<FortiGateEndpointMapping['metadata']> = {},
): FortiGateEndpointMapping {
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateEndpointMapping',
    metadata: {
      namespace: 'shop',
      name: 'web',
      uid: 'm1',
      generation: 1,
      finalizers: ['fortisync.io/cleanup'],
      ...meta,
    },
    spec: {
      devices: ['fw1'],
      addressGroup: 'K8S-WEB',
      podSelector: { matchLabels: { app: 'web' } },
      addressType: 'Pod',
      ...spec,
    },
  };
}

export function reconcileContext(): ReconcileContext {
  return {
    signal: new AbortController().signal,
    logger: winston.createLogger({ silent: true, transports: [new winston.transports.Console()] }),
  };
}

/**
 * The reconciler of `fortigateDevice()` (fw1) over these caches, with an in-memory FortiGate, API
 * server and token, and the clock, sessions and member cache a test drives the watches' part with.
 * `overrides` replaces any of the reconciler's dependencies (its own device store, a requeue
 * recorder, client options…); `authRetryAfterMs` sets the lockout guard's hold.
 */
export function reconcilerOverFakes(opts: {
  mappings: Lister<FortiGateEndpointMapping>;
  view: ClusterView;
  enqueueMapping?: (key: string) => void;
  verifyIncremental?: DivergenceReport;
  authRetryAfterMs?: number;
  overrides?: Partial<DeviceReconcilerDeps>;
}) {
  const clock = new FakeClock();
  const fortigate = new FakeFortiGate(clock);
  const api = new FakeApiServer();
  const references = new FakeReferences();
  references.values.set('fortisync/fw1-token/token', 'secret-token');
  const sessions = new DeviceSessions();
  const memberCache = new MemberCache(opts.view);
  const authGate = new AuthGate({ retryAfterMs: opts.authRetryAfterMs ?? 60_000, now: () => clock.now() });
  const reconciler = new DeviceReconciler({
    devices: deviceStore(fortigateDevice()),
    mappings: opts.mappings,
    view: opts.view,
    memberCache,
    sessions,
    references,
    customObjects: api.customObjects,
    statusPatcher: api.statusPatcher,
    events: api.recorder,
    createClient: fortigate.createClient,
    clock,
    authGate,
    enqueueMapping: opts.enqueueMapping ?? (() => {}),
    ...(opts.verifyIncremental ? { verifyIncremental: opts.verifyIncremental } : {}),
    ...opts.overrides,
  });
  return { reconciler, clock, fortigate, api, references, sessions, memberCache, authGate };
}
