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
 * The mapping informer's index of the pod namespaces a mapping can select: its own, or
 * `ANY_NAMESPACE` when it has a namespaceSelector. A pod event then looks at the mappings of its
 * namespace and the cross-namespace ones, not at every mapping.
 */
export const POD_NAMESPACE_INDEX = 'podNamespace';
export const ANY_NAMESPACE = '*';
export const podNamespacesOfMapping = (m: {
  metadata?: { namespace?: string };
  spec?: { namespaceSelector?: unknown };
}): string[] =>
  m.spec?.namespaceSelector ? [ANY_NAMESPACE] : m.metadata?.namespace ? [m.metadata.namespace] : [];

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
