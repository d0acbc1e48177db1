import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import type { ClusterView } from '../../domain/desired.js';
import type { KubeReader } from './kube.js';

/** Everything the desired state is computed from, read once from the API server. */
export interface ClusterSnapshot {
  pods: V1Pod[];
  nodes: V1Node[];
  namespaces: V1Namespace[];
  mappings: FortiGateEndpointMapping[];
  devices: FortiGateDevice[];
  /** FortiManagerTargets (absent in snapshots made before the plugin knew the kind). */
  targets?: FortiManagerTarget[];
}

export async function readSnapshot(reader: KubeReader): Promise<ClusterSnapshot> {
  const [pods, nodes, namespaces, mappings, devices, targets] = await Promise.all([
    reader.pods(),
    reader.nodes(),
    reader.namespaces(),
    reader.mappings(),
    reader.devices(),
    // Needed only where a mapping names a target: a user who may not list them still gets the rest.
    reader.targets().catch((err: unknown) => err as Error),
  ]);
  if (targets instanceof Error) {
    if (mappings.some((m) => m.spec?.fortiManagerTargets?.length)) throw targets;
    return { pods, nodes, namespaces, mappings, devices, targets: [] };
  }
  return { pods, nodes, namespaces, mappings, devices, targets };
}

/** The snapshot as the domain's read-only view (what the operator's informer caches give it). */
export function clusterView(s: ClusterSnapshot): ClusterView {
  const byNamespace = new Map<string, V1Pod[]>();
  for (const p of s.pods) {
    const ns = p.metadata?.namespace ?? '';
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), p]);
  }
  const nodes = new Map(s.nodes.map((n) => [n.metadata?.name ?? '', n]));
  const namespaces = new Map(s.namespaces.map((n) => [n.metadata?.name ?? '', n]));
  return {
    podsInNamespace: (ns) => byNamespace.get(ns) ?? [],
    node: (name) => nodes.get(name),
    namespace: (name) => namespaces.get(name),
    namespaces: () => namespaces.values(),
  };
}
