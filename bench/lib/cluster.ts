import type { CoreV1Api, CustomObjectsApi, V1NodeAddress, V1Pod } from '@kubernetes/client-node';
import { nodeAddressName, podAddressName } from '../../src/domain/naming.js';
import { CLEANUP_FINALIZER, MAPPING_GVP } from '../../src/controllers/resources.js';
import { inPool } from '../../src/runtime/pool.js';
import { CLUSTER, DEVICE, type BenchEnv } from './env.js';

const SCOPE = { prefix: 'k8s', clusterName: CLUSTER };

export type Mode = 'Node' | 'Pod';

export interface BenchMapping {
  index: number;
  namespace: string;
  name: string;
  group: string;
  mode: Mode;
}

export interface BenchPod {
  namespace: string;
  name: string;
  mapping: number;
  node: string;
  ip: string;
  running: boolean;
}

/** Retries an API call a few times (the loaded control plane sometimes answers 429/5xx or resets). */
export async function retry<T>(fn: () => Promise<T>, what: string, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (i >= attempts || code === 404 || code === 409 || code === 422)
        throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

export function podIp(serial: number): string {
  return `10.${128 + ((serial >> 16) & 127)}.${(serial >> 8) & 255}.${serial & 255}`;
}

export function nodeName(i: number): string {
  return `node-${String(i).padStart(4, '0')}`;
}

/**
 * What the benchmark created and so what every group should hold: the model the figures are
 * checked against. Node-mode groups hold the nodes with at least one active selected pod;
 * Pod-mode groups the running pods with an IP.
 */
export class ClusterModel {
  readonly mappings: BenchMapping[] = [];
  readonly pods = new Map<string, BenchPod>();
  readonly nodes: string[] = [];
  private readonly byMapping = new Map<number, Set<BenchPod>>();
  private serial = 0;

  constructor(readonly namespaces: string[]) {}

  addMapping(mode: Mode): BenchMapping {
    const index = this.mappings.length;
    const m: BenchMapping = {
      index,
      namespace: this.namespaces[index % this.namespaces.length] as string,
      name: `m${index}`,
      group: `BENCH-G${index}`,
      mode,
    };
    this.mappings.push(m);
    return m;
  }

  newPod(mapping: number, node: string, prefix = 'p'): BenchPod {
    const m = this.mappings[mapping] as BenchMapping;
    const serial = ++this.serial;
    return {
      namespace: m.namespace,
      name: `${prefix}${serial}`,
      mapping,
      node,
      ip: podIp(serial),
      running: false,
    };
  }

  addPod(p: BenchPod): void {
    this.pods.set(ClusterModel.key(p), p);
    let set = this.byMapping.get(p.mapping);
    if (!set) this.byMapping.set(p.mapping, (set = new Set()));
    set.add(p);
  }

  removePod(p: BenchPod): void {
    this.pods.delete(ClusterModel.key(p));
    this.byMapping.get(p.mapping)?.delete(p);
  }

  podsOf(mapping: number): Iterable<BenchPod> {
    return this.byMapping.get(mapping) ?? [];
  }

  static key(p: { namespace: string; name: string }): string {
    return `${p.namespace}/${p.name}`;
  }

  podMember(p: BenchPod): string {
    return podAddressName(SCOPE, p.namespace, p.name, 'IPv4');
  }

  nodeMember(node: string): string {
    return nodeAddressName(SCOPE, node, 'IPv4');
  }

  /** The member an event on this pod may add or remove, and whether it does given the model now. */
  members(group: BenchMapping): Set<string> {
    const out = new Set<string>();
    for (const p of this.podsOf(group.index)) {
      if (group.mode === 'Pod') {
        if (p.running) out.add(this.podMember(p));
      } else out.add(this.nodeMember(p.node));
    }
    return out;
  }

  /** Pods of a Node-mode mapping on one node (the node leaves the group when this reaches 0). */
  podsOn(mapping: number, node: string): number {
    let n = 0;
    for (const p of this.podsOf(mapping)) if (p.node === node) n++;
    return n;
  }
}

/** A node as a kubelet registers it: created (with its labels), then its addresses in the status. */
export async function registerNode(
  core: CoreV1Api,
  name: string,
  labels: Record<string, string> | undefined,
  addresses: V1NodeAddress[],
): Promise<void> {
  await retry(
    () => core.createNode({ body: { metadata: labels ? { name, labels } : { name } } }),
    `node ${name}`,
  );
  const node = await retry(() => core.readNode({ name }), `read node ${name}`);
  node.status = { addresses };
  await retry(() => core.replaceNodeStatus({ name, body: node }), `node status ${name}`);
}

/** Where a mapping's group goes: FortiGates directly, or FortiManager targets. */
export type MappingTargets = { devices: string[] } | { fortiManagerTargets: string[] };

interface MappingState {
  metadata: { generation?: number; resourceVersion?: string; finalizers?: string[] };
  status?: { conditions?: { type: string; status: string; observedGeneration?: number }[] };
}

/**
 * Whether the operator has finished its first pass over every mapping: each holds the cleanup
 * finalizer and reports Ready=True for its current generation. Returns the list's resourceVersion
 * too, so a caller can see that nothing was written to a mapping since.
 */
export async function mappingsSettled(
  custom: CustomObjectsApi,
): Promise<{ settled: number; total: number; resourceVersion: string }> {
  const list = (await custom.listClusterCustomObject({ ...MAPPING_GVP })) as {
    items: MappingState[];
    metadata?: { resourceVersion?: string };
  };
  const settled = list.items.filter((m) => {
    const ready = m.status?.conditions?.find((c) => c.type === 'Ready');
    return (
      (m.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER) &&
      ready?.status === 'True' &&
      ready.observedGeneration === m.metadata.generation
    );
  }).length;
  // Highest resourceVersion among the mappings: it moves with every write to one of them.
  const latest = list.items.reduce((max, m) => {
    const rv = Number(m.metadata.resourceVersion ?? 0);
    return rv > max ? rv : max;
  }, 0);
  return { settled, total: list.items.length, resourceVersion: String(latest) };
}

/** The FortiGateEndpointMapping a user writes for one bench mapping (pods labelled app=<name>). */
export async function createMappingObject(
  custom: CustomObjectsApi,
  m: BenchMapping,
  targets: MappingTargets,
): Promise<void> {
  await retry(
    () =>
      custom.createNamespacedCustomObject({
        ...MAPPING_GVP,
        namespace: m.namespace,
        body: {
          apiVersion: 'fortisync.io/v1alpha1',
          kind: 'FortiGateEndpointMapping',
          metadata: { name: m.name },
          spec: {
            ...targets,
            addressGroup: m.group,
            podSelector: { matchLabels: { app: m.name } },
            addressType: m.mode,
          },
        },
      }),
    `mapping ${m.name}`,
  );
}

/** Creates and changes the cluster's objects like a kubelet and a user would. */
export class ClusterDriver {
  constructor(
    private readonly env: BenchEnv,
    readonly model: ClusterModel,
    /** A pod's labels (the scale scenario gives pods the handful a Deployment's pods carry). */
    private readonly labelsOf: (m: BenchMapping) => Record<string, string> = (m) => ({ app: m.name }),
  ) {}

  async createNamespaces(): Promise<void> {
    for (const name of this.model.namespaces) {
      await retry(() => this.env.core.createNamespace({ body: { metadata: { name } } }), `namespace ${name}`);
    }
  }

  async createNodes(count: number, concurrency = 32): Promise<void> {
    const names = Array.from({ length: count }, (_, i) => nodeName(i));
    await inPool(names, concurrency, async (name) => {
      const i = Number(name.slice(5));
      await registerNode(this.env.core, name, undefined, [
        { type: 'InternalIP', address: `192.168.${(i >> 8) & 255}.${(i & 255) + 1}` },
      ]);
    });
    this.model.nodes.push(...names);
  }

  async createMapping(m: BenchMapping): Promise<void> {
    await createMappingObject(this.env.custom, m, { devices: [DEVICE] });
  }

  /** Creates the pod bound to its node (Pending, no IP). Returns the time the request was sent. */
  async createPod(p: BenchPod): Promise<number> {
    const m = this.model.mappings[p.mapping] as BenchMapping;
    this.model.addPod(p);
    const sent = Date.now();
    await retry(
      () =>
        this.env.core.createNamespacedPod({
          namespace: p.namespace,
          body: {
            metadata: { name: p.name, labels: this.labelsOf(m) },
            spec: { nodeName: p.node, containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
          },
        }),
      `pod ${p.name}`,
    );
    return sent;
  }

  /**
   * Writes the pod's status as the kubelet would (Running, with its IP) without reading it first
   * (the body carries no resourceVersion, so the write is unconditional). Returns the send time.
   */
  async runPod(p: BenchPod): Promise<number> {
    const m = this.model.mappings[p.mapping] as BenchMapping;
    const body: V1Pod = {
      // The labels go too: an update of the status subresource keeps the metadata it is sent.
      metadata: { name: p.name, namespace: p.namespace, labels: this.labelsOf(m) },
      spec: { nodeName: p.node, containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      status: {
        phase: 'Running',
        podIP: p.ip,
        podIPs: [{ ip: p.ip }],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    const sent = Date.now();
    await retry(
      () => this.env.core.replaceNamespacedPodStatus({ namespace: p.namespace, name: p.name, body }),
      `pod status ${p.name}`,
    );
    p.running = true;
    return sent;
  }

  async deletePod(p: BenchPod): Promise<number> {
    const sent = Date.now();
    this.model.removePod(p);
    await retry(
      () =>
        this.env.core.deleteNamespacedPod({ namespace: p.namespace, name: p.name, gracePeriodSeconds: 0 }),
      `delete pod ${p.name}`,
    );
    return sent;
  }

  /** Creates pods and (optionally) marks them Running, `concurrency` API calls in flight. */
  async createPods(pods: BenchPod[], running: boolean, concurrency = 32): Promise<void> {
    await inPool(pods, concurrency, async (p) => {
      await this.createPod(p);
      if (running) await this.runPod(p);
    });
  }
}
