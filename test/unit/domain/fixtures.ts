import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { ClusterView, DeviceInput, MappingInput } from '../../../src/domain/desired.js';
import type { ValidMappingSpec } from '../../../src/api/v1alpha1/validation.js';
import { groupKey, type DesiredDeviceState } from '../../../src/domain/model.js';

export function node(name: string, ...ips: string[]): V1Node {
  return {
    metadata: { name },
    status: {
      addresses: [
        ...ips.map((address) => ({ type: 'InternalIP', address })),
        { type: 'Hostname', address: name },
      ],
    },
  };
}

export function pod(
  namespace: string,
  name: string,
  nodeName: string | undefined,
  labels: Record<string, string>,
  ips: string[] = [],
  phase = 'Running',
): V1Pod {
  return {
    metadata: { namespace, name, labels },
    spec: { containers: [], ...(nodeName ? { nodeName } : {}) },
    status: { phase, podIPs: ips.map((ip) => ({ ip })) },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return { metadata: { name, labels } };
}

export function view(pods: V1Pod[], nodes: V1Node[], namespaces: V1Namespace[]): ClusterView {
  return {
    podsInNamespace: (ns) => pods.filter((p) => p.metadata?.namespace === ns),
    node: (n) => nodes.find((x) => x.metadata?.name === n),
    namespace: (n) => namespaces.find((x) => x.metadata?.name === n),
    namespaces: () => namespaces,
  };
}

export function mapping(
  ns: string,
  name: string,
  spec: Partial<ValidMappingSpec> = {},
  deleting = false,
): MappingInput {
  return {
    key: `${ns}/${name}`,
    namespace: ns,
    name,
    deleting,
    spec: {
      devices: ['fw1'],
      addressGroup: 'K8S-DMZ',
      podSelector: { matchLabels: { zone: 'dmz' } },
      addressType: 'Node',
      ipFamilies: ['IPv4'],
      deletionPolicy: 'Delete',
      suspend: false,
      dryRun: false,
      ...spec,
    },
  };
}

export const device: DeviceInput = {
  name: 'fw1',
  spec: {
    url: 'https://127.0.0.1:1',
    insecurePlainHTTP: false,
    clusterName: 'prod',
    addressNamePrefix: 'k8s',
    credentialsSecretRef: { name: 's', namespace: 'n', key: 'token' },
    vdom: 'root',
    driftCheckIntervalSeconds: 300,
    maxConcurrentRequests: 16,
    deletionPolicy: 'Delete',
    suspend: false,
    dryRun: false,
  },
};

/** The desired state of a device whose one IPv4 group (fed by mapping a/m) holds these members. */
export function desiredGroup(name: string, members: string[]): DesiredDeviceState {
  return {
    addresses: new Map(),
    groups: new Map([
      [
        groupKey('IPv4', name),
        {
          name,
          family: 'IPv4',
          members: new Set(members),
          mappings: ['a/m'],
          frozen: false,
          orphanOnRelease: false,
        },
      ],
    ]),
    releasing: new Map(),
  };
}
