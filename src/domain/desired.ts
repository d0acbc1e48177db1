import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateEndpointMappingSpec, IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ValidDeviceSpec, ValidMappingSpec } from '../api/v1alpha1/validation.js';
import {
  nodeAddressComment,
  nodeAddressName,
  podAddressComment,
  podAddressName,
  type NamingScope,
} from './naming.js';
import { matchesGlob, matchesSelector } from './selectors.js';
import {
  addressKey,
  canonicalIp,
  familyOfIp,
  groupKey,
  type DesiredAddress,
  type DesiredDeviceState,
  type DesiredGroup,
} from './model.js';

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
}

export interface DeviceInput {
  name: string;
  spec: ValidDeviceSpec;
}

export function namingScope(device: ValidDeviceSpec): NamingScope {
  return { prefix: device.addressNamePrefix, clusterName: device.clusterName };
}

/**
 * The mapping's selectors pick the pod: its namespace (by `namespaceSelector`, else the mapping's
 * own) and its labels. Whether the pod counts (scheduled, running) is `isActivePod`'s question. The
 * watches (which mappings a pod event concerns) and the desired state (which pods are members) both
 * ask this one function, so the member cache is invalidated for exactly the pods that count.
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

/** Why a device refuses a mapping, or undefined when it may write. */
export function accessProblem(
  device: DeviceInput,
  mapping: MappingInput,
  view: ClusterView,
): { reason: 'NamespaceNotAllowed' | 'GroupNotAllowed'; message: string } | undefined {
  const access = device.spec.access;
  if (access?.namespaceSelector) {
    const ns = view.namespace(mapping.namespace);
    if (!matchesSelector(access.namespaceSelector, ns?.metadata?.labels)) {
      return {
        reason: 'NamespaceNotAllowed',
        message: `FortiGateDevice ${device.name} does not accept mappings from namespace ${mapping.namespace} (spec.access.namespaceSelector); ask the cluster admin to label the namespace or widen the selector`,
      };
    }
  }
  const allowed = access?.allowedGroups;
  if (allowed && !allowed.some((p) => matchesGlob(p, mapping.spec.addressGroup))) {
    return {
      reason: 'GroupNotAllowed',
      message: `FortiGateDevice ${device.name} does not allow group ${mapping.spec.addressGroup}; allowed: ${allowed.join(', ')}`,
    };
  }
  return undefined;
}

/** A pod counts while it is scheduled, not finished and not being deleted (fail closed). */
export function isActivePod(pod: V1Pod): boolean {
  if (!pod.spec?.nodeName) return false;
  if (pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

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

/** InternalIP of the family, else ExternalIP of the family. */
export function nodeAddress(node: V1Node, family: IPFamily): string | undefined {
  const addrs = node.status?.addresses ?? [];
  for (const type of ['InternalIP', 'ExternalIP']) {
    const found = addrs.find((a) => a.type === type && familyOfIp(a.address) === family);
    if (found) return canonicalIp(found.address);
  }
  return undefined;
}

function podIps(pod: V1Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => Boolean(ip));
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.map(canonicalIp);
}

/** The addresses one mapping wants in its group, deduplicated and sorted by name. */
export function mappingMembers(
  mapping: MappingInput,
  scope: NamingScope,
  view: ClusterView,
): DesiredAddress[] {
  const out = new Map<string, DesiredAddress>();
  const families = mapping.spec.ipFamilies;
  const mode = mapping.spec.addressType;
  for (const pod of selectedPods(mapping, view)) {
    const nodeName = pod.spec?.nodeName as string;
    const podNs = pod.metadata?.namespace ?? mapping.namespace;
    const podName = pod.metadata?.name ?? '';
    for (const family of families) {
      if (mode === 'Node') {
        const node = view.node(nodeName);
        const ip = node && nodeAddress(node, family);
        if (!ip) continue;
        const name = nodeAddressName(scope, nodeName, family);
        out.set(addressKey(family, name), {
          name,
          family,
          ip,
          comment: nodeAddressComment(scope.clusterName, name, nodeName),
          node: nodeName,
        });
      } else {
        for (const ip of podIps(pod)) {
          if (familyOfIp(ip) !== family) continue;
          const name = podAddressName(scope, podNs, podName, family);
          out.set(addressKey(family, name), {
            name,
            family,
            ip,
            comment: podAddressComment(scope.clusterName, name, podNs, podName, nodeName),
            node: nodeName,
            pod: `${podNs}/${podName}`,
          });
        }
      }
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Computes (or remembers) one mapping's members; `mappingMembers` over the view by default. */
export type MembersOf = (mapping: MappingInput, scope: NamingScope) => readonly DesiredAddress[];

/**
 * What one device should hold: for every group some allowed mapping targets, the union of the
 * members all such mappings want. Mappings being deleted contribute nothing (their members leave).
 */
export function desiredDeviceState(
  device: DeviceInput,
  mappings: MappingInput[],
  view: ClusterView,
  membersOf: MembersOf = (m, scope) => mappingMembers(m, scope, view),
): DesiredDeviceState {
  const scope = namingScope(device.spec);
  const state: DesiredDeviceState = { addresses: new Map(), groups: new Map(), releasing: new Map() };
  const deviceFrozen = Boolean(device.spec.suspend || device.spec.dryRun);
  for (const m of [...mappings].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    if (!m.spec.devices.includes(device.name)) continue;
    const families = m.spec.ipFamilies;
    // Checked before access: a mapping that lost its access still has to be let go.
    if (m.deleting) {
      state.releasing.set(m.key, {
        group: m.spec.addressGroup,
        families,
        orphan: m.spec.deletionPolicy === 'Orphan',
      });
      continue;
    }
    if (accessProblem(device, m, view)) continue;
    const frozen = deviceFrozen || Boolean(m.spec.suspend || m.spec.dryRun);
    for (const family of families) {
      const key = groupKey(family, m.spec.addressGroup);
      let group: DesiredGroup | undefined = state.groups.get(key);
      if (!group) {
        group = {
          name: m.spec.addressGroup,
          family,
          members: new Set(),
          mappings: [],
          frozen: false,
          orphanOnRelease: false,
        };
        state.groups.set(key, group);
      }
      group.mappings.push(m.key);
      group.frozen ||= frozen;
    }
    for (const addr of membersOf(m, scope)) {
      state.groups.get(groupKey(addr.family, m.spec.addressGroup))?.members.add(addr.name);
      state.addresses.set(addressKey(addr.family, addr.name), addr);
    }
  }
  // A group whose every feeding mapping is gone but one was deleted with Orphan is released, not deleted.
  for (const rel of state.releasing.values()) {
    if (!rel.orphan) continue;
    for (const family of rel.families) {
      const key = groupKey(family, rel.group);
      if (!state.groups.has(key)) {
        state.groups.set(key, {
          name: rel.group,
          family,
          members: new Set(),
          mappings: [],
          frozen: false,
          orphanOnRelease: true,
        });
      }
    }
  }
  return state;
}
