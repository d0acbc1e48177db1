import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateEndpointMappingSpec, TargetKind } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ValidDeviceSpec, ValidMappingSpec } from '../api/v1alpha1/validation.js';
import { matchesSelector } from './selectors.js';

/** Read-only view of the informer caches the desired state is computed from. */
export interface ClusterView {
  podsInNamespace(namespace: string): Iterable<V1Pod>;
  node(name: string): V1Node | undefined;
  namespace(name: string): V1Namespace | undefined;
  namespaces(): Iterable<V1Namespace>;
}

export interface MappingInput {
  key: string;
  namespace: string;
  name: string;
  spec: ValidMappingSpec;
  deleting: boolean;
  uid?: string;
  /** metadata.generation of the spec this input was made from. */
  generation?: number;
  /** metadata.creationTimestamp (RFC 3339): the oldest mapping of a group decides its namespace. */
  createdAt?: string;
}

/**
 * The kind-free view of a target the domain reads (ADR 0003 §3): a FortiGateDevice and a
 * FortiManagerTarget share these fields' schema and meaning.
 */
export type TargetPolicy = Pick<
  ValidDeviceSpec,
  'clusterName' | 'addressNamePrefix' | 'access' | 'limits' | 'dryRun' | 'suspend'
> &
  /** FortiGateDevice only (ADR 0004). */
  Partial<Pick<ValidDeviceSpec, 'adoption'>>;

/** A target the domain computes for; `spec` is the whole device spec where callers need it. */
export interface DeviceInput<S extends TargetPolicy = ValidDeviceSpec> {
  name: string;
  /** Absent: a FortiGateDevice. */
  kind?: TargetKind;
  spec: S;
}

/** Any target, of either kind: what the desired state and the grants read. */
export type TargetInput = DeviceInput<TargetPolicy>;

/** The targets of one kind a mapping names (`devices` or `fortiManagerTargets`). */
export function targetsOfMapping(
  spec: Pick<FortiGateEndpointMappingSpec, 'devices' | 'fortiManagerTargets'>,
  kind: TargetKind = 'FortiGateDevice',
): readonly string[] {
  return (kind === 'FortiManagerTarget' ? spec.fortiManagerTargets : spec.devices) ?? [];
}

/** How messages name a target: "FortiGateDevice fw1" or "FortiManagerTarget fmg-dmz". */
export const targetLabel = (t: Pick<TargetInput, 'name' | 'kind'>): string =>
  `${t.kind ?? 'FortiGateDevice'} ${t.name}`;

/**
 * The mapping's selectors pick the pod: its namespace (by `namespaceSelector`, else the mapping's
 * own) and its labels. Whether the pod counts (running) is `isActivePod`'s question, and whether the
 * device lets the mapping reach that namespace is `accessProblem`'s. The watches (which mappings a
 * pod event concerns) and the desired state (which pods are members) both ask this one function, so
 * the member cache is invalidated for exactly the pods that count.
 */
export function mappingSelectsPod(
  spec: Pick<FortiGateEndpointMappingSpec, 'podSelector' | 'namespaceSelector'> | undefined,
  mappingNamespace: string,
  pod: V1Pod,
  namespaceLabels: Record<string, string> | undefined,
): boolean {
  if (!spec?.podSelector) return false;
  const namespaceOk = spec.namespaceSelector
    ? matchesSelector(spec.namespaceSelector, namespaceLabels)
    : pod.metadata?.namespace === mappingNamespace;
  return namespaceOk && matchesSelector(spec.podSelector, pod.metadata?.labels);
}

/**
 * A pod counts while it runs on a node and is not being deleted. A Pending pod already bound to a
 * node has not started (its node address would open the firewall before the workload exists), and
 * a pod in phase Unknown cannot be vouched for: both are left out (fail closed).
 */
export function isActivePod(pod: V1Pod): boolean {
  if (!pod.spec?.nodeName) return false;
  if (pod.metadata?.deletionTimestamp) return false;
  return pod.status?.phase === 'Running';
}

/** The namespaces the mapping selects pods from (not yet checked against the device's grants). */
export function selectedNamespaces(mapping: MappingInput, view: ClusterView): string[] {
  const selector = mapping.spec.namespaceSelector;
  if (!selector) return [mapping.namespace];
  const names: string[] = [];
  for (const ns of view.namespaces()) {
    if (
      ns.metadata?.name &&
      !ns.metadata.deletionTimestamp &&
      matchesSelector(selector, ns.metadata.labels)
    ) {
      names.push(ns.metadata.name);
    }
  }
  return names.sort();
}

export function selectedPods(mapping: MappingInput, view: ClusterView): V1Pod[] {
  const pods: V1Pod[] = [];
  for (const ns of selectedNamespaces(mapping, view)) {
    const labels = view.namespace(ns)?.metadata?.labels;
    for (const pod of view.podsInNamespace(ns)) {
      if (isActivePod(pod) && mappingSelectsPod(mapping.spec, mapping.namespace, pod, labels)) pods.push(pod);
    }
  }
  return pods;
}
