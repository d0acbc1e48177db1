import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  nodeAddressComment,
  nodeAddressName,
  podAddressComment,
  podAddressName,
  type NamingScope,
} from './naming.js';
import {
  selectedPods,
  targetsOfMapping,
  type ClusterView,
  type TargetInput,
  type MappingInput,
  type TargetPolicy,
} from './selection.js';
import { sharedString } from './shared-string.js';
import { accessProblem, groupNotOwnedProblem, groupOwnershipProblems } from './tenancy.js';
import type { Problem } from './problem.js';
import {
  addressKey,
  canonicalIp,
  familyOfIp,
  groupKey,
  storedAddressKey,
  type DesiredAddress,
  type DesiredDeviceState,
  type DesiredGroup,
} from './model.js';

export type { ClusterView, DeviceInput, MappingInput, TargetInput, TargetPolicy } from './selection.js';
export {
  isActivePod,
  mappingSelectsPod,
  selectedNamespaces,
  selectedPods,
  targetLabel,
  targetsOfMapping,
} from './selection.js';
export { accessProblem } from './tenancy.js';

export function namingScope(device: Pick<TargetPolicy, 'addressNamePrefix' | 'clusterName'>): NamingScope {
  return { prefix: device.addressNamePrefix, clusterName: device.clusterName };
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

interface NodeAddressEntry {
  prefix: string;
  clusterName: string;
  family: IPFamily;
  address: DesiredAddress | undefined;
}

/**
 * A node's address object per naming scope and family, kept with the node object (the informer
 * replaces it when the node changes, and a new object starts empty). Every Node-mode mapping with a
 * pod on the node then holds the same object instead of its own name, comment and object (about
 * 250 bytes a member, issue 19); callers must not change it.
 */
const nodeAddressesOf = new WeakMap<V1Node, NodeAddressEntry[]>();

function nodeDesiredAddress(
  scope: NamingScope,
  node: V1Node,
  nodeName: string,
  family: IPFamily,
): DesiredAddress | undefined {
  let entries = nodeAddressesOf.get(node);
  if (!entries) {
    entries = [];
    nodeAddressesOf.set(node, entries);
  }
  for (const e of entries) {
    if (e.family === family && e.prefix === scope.prefix && e.clusterName === scope.clusterName)
      return e.address;
  }
  const ip = nodeAddress(node, family);
  let address: DesiredAddress | undefined;
  if (ip) {
    const name = sharedString(nodeAddressName(scope, nodeName, family));
    const comment = sharedString(nodeAddressComment(scope.clusterName, name, nodeName));
    address = { name, family, ip, comment, node: nodeName };
  }
  entries.push({ prefix: scope.prefix, clusterName: scope.clusterName, family, address });
  return address;
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
    // A hostNetwork pod's "pod IP" is its node's address: in Pod mode it would put a node (and every
    // pod on it) into the group.
    if (mode === 'Pod' && pod.spec?.hostNetwork) continue;
    const nodeName = pod.spec?.nodeName as string;
    const podNs = pod.metadata?.namespace ?? mapping.namespace;
    const podName = pod.metadata?.name ?? '';
    for (const family of families) {
      if (mode === 'Node') {
        const node = view.node(nodeName);
        const address = node && nodeDesiredAddress(scope, node, nodeName, family);
        if (address) out.set(addressKey(family, address.name), address);
      } else {
        for (const ip of podIps(pod)) {
          if (familyOfIp(ip) !== family) continue;
          // Shared: the observed address and the group member lists hold the same text.
          const name = sharedString(podAddressName(scope, podNs, podName, family));
          out.set(addressKey(family, name), {
            name,
            family,
            ip,
            comment: sharedString(podAddressComment(scope.clusterName, name, podNs, podName, nodeName)),
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

/** What the device side tells the desired state (both optional: pure defaults for tests). */
export interface DesiredContext {
  /** The group exists on the device without this cluster's ownership marker. */
  foreignGroup?: (family: IPFamily, name: string) => boolean;
  /** A mapping's contribution the last time it was live in this process (undefined after a restart). */
  remembered?: (mappingKey: string) => readonly DesiredAddress[] | undefined;
}

const byKey = (a: MappingInput, b: MappingInput): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The mappings the device lets contribute; the others with their refusal. */
function admitted(
  device: TargetInput,
  mappings: readonly MappingInput[],
  view: ClusterView,
  ctx: DesiredContext,
): { admitted: MappingInput[]; refused: Map<string, Problem> } {
  const refused = new Map<string, Problem>();
  const claims: MappingInput[] = [];
  for (const m of mappings) {
    const problem =
      accessProblem(device, m, view) ??
      (ctx.foreignGroup ? groupNotOwnedProblem(device, m, ctx.foreignGroup) : undefined);
    if (problem) refused.set(m.key, problem);
    else claims.push(m);
  }
  for (const [key, problem] of groupOwnershipProblems(device, claims, view)) refused.set(key, problem);
  return { admitted: claims.filter((m) => !refused.has(m.key)), refused };
}

function groupOf(state: DesiredDeviceState, family: IPFamily, name: string): DesiredGroup {
  const key = groupKey(family, name);
  let group = state.groups.get(key);
  if (!group) {
    group = {
      name,
      family,
      members: new Set(),
      mappings: [],
      contributions: [],
      held: [],
      frozen: true,
      orphanOnRelease: false,
    };
    state.groups.set(key, group);
  }
  return group;
}

/**
 * Member names per family, remembered per members array: the member cache hands out the same array
 * until the mapping's pods change, so an unchanged mapping costs a sync no new set (issue 19).
 * The sets are shared: nobody may change them (contributions hold them as ReadonlySet).
 */
const namesByMembers = new WeakMap<readonly DesiredAddress[], Map<IPFamily, ReadonlySet<string>>>();

function namesOf(members: readonly DesiredAddress[], family: IPFamily): ReadonlySet<string> {
  let byFamily = namesByMembers.get(members);
  if (!byFamily) {
    byFamily = new Map();
    namesByMembers.set(members, byFamily);
  }
  let names = byFamily.get(family);
  if (!names) {
    names = new Set(members.filter((a) => a.family === family).map((a) => a.name));
    byFamily.set(family, names);
  }
  return names;
}

/**
 * What one device should hold: for every group some admitted mapping targets, the union of the
 * members its live mappings want, plus what its suspended or dry-run mappings hold of their own.
 * Mappings being deleted contribute nothing (their members leave); refused mappings contribute
 * nothing and say why (`refused`).
 */
export function desiredDeviceState(
  device: TargetInput,
  mappings: MappingInput[],
  view: ClusterView,
  membersOf: MembersOf = (m, scope) => mappingMembers(m, scope, view),
  ctx: DesiredContext = {},
): DesiredDeviceState {
  const scope = namingScope(device.spec);
  const state: DesiredDeviceState = {
    addresses: new Map(),
    groups: new Map(),
    releasing: new Map(),
    live: new Map(),
    frozenMappings: new Map(),
  };
  const deviceFrozen = Boolean(device.spec.suspend || device.spec.dryRun);
  const targeting = mappings
    .filter((m) => targetsOfMapping(m.spec, device.kind).includes(device.name))
    .sort(byKey);
  // Checked before access: a mapping that lost its access still has to be let go.
  for (const m of targeting.filter((x) => x.deleting)) {
    state.releasing.set(m.key, {
      group: m.spec.addressGroup,
      families: m.spec.ipFamilies,
      orphan: m.spec.deletionPolicy === 'Orphan',
    });
  }
  const { admitted: contributing, refused } = admitted(
    device,
    targeting.filter((x) => !x.deleting),
    view,
    ctx,
  );
  state.refused = refused;
  for (const m of contributing) addMapping(state, m, membersOf(m, scope), deviceFrozen, ctx);
  // A group some mapping is leaving is written (its members go) even when all others are frozen.
  for (const rel of state.releasing.values()) {
    for (const family of rel.families) {
      const g = state.groups.get(groupKey(family, rel.group));
      if (g && !deviceFrozen) g.frozen = false;
    }
  }
  addOrphanReleases(state);
  return state;
}

function addMapping(
  state: DesiredDeviceState,
  m: MappingInput,
  members: readonly DesiredAddress[],
  deviceFrozen: boolean,
  ctx: DesiredContext,
): void {
  const frozen = deviceFrozen || m.spec.suspend || m.spec.dryRun;
  if (frozen) {
    state.frozenMappings!.set(m.key, {
      group: m.spec.addressGroup,
      families: m.spec.ipFamilies,
      preview: Boolean(m.spec.dryRun || deviceFrozen),
      members,
      namespace: m.namespace,
    });
  } else state.live!.set(m.key, members);
  // After a restart (or if it never was live) a frozen mapping holds what its pods justify now.
  const own = frozen ? (ctx.remembered?.(m.key) ?? members) : members;
  for (const family of m.spec.ipFamilies) {
    const group = groupOf(state, family, m.spec.addressGroup);
    group.mappings.push(m.key);
    const c = { mapping: m.key, namespace: m.namespace, members: namesOf(own, family) };
    if (frozen) {
      group.held!.push(c);
      continue;
    }
    group.frozen = false;
    group.contributions!.push(c);
    for (const name of c.members) group.members.add(name);
  }
  if (frozen) return;
  for (const addr of members) {
    if (m.spec.ipFamilies.includes(addr.family))
      state.addresses.set(storedAddressKey(addr.family, addr.name), addr);
  }
}

/** A group whose every feeding mapping is gone but one was deleted with Orphan is released, not deleted. */
function addOrphanReleases(state: DesiredDeviceState): void {
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
}

/**
 * The state as it would be if these frozen (dry-run) mappings were live: what their previews plan
 * against. Other frozen mappings keep holding.
 */
export function thawMappings(state: DesiredDeviceState, keys: ReadonlySet<string>): DesiredDeviceState {
  const groups = new Map<string, DesiredGroup>();
  const addresses = new Map(state.addresses);
  for (const [key, g] of state.groups) {
    const thawed = (g.held ?? []).filter((h) => keys.has(h.mapping));
    if (thawed.length === 0) {
      groups.set(key, g);
      continue;
    }
    const contributions = [...(g.contributions ?? [])];
    const members = new Set(g.members);
    for (const h of thawed) {
      const fm = state.frozenMappings?.get(h.mapping);
      const names = namesOf(fm?.members ?? [], g.family);
      contributions.push({ mapping: h.mapping, namespace: h.namespace, members: names });
      for (const n of names) members.add(n);
      for (const a of fm?.members ?? [])
        if (a.family === g.family) addresses.set(addressKey(a.family, a.name), a);
    }
    groups.set(key, {
      ...g,
      members,
      contributions,
      held: (g.held ?? []).filter((h) => !keys.has(h.mapping)),
      frozen: false,
    });
  }
  return { ...state, groups, addresses };
}
