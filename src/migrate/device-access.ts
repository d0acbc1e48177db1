import { deviceSpecSchema } from '../api/v1alpha1/fortigate-device.js';
import type { JsonSchema } from '../api/v1alpha1/schema-types.js';
import { NAMESPACE_NAME_LABEL } from './translate-selector.js';

/**
 * The device access rules the migration must fill in, where the API has them: fortisync writes into
 * a group it did not create only when the device names it (`access.existingGroups`), and a mapping
 * selects pods beyond its own namespace only under a grant (`access.crossNamespaceGrants`). Those
 * rules are newer than this command, so it asks the schema it was built with and writes only the
 * fields that schema has (a CRD without them would refuse the manifests).
 */
export interface AccessSupport {
  existingGroups: boolean;
  crossNamespaceGrants: boolean;
  /** `spec.adoption` (ADR 0004): devices and targets take the groups over in place. */
  adoption?: boolean;
}

/** The schema's own limit on `access.existingGroups`. */
const MAX_EXISTING_GROUPS = 64;

export function accessSupport(schema: JsonSchema = deviceSpecSchema): AccessSupport {
  const access = schema.properties?.access?.properties ?? {};
  return {
    existingGroups: 'existingGroups' in access,
    crossNamespaceGrants: 'crossNamespaceGrants' in access,
    adoption: 'adoption' in (schema.properties ?? {}),
  };
}

/**
 * The adoption block of every generated FortiGateDevice and FortiManagerTarget: the mapped groups,
 * by exact name, adopted from Calico Enterprise (ADR 0004).
 */
export function deviceAdoption(
  groups: string[],
  support: AccessSupport,
): Record<string, unknown> | undefined {
  if (!support.adoption || !support.existingGroups || groups.length === 0) return undefined;
  return { source: 'CalicoEnterprise', groups: [...groups].sort() };
}

export type DeviceAccessResult = { access?: Record<string, unknown> } | { error: string };

/**
 * The access block of every generated device: the Tigera groups the mappings write (by exact name),
 * and a grant letting the mappings' namespace select pods in every namespace, as a
 * GlobalNetworkPolicy did. Undefined access when the API has neither field.
 */
export function deviceAccess(
  groups: string[],
  mappingNamespace: string,
  support: AccessSupport,
): DeviceAccessResult {
  const access: Record<string, unknown> = {};
  if (support.existingGroups && groups.length > 0) {
    if (groups.length > MAX_EXISTING_GROUPS) {
      return {
        error: `${groups.length} groups, but access.existingGroups holds at most ${MAX_EXISTING_GROUPS} names; split the migration by tier (tigera.firewall.policy.selector) or list the groups as patterns by hand`,
      };
    }
    access.existingGroups = [...groups].sort();
  }
  if (support.crossNamespaceGrants && groups.length > 0) {
    access.crossNamespaceGrants = [
      { from: { matchLabels: { [NAMESPACE_NAME_LABEL]: mappingNamespace } }, to: {} },
    ];
  }
  return Object.keys(access).length > 0 ? { access } : {};
}
