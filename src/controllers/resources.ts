import { API_VERSION, GROUP, VERSION } from '../api/v1alpha1/common.js';
import type { DEVICE_KIND } from '../api/v1alpha1/fortigate-device.js';
import { DEVICE_PLURAL } from '../api/v1alpha1/fortigate-device.js';
import type { MAPPING_KIND } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { MAPPING_PLURAL } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FORTIMANAGER_TARGET_KIND } from '../api/v1alpha1/fortimanager-target.js';
import { FORTIMANAGER_TARGET_PLURAL } from '../api/v1alpha1/fortimanager-target.js';
import type { EventRegarding } from '../runtime/event-recorder.js';

export const DEVICE_GVP = { group: GROUP, version: VERSION, plural: DEVICE_PLURAL } as const;
export const MAPPING_GVP = { group: GROUP, version: VERSION, plural: MAPPING_PLURAL } as const;
export const FORTIMANAGER_TARGET_GVP = {
  group: GROUP,
  version: VERSION,
  plural: FORTIMANAGER_TARGET_PLURAL,
} as const;

/** The mapping informer's index of the devices each mapping targets. */
export const DEVICE_INDEX = 'device';
export const devicesOfMapping = (m: { spec?: { devices?: string[] } }): string[] => m.spec?.devices ?? [];
/** The mapping informer's index of the FortiManagerTargets each mapping targets. */
export const FORTIMANAGER_TARGET_INDEX = 'fortiManagerTarget';
export const targetsOfMappingIndex = (m: { spec?: { fortiManagerTargets?: string[] } }): string[] =>
  m.spec?.fortiManagerTargets ?? [];

/**
 * The mapping informer's index of where a pod event must look (issue 19): the pod namespace a mapping
 * can select (its own, or `ANY_NAMESPACE` with a namespaceSelector) with one label the pod must carry
 * (the first `key=value` of podSelector.matchLabels), or no label when matchLabels is empty. A pod
 * event looks up its namespace and `ANY_NAMESPACE`, each without a label and with each of the pod's
 * labels (`podTermsOfPod`): the mappings that may select it, however many others there are.
 */
export const POD_TERM_INDEX = 'podTerm';
export const ANY_NAMESPACE = '*';
const podTerm = (namespace: string, label = ''): string => `${namespace}\u0000${label}`;

export function podTermsOfMapping(m: {
  metadata?: { namespace?: string };
  spec?: { namespaceSelector?: unknown; podSelector?: { matchLabels?: Record<string, string> } };
}): string[] {
  const ns = m.spec?.namespaceSelector ? ANY_NAMESPACE : m.metadata?.namespace;
  if (!ns) return [];
  const labels = m.spec?.podSelector?.matchLabels ?? {};
  const key = Object.keys(labels).sort()[0];
  return [podTerm(ns, key === undefined ? '' : `${key}=${labels[key]}`)];
}

/** The index values under which the mappings that may select this pod are filed. */
export function podTermsOfPod(pod: {
  metadata?: { namespace?: string; labels?: Record<string, string> };
}): string[] {
  const labels = Object.entries(pod.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [pod.metadata?.namespace ?? '', ANY_NAMESPACE].flatMap((ns) => [
    podTerm(ns),
    ...labels.map((l) => podTerm(ns, l)),
  ]);
}

/** Held by a mapping until its members left every device; by a device until its objects are gone. */
export const CLEANUP_FINALIZER = 'fortisync.io/cleanup';

interface Named {
  metadata: { name: string; namespace?: string; uid?: string };
}

/** The object an Event is about. */
export function objectRef(
  kind: typeof DEVICE_KIND | typeof MAPPING_KIND | typeof FORTIMANAGER_TARGET_KIND,
  o: Named,
): EventRegarding {
  return {
    apiVersion: API_VERSION,
    kind,
    name: o.metadata.name,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    ...(o.metadata.uid ? { uid: o.metadata.uid } : {}),
  };
}
