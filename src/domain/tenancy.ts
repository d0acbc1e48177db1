import type { DeviceAccess } from '../api/v1alpha1/fortigate-device.js';
import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { groupKey, type ObservedDeviceState } from './model.js';
import { isOwnedBy } from './naming.js';
import type { Problem } from './problem.js';
import {
  selectedNamespaces,
  targetLabel,
  type ClusterView,
  type TargetInput,
  type MappingInput,
} from './selection.js';
import { matchesGlob, matchesSelector } from './selectors.js';

// Who may write what on a shared device (docs/tenancy.md): the device grants, mappings ask. Every
// refusal here means the mapping contributes nothing to the device (never a partial set).

/** Reasons for which a mapping contributes nothing to a device. */
export const REFUSAL_REASONS: ReadonlySet<string> = new Set([
  'NamespaceNotAllowed',
  'GroupNotAllowed',
  'CrossNamespaceNotGranted',
  'GroupNotOwned',
  'GroupOwnedByAnotherNamespace',
]);

const labelsOf = (view: ClusterView, ns: string): Record<string, string> | undefined =>
  view.namespace(ns)?.metadata?.labels;

/** The device admits mappings from, and pods in, this namespace. */
export function namespaceAdmitted(access: DeviceAccess | undefined, ns: string, view: ClusterView): boolean {
  return !access?.namespaceSelector || matchesSelector(access.namespaceSelector, labelsOf(view, ns));
}

/**
 * The namespaces other than its own that the mapping selects and the device does not grant it: a
 * namespace counts as granted when the device admits it and a crossNamespaceGrants entry matches the
 * mapping's namespace (`from`) and it (`to`).
 */
export function ungrantedNamespaces(
  access: DeviceAccess | undefined,
  mapping: MappingInput,
  view: ClusterView,
): string[] {
  if (!mapping.spec.namespaceSelector) return [];
  const own = labelsOf(view, mapping.namespace);
  const grants = (access?.crossNamespaceGrants ?? []).filter((g) => matchesSelector(g.from, own));
  return selectedNamespaces(mapping, view).filter(
    (ns) =>
      ns !== mapping.namespace &&
      !(namespaceAdmitted(access, ns, view) && grants.some((g) => matchesSelector(g.to, labelsOf(view, ns)))),
  );
}

function listed(names: string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** The group rules that let a namespace feed a group. */
function rulesFor(
  access: DeviceAccess | undefined,
  nsLabels: Record<string, string> | undefined,
  group: string,
) {
  return (access?.groupRules ?? []).filter(
    (r) => matchesSelector(r.namespaceSelector, nsLabels) && r.groups.some((p) => matchesGlob(p, group)),
  );
}

/**
 * Why a device refuses a mapping whatever else it holds, or undefined: the mapping's namespace, its
 * group (allowedGroups, groupRules), and every namespace it selects pods from.
 */
export function accessProblem(
  device: TargetInput,
  mapping: MappingInput,
  view: ClusterView,
): Problem | undefined {
  const access = device.spec.access;
  const group = mapping.spec.addressGroup;
  if (!namespaceAdmitted(access, mapping.namespace, view)) {
    return {
      reason: 'NamespaceNotAllowed',
      message: `${targetLabel(device)} does not accept mappings from namespace ${mapping.namespace} (spec.access.namespaceSelector); ask the cluster admin to label the namespace or widen the selector`,
    };
  }
  const allowed = access?.allowedGroups;
  if (allowed && !allowed.some((p) => matchesGlob(p, group))) {
    return {
      reason: 'GroupNotAllowed',
      message: `${targetLabel(device)} does not allow group ${group}; allowed: ${allowed.join(', ')}`,
    };
  }
  if (access?.groupRules && rulesFor(access, labelsOf(view, mapping.namespace), group).length === 0) {
    return {
      reason: 'GroupNotAllowed',
      message: `no spec.access.groupRules entry of ${targetLabel(device)} lets namespace ${mapping.namespace} feed group ${group}; pick a group the rules give this namespace, or ask the cluster admin for a rule`,
    };
  }
  const ungranted = ungrantedNamespaces(access, mapping, view);
  if (ungranted.length > 0) {
    return {
      reason: 'CrossNamespaceNotGranted',
      message: `spec.namespaceSelector selects namespace(s) ${listed(ungranted)}, which ${targetLabel(device)} does not grant to namespace ${mapping.namespace} (spec.access.crossNamespaceGrants); nothing of this mapping is written. Narrow spec.namespaceSelector, or ask the cluster admin for a grant`,
    };
  }
  return undefined;
}

/** The device's groups this cluster did not create (no marker of its own), as last read. */
export function foreignGroups(
  observed: ObservedDeviceState,
  clusterName: string,
): (family: IPFamily, name: string) => boolean {
  return (family, name) => {
    const g = observed.groups.get(groupKey(family, name));
    return g !== undefined && !isOwnedBy(g.comment, clusterName, name);
  };
}

/**
 * A group that exists on the device without this cluster's marker belongs to someone else (the
 * firewall admin, another cluster): mappings may add members to it only where the device names it.
 */
export function groupNotOwnedProblem(
  device: TargetInput,
  mapping: MappingInput,
  foreignGroup: (family: IPFamily, name: string) => boolean,
): Problem | undefined {
  const group = mapping.spec.addressGroup;
  if (!mapping.spec.ipFamilies.some((f) => foreignGroup(f, group))) return undefined;
  if ((device.spec.access?.existingGroups ?? []).some((p) => matchesGlob(p, group))) return undefined;
  // Adoption removes members; it never stands in for the permission to write into the group.
  const adopting = device.spec.adoption?.groups.includes(group)
    ? ' (spec.adoption.groups lists it, but adoption needs that permission too)'
    : '';
  return {
    reason: 'GroupNotOwned',
    message: `group ${group} already exists on ${targetLabel(device)} and fortisync (cluster ${device.spec.clusterName}) did not create it; nothing is added to it unless the device lists it in spec.access.existingGroups${adopting}. Ask the cluster admin to name it there, or pick another group`,
  };
}

const older = (a: MappingInput, b: MappingInput): number => {
  const ta = a.createdAt ?? '';
  const tb = b.createdAt ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
};

/**
 * Groups have one owning namespace: that of the oldest mapping claiming the group (ties by key).
 * Another namespace may feed it too only when the device's group rules say shared for the group in
 * both namespaces. Returns the mappings refused, by key.
 */
export function groupOwnershipProblems(
  device: TargetInput,
  claims: readonly MappingInput[],
  view: ClusterView,
): Map<string, Problem> {
  const access = device.spec.access;
  const shared = (ns: string, group: string): boolean =>
    rulesFor(access, labelsOf(view, ns), group).some((r) => r.shared === true);
  const byGroup = new Map<string, MappingInput[]>();
  for (const m of claims) {
    const list = byGroup.get(m.spec.addressGroup) ?? [];
    list.push(m);
    byGroup.set(m.spec.addressGroup, list);
  }
  const refused = new Map<string, Problem>();
  for (const [group, list] of byGroup) {
    const owner = [...list].sort(older)[0] as MappingInput;
    for (const m of list) {
      if (m.namespace === owner.namespace) continue;
      if (shared(owner.namespace, group) && shared(m.namespace, group)) continue;
      refused.set(m.key, {
        reason: 'GroupOwnedByAnotherNamespace',
        message: `group ${group} on ${targetLabel(device)} is fed by namespace ${owner.namespace} (its oldest mapping); namespaces share a group only where spec.access.groupRules says shared: true for both. Pick another group, or ask the cluster admin for a shared rule`,
      });
    }
  }
  return refused;
}
