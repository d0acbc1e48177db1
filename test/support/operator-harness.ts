import { DEFERRED_DELETE_MS } from '../../src/controllers/device/reconciler.js';
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type EventsV1Event,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import winston from 'winston';
import type { FortiGateDevice, FortiGateDeviceSpec } from '../../src/api/v1alpha1/fortigate-device.js';
import type {
  FortiGateEndpointMapping,
  FortiGateEndpointMappingSpec,
} from '../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import { FortiGateClient } from '../../src/fortigate/client.js';
import { Operator, type OperatorOptions } from '../../src/operator/operator.js';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../src/simulator/index.js';
import type { SimTableName } from '../../src/simulator/model/tables.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from './kube.js';

export const GROUP = 'fortisync.io';
export const VERSION = 'v1alpha1';
export const TOKEN = 'test-token-0123456789abcdef';

export interface HarnessOptions {
  /** Prefix of the test namespace and of cluster-scoped names. */
  name: string;
  clusterName?: string;
  device?: Partial<FortiGateDeviceSpec>;
  simulator?: Partial<SimulatorOptions>;
  /** An already running simulator to share (multi-cluster tests). */
  sharedSimulator?: SimulatorHandle;
  startOperator?: boolean;
  namespaceLabels?: Record<string, string>;
  /** Extra operator options, computed when the operator starts (the namespace exists then). */
  operatorOptions?: (h: Harness) => Partial<OperatorOptions>;
}

/** A simulator, a namespace, a FortiGateDevice and an in-process operator that manages only them. */
export class Harness {
  readonly id = randomBytes(3).toString('hex');
  readonly selector: string;
  readonly deviceName: string;
  ns = '';
  sim!: SimulatorHandle;
  operator: Operator | undefined;
  readonly logs: string[] = [];
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  private readonly createdNodes: string[] = [];
  private readonly createdNamespaces: string[] = [];
  private readonly createdDevices: string[] = [];
  private adminClient: FortiGateClient | undefined;
  private ownSimulator = false;

  constructor(readonly opts: HarnessOptions) {
    this.kc = testKubeConfig();
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.selector = `fortisync.io/test=${opts.name}-${this.id}`;
    this.deviceName = `${opts.name}-${this.id}-fw`;
  }

  get labels(): Record<string, string> {
    const [k, v] = this.selector.split('=') as [string, string];
    return { [k]: v };
  }

  nodeName(n: string): string {
    return `${this.opts.name}-${this.id}-${n}`;
  }

  async start(): Promise<this> {
    if (this.opts.sharedSimulator) this.sim = this.opts.sharedSimulator;
    else {
      this.sim = await startSimulator({ tokens: [TOKEN], ...this.opts.simulator });
      this.ownSimulator = true;
    }
    this.ns = await createTestNamespace(this.kc, this.opts.name, this.opts.namespaceLabels ?? {});
    await this.core.createNamespacedSecret({
      namespace: this.ns,
      body: { metadata: { name: 'fw-token' }, stringData: { token: TOKEN } },
    });
    await this.createDevice(this.deviceName, {});
    if (this.opts.startOperator !== false) await this.startOperator();
    return this;
  }

  deviceSpec(overrides: Partial<FortiGateDeviceSpec>): FortiGateDeviceSpec {
    return {
      url: this.sim.url,
      credentialsSecretRef: { name: 'fw-token', namespace: this.ns },
      clusterName: this.opts.clusterName ?? 'test',
      tls: { caBundle: this.sim.caCertPem ?? '' },
      ...this.opts.device,
      ...overrides,
    };
  }

  async createDevice(name: string, overrides: Partial<FortiGateDeviceSpec>): Promise<void> {
    if (name !== this.deviceName) this.createdDevices.push(name);
    await this.custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'fortigatedevices',
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'FortiGateDevice',
        metadata: { name, labels: this.labels },
        spec: this.deviceSpec(overrides),
      },
    });
  }

  async patchDevice(spec: Partial<FortiGateDeviceSpec>, name = this.deviceName): Promise<void> {
    await this.custom.patchClusterCustomObject(
      { group: GROUP, version: VERSION, plural: 'fortigatedevices', name, body: { spec } },
      mergePatch(),
    );
  }

  async deleteDevice(name = this.deviceName): Promise<void> {
    await this.custom.deleteClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'fortigatedevices',
      name,
    });
  }

  /** Replaces the token Secret's data (stringData), or deletes the Secret when data is undefined. */
  async setSecret(data: Record<string, string> | undefined, name = 'fw-token'): Promise<void> {
    await this.core.deleteNamespacedSecret({ namespace: this.ns, name }).catch(() => undefined);
    if (data)
      await this.core.createNamespacedSecret({
        namespace: this.ns,
        body: { metadata: { name }, stringData: data },
      });
  }

  /** A second namespace of this test (deleted in stop()). */
  async createNamespace(suffix: string, labels: Record<string, string> = {}): Promise<string> {
    const ns = await createTestNamespace(this.kc, `${this.opts.name}-${suffix}`, labels);
    this.createdNamespaces.push(ns);
    return ns;
  }

  async patchNamespaceLabels(name: string, labels: Record<string, string | null>): Promise<void> {
    await this.core.patchNamespace({ name, body: { metadata: { labels } } }, mergePatch());
  }

  /** A FortiOS client acting as the firewall admin (hand edits on the simulator, over its REST API). */
  admin(): FortiGateClient {
    this.adminClient ??= new FortiGateClient({
      baseUrl: this.sim.url,
      token: TOKEN,
      vdom: 'root',
      ...(this.sim.caCertPem ? { ca: this.sim.caCertPem } : {}),
      retry: { retries: 0 },
    });
    return this.adminClient;
  }

  /** Events regarding an object (cluster-scoped objects' events live in `default`). */
  async events(kind: string, name: string, namespace = 'default'): Promise<EventsV1Event[]> {
    const list = await this.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace });
    return list.items.filter((e) => e.regarding?.kind === kind && e.regarding?.name === name);
  }

  /** Requests the simulator saw since a sequence number (optionally only one status). */
  requestsSince(
    seq: number,
    status?: number,
  ): { method: string; path: string; status: number; table?: string | undefined }[] {
    return this.sim.requestLog
      .entries({})
      .filter(
        (e) => e.seq > seq && !e.path.startsWith('/__sim') && (status === undefined || e.status === status),
      );
  }

  /**
   * Flags for the operator as a separate process (spawnOperator) on this harness: the kubeconfig
   * (the test cluster's admin by default), a lease in the test namespace, only this test's objects.
   */
  processArgs(kubeconfig = process.env.FORTISYNC_TEST_KUBECONFIG as string): string[] {
    return [
      '--kubeconfig',
      kubeconfig,
      '--leader-election-namespace',
      this.ns,
      '--leader-election-id',
      `fortisync-leader-${this.id}`,
      '--watch-selector',
      this.selector,
    ];
  }

  /** `controllers: false`: caches only, as a follower replica; the test starts them. */
  async startOperator(opts: { controllers?: boolean } = {}): Promise<Operator> {
    const logger = winston.createLogger({
      level: 'debug',
      transports: [
        new winston.transports.Stream({
          stream: new (await import('node:stream')).Writable({
            write: (chunk: Buffer, _enc, cb) => {
              this.logs.push(chunk.toString());
              cb();
            },
          }),
        }),
      ],
      format: winston.format.json(),
    });
    this.operator = new Operator({
      kubeConfig: this.kc,
      logger,
      registry: new Registry(),
      identity: `test-${this.id}`,
      watchSelector: this.selector,
      clientOptions: {
        retry: { retries: 1, minTimeoutMs: 50, maxTimeoutMs: 200 },
      },
      verifyIncremental: true,
      ...this.opts.operatorOptions?.(this),
    });
    await this.operator.startInformers();
    if (opts.controllers !== false) this.operator.startControllers();
    return this.operator;
  }

  /** Incremental syncs that differed from a full computation, over every operator this harness ran. */
  readonly divergences: string[] = [];

  async stopOperator(): Promise<void> {
    this.divergences.push(...(this.operator?.incrementalDivergences ?? []));
    await this.operator?.stop(5000);
    this.operator = undefined;
  }

  async createNode(name: string, ...ips: string[]): Promise<string> {
    const full = this.nodeName(name);
    await this.core.createNode({ body: { metadata: { name: full, labels: this.labels } } });
    this.createdNodes.push(full);
    await this.setNodeAddresses(name, ...ips);
    return full;
  }

  async setNodeAddresses(name: string, ...ips: string[]): Promise<void> {
    const full = this.nodeName(name);
    const node = await this.core.readNode({ name: full });
    node.status = { addresses: ips.map((address) => ({ type: 'InternalIP', address })) };
    await this.core.replaceNodeStatus({ name: full, body: node });
  }

  /** Creates a pod bound to a node and writes its status as a kubelet would (Running, with IPs). */
  async runPod(
    name: string,
    labels: Record<string, string>,
    node: string,
    ips: string[] = [],
    namespace = this.ns,
  ): Promise<V1Pod> {
    await this.core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name, labels },
        spec: {
          nodeName: this.nodeName(node),
          containers: [{ name: 'app', image: 'example.invalid/app:1' }],
        },
      },
    });
    return this.setPodStatus(name, 'Running', ips, namespace);
  }

  async setPodStatus(name: string, phase: string, ips: string[], namespace = this.ns): Promise<V1Pod> {
    const pod = await this.core.readNamespacedPod({ namespace, name });
    pod.status = {
      phase,
      ...(ips[0] ? { podIP: ips[0] } : {}),
      podIPs: ips.map((ip) => ({ ip })),
      conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }],
    };
    return this.core.replaceNamespacedPodStatus({ namespace, name, body: pod });
  }

  async deletePod(name: string, namespace = this.ns): Promise<void> {
    await this.core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
  }

  async patchPodLabels(
    name: string,
    labels: Record<string, string | null>,
    namespace = this.ns,
  ): Promise<void> {
    await this.core.patchNamespacedPod({ namespace, name, body: { metadata: { labels } } }, mergePatch());
  }

  async applyMapping(
    name: string,
    spec: Partial<FortiGateEndpointMappingSpec>,
    namespace = this.ns,
  ): Promise<void> {
    const full: Partial<FortiGateEndpointMappingSpec> = {
      devices: [this.deviceName],
      addressGroup: 'K8S-DMZ',
      podSelector: { matchLabels: { zone: 'dmz' } },
      ...spec,
    };
    try {
      await this.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'fortigateendpointmappings',
        namespace,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'FortiGateEndpointMapping',
          metadata: { name, labels: this.labels },
          spec: full,
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      // Replace the whole spec (a merge patch would merge old and new selectors).
      await this.custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          plural: 'fortigateendpointmappings',
          namespace,
          name,
          body: [{ op: 'replace', path: '/spec', value: full }],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
    }
  }

  /**
   * With the operator stopped, nothing will release the finalizer of a mapping still being deleted
   * (its device or target went first): it would stay in the shared API server, Terminating, and
   * show up in other suites' cluster-wide reads (the plugin's trace). Test cleanup only.
   */
  private async releaseLeftMappings(): Promise<void> {
    for (const namespace of [this.ns, ...this.createdNamespaces]) {
      const list = (await this.custom
        .listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: 'fortigateendpointmappings',
          namespace,
        })
        .catch(() => ({ items: [] }))) as { items: FortiGateEndpointMapping[] };
      for (const m of list.items) {
        if (!m.metadata.finalizers?.length) continue;
        await this.custom
          .patchNamespacedCustomObject(
            {
              group: GROUP,
              version: VERSION,
              plural: 'fortigateendpointmappings',
              namespace,
              name: m.metadata.name,
              body: { metadata: { finalizers: null } },
            },
            mergePatch(),
          )
          .catch(() => undefined);
      }
    }
  }

  async deleteMapping(name: string, namespace = this.ns): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'fortigateendpointmappings',
      namespace,
      name,
    });
  }

  async mapping(name: string, namespace = this.ns): Promise<FortiGateEndpointMapping | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'fortigateendpointmappings',
        namespace,
        name,
      })) as FortiGateEndpointMapping;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  async device(name = this.deviceName): Promise<FortiGateDevice | undefined> {
    try {
      return (await this.custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'fortigatedevices',
        name,
      })) as FortiGateDevice;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** Group members on the simulator (sorted), or undefined when the group does not exist. */
  members(group: string, table: SimTableName = 'firewall/addrgrp'): string[] | undefined {
    const g = this.sim.state.get(table, group);
    return g ? ((g.member as { name: string }[]) ?? []).map((m) => m.name).sort() : undefined;
  }

  address(name: string, table: SimTableName = 'firewall/address'): Record<string, unknown> | undefined {
    return this.sim.state.get(table, name) as Record<string, unknown> | undefined;
  }

  addressNames(table: SimTableName = 'firewall/address'): string[] {
    return this.sim.state
      .list(table)
      .map((a) => a.name as string)
      .filter((n) => n !== 'all' && n !== 'none')
      .sort();
  }

  /** Waits until the group holds exactly these members. */
  async expectMembers(
    group: string,
    expected: string[],
    table: SimTableName = 'firewall/addrgrp',
    timeoutMs = 15_000,
  ): Promise<void> {
    const want = [...expected].sort();
    await eventually(
      () => (JSON.stringify(this.members(group, table)) === JSON.stringify(want) ? true : undefined),
      {
        timeoutMs,
        what: `${group} to hold [${want.join(', ')}] (has [${this.members(group, table)?.join(', ') ?? 'no group'}])`,
      },
    );
  }

  /** Waits until the mapping's status reports this many members. */
  async expectStatusMembers(
    mapping: string,
    members: number,
    timeoutMs = 15_000,
  ): Promise<FortiGateEndpointMapping> {
    let last: number | undefined;
    return eventually(
      async () => {
        const m = await this.mapping(mapping);
        last = m?.status?.members;
        return m && last === members ? m : undefined;
      },
      { timeoutMs, what: `${mapping} status.members=${members} (last ${String(last)})` },
    );
  }

  async expectCondition(
    mapping: string,
    type: string,
    status: string,
    reason?: string,
    timeoutMs = 15_000,
    namespace = this.ns,
  ): Promise<FortiGateEndpointMapping> {
    let last: unknown;
    return eventually(
      async () => {
        const m = await this.mapping(mapping, namespace);
        const c = m?.status?.conditions?.find((x) => x.type === type);
        last = c;
        return c &&
          c.status === status &&
          (!reason || c.reason === reason) &&
          m?.status?.observedGeneration === m?.metadata.generation
          ? m
          : undefined;
      },
      {
        timeoutMs,
        what: `${mapping} ${type}=${status}${reason ? ` (${reason})` : ''}; last: ${JSON.stringify(last)}`,
      },
    );
  }

  /**
   * The positive signal before "no write followed": the in-process operator's cache holds `kind`
   * `name` at the version the API server has now (or both have it gone), and the operator has
   * acted on everything it has seen (no reconcile queued or running). Returns the request log's
   * last sequence number at that moment.
   */
  async operatorCaughtUp(
    kind: 'pods' | 'nodes' | 'namespaces' | 'mappings' | 'devices',
    name: string,
    namespace = this.ns,
  ): Promise<number> {
    const op = this.operator;
    if (!op) throw new Error('operatorCaughtUp needs the in-process operator');
    const live = await this.liveVersion(kind, name, namespace);
    const key =
      kind === 'nodes' || kind === 'namespaces' || kind === 'devices' ? name : `${namespace}/${name}`;
    return eventually(
      () => {
        const cached = op.informers[kind].get(key)?.metadata?.resourceVersion;
        const seen =
          live === undefined ? cached === undefined : cached !== undefined && Number(cached) >= Number(live);
        return seen && op.idle() ? this.lastSeq() : undefined;
      },
      {
        timeoutMs: 20_000,
        intervalMs: 20,
        what: `operator caught up with ${kind} ${key} (${live ?? 'gone'})`,
      },
    );
  }

  private async liveVersion(kind: string, name: string, namespace: string): Promise<string | undefined> {
    const read = async (): Promise<{ metadata?: { resourceVersion?: string } }> => {
      switch (kind) {
        case 'pods':
          return this.core.readNamespacedPod({ name, namespace });
        case 'nodes':
          return this.core.readNode({ name });
        case 'namespaces':
          return this.core.readNamespace({ name });
        case 'mappings':
          return (await this.mapping(name, namespace)) ?? {};
        default:
          return (await this.device(name)) ?? {};
      }
    };
    try {
      return (await read()).metadata?.resourceVersion;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** Writes (POST/PUT/DELETE) the simulator saw since a sequence number. */
  writesSince(seq = 0): number {
    return this.sim.requestLog
      .entries({})
      .filter((e) => e.seq > seq && e.method !== 'GET' && !e.path.startsWith('/__sim')).length;
  }

  lastSeq(): number {
    const all = this.sim.requestLog.entries({});
    return all.length ? (all[all.length - 1]?.seq ?? 0) : 0;
  }

  /**
   * The last sequence number once the device has been quiet for `quietMs` — longer than the delay
   * after which a sync deletes the addresses an earlier one released — so a test counting writes
   * from here sees only its own.
   */
  async settledSeq(quietMs = DEFERRED_DELETE_MS + 500, timeoutMs = 10_000): Promise<number> {
    return eventually(
      () => {
        const all = this.sim.requestLog.entries({}).filter((e) => e.method !== 'GET');
        const last = all[all.length - 1];
        return !last || Date.now() - last.timestampMs >= quietMs ? this.lastSeq() : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `no FortiOS write for ${quietMs} ms` },
    );
  }

  async stop(): Promise<void> {
    // Let the operator clean up what it made, then stop it.
    try {
      // A suite that ends seconds after the CRDs were installed can meet "storage is
      // (re)initializing" (429) on its first custom-object call: `eventually` retries it.
      const list = (await eventually(
        () =>
          this.custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: 'fortigateendpointmappings',
            namespace: this.ns,
          }),
        { timeoutMs: 15_000, what: 'mappings listed' },
      )) as { items: FortiGateEndpointMapping[] };
      for (const m of list.items) await this.deleteMapping(m.metadata.name).catch(() => undefined);
      for (const name of [this.deviceName, ...this.createdDevices]) {
        await this.custom
          .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'fortigatedevices', name })
          .catch(() => undefined);
      }
      for (const name of [this.deviceName, ...this.createdDevices]) {
        await eventually(async () => ((await this.device(name)) ? undefined : true), {
          timeoutMs: 10_000,
          what: 'device deletion',
        }).catch(() => undefined);
      }
    } finally {
      await this.stopOperator();
      await this.releaseLeftMappings();
      for (const n of this.createdNodes) await this.core.deleteNode({ name: n }).catch(() => undefined);
      for (const ns of this.createdNamespaces) await deleteNamespace(this.kc, ns);
      await deleteNamespace(this.kc, this.ns);
      this.adminClient?.close();
      if (this.ownSimulator) await this.sim.close();
    }
    // Every operator of the tests checks its incremental syncs against full ones (issue 19).
    if (this.divergences.length > 0)
      throw new Error(
        `${this.divergences.length} incremental device sync(s) differed from a full computation:\n${this.divergences.slice(0, 3).join('\n')}`,
      );
  }
}

export function mergePatch() {
  return setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
}
