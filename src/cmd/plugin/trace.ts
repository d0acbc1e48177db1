import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateEndpointMapping, IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ClusterView, MappingInput } from '../../domain/desired.js';
import { matchesSelector } from '../../domain/selectors.js';
import { liveMembership } from '../../inspect/live.js';
import { nestingClosure, policiesUsing, type PolicyUse } from '../../inspect/policies.js';
import { addressKey } from '../../domain/model.js';
import { formatTerms, selectorTerms, type SelectorTerm } from '../../inspect/selector-terms.js';
import {
  membershipVerdict,
  type LiveMembership,
  type MembershipFacts,
  type Verdict,
} from '../../inspect/why-not.js';
import type { ClusterSnapshot } from './cluster.js';
import {
  accessProblem,
  canonicalIp,
  devicePlan,
  deviceInput,
  familyOfIp,
  groupKey,
  mappingInputs,
  mappingSpecProblem,
  namingScope,
  nodeAddress,
  nodeAddressName,
  podAddressName,
  type DevicePlan,
} from './domain-adapter.js';
import type { DeviceView } from './live-devices.js';
import { viewKey, type AnyView } from './target-views.js';
import type { TargetKind } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { byText } from './output.js';

/** One mapping, device and family the pod could feed, and the verdict. */
export interface TraceRow {
  mapping: string;
  /** The device's name, or `fortimanagertarget/NAME` for a FortiManagerTarget's ADOM. */
  device: string;
  /** Absent: a FortiGateDevice. */
  kind?: TargetKind;
  family: IPFamily;
  mode: 'Node' | 'Pod';
  group: string;
  address?: string;
  ip?: string;
  /** How the mapping's selectors read against the pod. */
  selection: string;
  verdict: Verdict;
}

export interface TracePolicies {
  device: string;
  family: IPFamily;
  policies: PolicyUse[];
}

/** Every group on a device that holds one of the pod's addresses, read live. */
export interface TraceGroups {
  device: string;
  family: IPFamily;
  address: string;
  /** Groups naming the address themselves. */
  direct: string[];
  /** Groups holding one of those, however deeply. */
  nested: string[];
}

export interface TraceDevice {
  name: string;
  read: boolean;
  error?: string;
  next?: string;
  /** Operations the operator's plan would still perform on the device (0: in sync). */
  pendingOperations?: number;
}

export interface PodTrace {
  pod: { namespace: string; name: string; phase: string; node?: string; ips: string[]; terminating: boolean };
  node?: { name: string; addresses: { type: string; address: string }[] };
  rows: TraceRow[];
  groups: TraceGroups[];
  policies: TracePolicies[];
  devices: TraceDevice[];
}

export function podIps(pod: V1Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => Boolean(ip));
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.map(canonicalIp);
}

/** Mappings worth showing: they select the pod's namespace, or their pod selector picks the pod. */
export function candidateMappings(
  mappings: readonly FortiGateEndpointMapping[],
  pod: V1Pod,
  nsLabels: Record<string, string> | undefined,
): FortiGateEndpointMapping[] {
  return mappings
    .filter(
      (m) =>
        namespaceSelected(m, pod, nsLabels) ||
        (m.spec?.podSelector && matchesSelector(m.spec.podSelector, pod.metadata?.labels)),
    )
    .sort((a, b) => byText(mappingKey(a), mappingKey(b)));
}

const mappingKey = (m: FortiGateEndpointMapping): string =>
  `${m.metadata.namespace ?? ''}/${m.metadata.name}`;

function namespaceSelected(
  m: FortiGateEndpointMapping,
  pod: V1Pod,
  nsLabels: Record<string, string> | undefined,
): boolean {
  return m.spec?.namespaceSelector
    ? matchesSelector(m.spec.namespaceSelector, nsLabels)
    : pod.metadata?.namespace === m.metadata.namespace;
}

function namespaceHow(
  m: FortiGateEndpointMapping,
  pod: V1Pod,
  nsLabels: Record<string, string> | undefined,
): string {
  if (m.spec?.namespaceSelector)
    return `namespaceSelector ${formatTerms(selectorTerms(m.spec.namespaceSelector, nsLabels))}`;
  return pod.metadata?.namespace === m.metadata.namespace
    ? "the mapping's own namespace"
    : `no namespaceSelector: it selects pods of namespace ${m.metadata.namespace ?? ''} only`;
}

/** The address that stands for the pod on a device in a family, when the pod has one. */
function addressFor(
  input: MappingInput | undefined,
  view: AnyView,
  pod: V1Pod,
  node: V1Node | undefined,
  family: IPFamily,
): { name: string; ip: string } | undefined {
  if (!input || !view.input) return undefined;
  const scope = namingScope(view.input.spec);
  if (input.spec.addressType === 'Node') {
    const ip = node && nodeAddress(node, family);
    return ip ? { name: nodeAddressName(scope, node.metadata?.name ?? '', family), ip } : undefined;
  }
  const ip = podIps(pod).find((i) => familyOfIp(i) === family);
  const ns = pod.metadata?.namespace ?? '';
  return ip ? { name: podAddressName(scope, ns, pod.metadata?.name ?? '', family), ip } : undefined;
}

interface TraceContext {
  snapshot: ClusterSnapshot;
  view: ClusterView;
  /** Views by viewKey (a device's name, `fortimanagertarget/NAME`). */
  devices: Map<string, AnyView>;
  plans: Map<string, DevicePlan>;
}

function liveOf(
  d: AnyView | undefined,
  family: IPFamily,
  group: string,
  address: string | undefined,
): LiveMembership {
  if (!d?.live) return { read: false, error: d?.error ?? 'not read' };
  return liveMembership(d.live.observed, family, group, address);
}

/** What one mapping and its pod look like whatever the device and family. */
interface MappingSide {
  m: FortiGateEndpointMapping;
  input: MappingInput | undefined;
  pod: V1Pod;
  node: V1Node | undefined;
  nsLabels: Record<string, string> | undefined;
  mode: 'Node' | 'Pod';
  terms: SelectorTerm[];
}

function mappingFacts(side: MappingSide): MembershipFacts['mapping'] {
  const specProblem = mappingSpecProblem(side.m);
  return {
    key: mappingKey(side.m),
    deleting: Boolean(side.m.metadata.deletionTimestamp),
    suspend: Boolean(side.input?.spec.suspend),
    dryRun: Boolean(side.input?.spec.dryRun),
    ...(specProblem ? { specProblem } : {}),
  };
}

function deviceFacts(target: TargetRef, d: AnyView | undefined): MembershipFacts['device'] {
  return {
    name: target.name,
    ...(target.kind ? { kind: target.kind } : {}),
    found: Boolean(d?.object),
    suspend: Boolean(d?.input?.spec.suspend),
    dryRun: Boolean(d?.input?.spec.dryRun),
    ...(d?.specProblem ? { specProblem: d.specProblem } : {}),
  };
}

function podFacts(pod: V1Pod): MembershipFacts['pod'] {
  const node = pod.spec?.nodeName;
  return {
    scheduled: Boolean(node),
    terminating: Boolean(pod.metadata?.deletionTimestamp),
    ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
    ...(node ? { node } : {}),
  };
}

/** A device, or a FortiManagerTarget with its kind. */
interface TargetRef {
  name: string;
  kind?: TargetKind;
}

/** One row: the facts of a mapping, a device and a family, judged by the pure verdict. */
function row(ctx: TraceContext, side: MappingSide, target: TargetRef, family: IPFamily): TraceRow {
  const { m, input, pod } = side;
  const key = viewKey(target);
  const d = ctx.devices.get(key);
  const group = m.spec?.addressGroup ?? '';
  const address = addressFor(input, d ?? { name: target.name }, pod, side.node, family);
  const planned = ctx.plans.get(key);
  // The refusals that need the whole device (group owners, existing groups) come from its desired state.
  const access =
    d?.input && input
      ? (accessProblem(d.input, input, ctx.view) ?? planned?.desired.refused?.get(input.key))
      : undefined;
  const limit =
    planned?.plan.problems.get(groupKey(family, group)) ??
    (input ? planned?.plan.mappingProblems?.get(input.key) : undefined);
  const namespace = {
    selected: namespaceSelected(m, pod, side.nsLabels),
    how: namespaceHow(m, pod, side.nsLabels),
  };
  const facts: MembershipFacts = {
    family,
    mode: side.mode,
    group,
    mapping: mappingFacts(side),
    device: deviceFacts(target, d),
    pod: podFacts(pod),
    namespace,
    labels: { matched: side.terms.every((t) => t.matched), terms: side.terms },
    nodeFound: side.node !== undefined,
    ...(address ? { address } : {}),
    ...(access ? { access } : {}),
    ...(limit ? { limit } : {}),
    live: liveOf(d, family, group, address?.name),
  };
  return {
    mapping: mappingKey(m),
    device: key,
    ...(target.kind ? { kind: target.kind } : {}),
    family,
    mode: side.mode,
    group,
    ...(address ? { address: address.name, ip: address.ip } : {}),
    selection: `podSelector ${formatTerms(side.terms)}; ${namespace.how}`,
    verdict: membershipVerdict(facts),
  };
}

function rowsFor(ctx: TraceContext, m: FortiGateEndpointMapping, pod: V1Pod): TraceRow[] {
  const input = mappingInputs([m])[0];
  const nodeName = pod.spec?.nodeName;
  const side: MappingSide = {
    m,
    input,
    pod,
    node: nodeName ? ctx.view.node(nodeName) : undefined,
    nsLabels: ctx.view.namespace(pod.metadata?.namespace ?? '')?.metadata?.labels,
    mode: input?.spec.addressType ?? m.spec?.addressType ?? 'Node',
    terms: selectorTerms(m.spec?.podSelector ?? {}, pod.metadata?.labels),
  };
  const families = input?.spec.ipFamilies ?? m.spec?.ipFamilies ?? ['IPv4'];
  const targets: TargetRef[] = [
    ...(m.spec?.devices ?? []).map((name) => ({ name })),
    ...(m.spec?.fortiManagerTargets ?? []).map((name) => ({ name, kind: 'FortiManagerTarget' as const })),
  ];
  return targets.flatMap((target) => families.map((family) => row(ctx, side, target, family)));
}

/** The live groups holding each address of the rows that exists on its device. */
function groupsFor(ctx: TraceContext, rows: readonly TraceRow[]): TraceGroups[] {
  const out: TraceGroups[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const live = ctx.devices.get(r.device)?.live;
    const id = `${r.device}\u0000${r.family}\u0000${r.address ?? ''}`;
    if (!live || !r.address || seen.has(id)) continue;
    seen.add(id);
    if (!live.observed.addresses.has(addressKey(r.family, r.address))) continue;
    const groups = liveGroups(live, r.family);
    const direct = [...groups].filter(([, members]) => members.includes(r.address as string)).map(([g]) => g);
    const all = nestingClosure(direct, groups);
    out.push({
      device: r.device,
      family: r.family,
      address: r.address,
      direct: direct.sort(byText),
      nested: [...all].filter((g) => !direct.includes(g)).sort(byText),
    });
  }
  return out;
}

function liveGroups(live: NonNullable<AnyView['live']>, family: IPFamily): Map<string, string[]> {
  return new Map(
    [...live.observed.groups.values()].filter((g) => g.family === family).map((g) => [g.name, g.members]),
  );
}

/** The policies on each device and family that name the traced groups or addresses. */
function policiesFor(ctx: TraceContext, rows: readonly TraceRow[]): TracePolicies[] {
  const out: TracePolicies[] = [];
  const pairs = [...new Set(rows.map((r) => `${r.device}\u0000${r.family}`))].sort();
  for (const pair of pairs) {
    const [device, family] = pair.split('\u0000') as [string, IPFamily];
    const live = ctx.devices.get(device)?.live;
    if (!live) continue;
    const mine = rows.filter((r) => r.device === device && r.family === family);
    const traced = [...new Set(mine.flatMap((r) => [r.group, ...(r.address ? [r.address] : [])]))];
    const groups = new Map(
      [...live.observed.groups.values()].filter((g) => g.family === family).map((g) => [g.name, g.members]),
    );
    out.push({ device, family, policies: policiesUsing(live.policies, family, traced, groups) });
  }
  return out;
}

/** Device views for every device the mappings name (missing ones too), with validated specs. */
export function deviceViews(snapshot: ClusterSnapshot, names: Iterable<string>): DeviceView[] {
  return [...new Set(names)].sort().map((name) => {
    const object = snapshot.devices.find((d) => d.metadata.name === name);
    if (!object) return { name };
    const checked = deviceInput(object);
    return 'input' in checked
      ? { name, object, input: checked.input }
      : { name, object, specProblem: checked.problem };
  });
}

/** Plans per device read live, computed with the operator's desired state and plan. */
/** Plans by viewKey (a device's name, `fortimanagertarget/NAME`). */
export function plansOf(
  snapshot: ClusterSnapshot,
  view: ClusterView,
  devices: readonly AnyView[],
): Map<string, DevicePlan> {
  const inputs = mappingInputs(snapshot.mappings);
  const plans = new Map<string, DevicePlan>();
  for (const d of devices) {
    if (d.input && d.live) plans.set(viewKey(d), devicePlan(d.input, inputs, view, d.live.observed));
  }
  return plans;
}

/** The whole trace of one pod, from facts already read (pure apart from the clock-free inputs). */
export function tracePod(
  snapshot: ClusterSnapshot,
  view: ClusterView,
  devices: readonly AnyView[],
  pod: V1Pod,
): PodTrace {
  const ctx: TraceContext = {
    snapshot,
    view,
    devices: new Map(devices.map((d) => [viewKey(d), d])),
    plans: plansOf(snapshot, view, devices),
  };
  const nsLabels = view.namespace(pod.metadata?.namespace ?? '')?.metadata?.labels;
  const rows = candidateMappings(snapshot.mappings, pod, nsLabels).flatMap((m) => rowsFor(ctx, m, pod));
  const nodeName = pod.spec?.nodeName;
  const node = nodeName ? view.node(nodeName) : undefined;
  return {
    pod: {
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      phase: pod.status?.phase ?? 'Unknown',
      ips: podIps(pod),
      terminating: Boolean(pod.metadata?.deletionTimestamp),
      ...(nodeName ? { node: nodeName } : {}),
    },
    ...(node
      ? {
          node: {
            name: nodeName as string,
            addresses: (node.status?.addresses ?? []).filter(
              (a) => a.type === 'InternalIP' || a.type === 'ExternalIP',
            ),
          },
        }
      : {}),
    rows,
    groups: groupsFor(ctx, rows),
    policies: policiesFor(ctx, rows),
    devices: [...new Set(rows.map((r) => r.device))].sort().map((name) => traceDevice(ctx, name)),
  };
}

function traceDevice(ctx: TraceContext, name: string): TraceDevice {
  const d = ctx.devices.get(name);
  if (!d?.live) {
    const missing =
      d?.kind === 'FortiManagerTarget' ? 'no such FortiManagerTarget' : 'no such FortiGateDevice';
    const error = !d?.object ? missing : (d.specProblem ?? d.error ?? 'not read');
    return { name, read: false, error, ...(d?.next ? { next: d.next } : {}) };
  }
  return { name, read: true, pendingOperations: ctx.plans.get(name)?.plan.ops.length ?? 0 };
}
