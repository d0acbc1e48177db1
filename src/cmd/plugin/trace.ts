import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateEndpointMapping, IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ClusterView, MappingInput } from '../../domain/desired.js';
import { matchesSelector } from '../../domain/selectors.js';
import { liveMembership } from '../../inspect/live.js';
import { policiesUsing, type PolicyUse } from '../../inspect/policies.js';
import { formatTerms, selectorTerms } from '../../inspect/selector-terms.js';
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
import { byText } from './output.js';

/** One mapping, device and family the pod could feed, and the verdict. */
export interface TraceRow {
  mapping: string;
  device: string;
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
    .sort((a, b) => byText(key(a), key(b)));
}

const key = (m: FortiGateEndpointMapping): string => `${m.metadata.namespace ?? ''}/${m.metadata.name}`;

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
  view: DeviceView,
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
  devices: Map<string, DeviceView>;
  plans: Map<string, DevicePlan>;
}

function liveOf(
  d: DeviceView | undefined,
  family: IPFamily,
  group: string,
  address: string | undefined,
): LiveMembership {
  if (!d?.live) return { read: false, error: d?.error ?? 'not read' };
  return liveMembership(d.live.observed, family, group, address);
}

function rowsFor(ctx: TraceContext, m: FortiGateEndpointMapping, pod: V1Pod): TraceRow[] {
  const input = mappingInputs([m])[0];
  const nsLabels = ctx.view.namespace(pod.metadata?.namespace ?? '')?.metadata?.labels;
  const nodeName = pod.spec?.nodeName;
  const node = nodeName ? ctx.view.node(nodeName) : undefined;
  const terms = selectorTerms(m.spec?.podSelector ?? {}, pod.metadata?.labels);
  const selected = namespaceSelected(m, pod, nsLabels);
  const mode = input?.spec.addressType ?? m.spec?.addressType ?? 'Node';
  const rows: TraceRow[] = [];
  for (const deviceName of m.spec?.devices ?? []) {
    const d = ctx.devices.get(deviceName);
    for (const family of input?.spec.ipFamilies ?? m.spec?.ipFamilies ?? ['IPv4']) {
      const address = addressFor(input, d ?? { name: deviceName }, pod, node, family);
      const group = m.spec?.addressGroup ?? '';
      const specProblem = mappingSpecProblem(m);
      const access = d?.input && input ? accessProblem(d.input, input, ctx.view) : undefined;
      const limit = ctx.plans.get(deviceName)?.plan.problems.get(groupKey(family, group));
      const facts: MembershipFacts = {
        family,
        mode,
        group,
        mapping: {
          key: key(m),
          deleting: Boolean(m.metadata.deletionTimestamp),
          suspend: Boolean(input?.spec.suspend),
          dryRun: Boolean(input?.spec.dryRun),
          ...(specProblem ? { specProblem } : {}),
        },
        device: {
          name: deviceName,
          found: Boolean(d?.object),
          suspend: Boolean(d?.input?.spec.suspend),
          dryRun: Boolean(d?.input?.spec.dryRun),
          ...(d?.specProblem ? { specProblem: d.specProblem } : {}),
        },
        pod: {
          scheduled: Boolean(nodeName),
          terminating: Boolean(pod.metadata?.deletionTimestamp),
          ...(pod.status?.phase ? { phase: pod.status.phase } : {}),
          ...(nodeName ? { node: nodeName } : {}),
        },
        namespace: { selected, how: namespaceHow(m, pod, nsLabels) },
        labels: { matched: terms.every((t) => t.matched), terms },
        nodeFound: node !== undefined,
        ...(address ? { address } : {}),
        ...(access ? { access } : {}),
        ...(limit ? { limit } : {}),
        live: liveOf(d, family, group, address?.name),
      };
      rows.push({
        mapping: key(m),
        device: deviceName,
        family,
        mode,
        group,
        ...(address ? { address: address.name, ip: address.ip } : {}),
        selection: `podSelector ${formatTerms(terms)}; ${namespaceHow(m, pod, nsLabels)}`,
        verdict: membershipVerdict(facts),
      });
    }
  }
  return rows;
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
export function plansOf(
  snapshot: ClusterSnapshot,
  view: ClusterView,
  devices: readonly DeviceView[],
): Map<string, DevicePlan> {
  const inputs = mappingInputs(snapshot.mappings);
  const plans = new Map<string, DevicePlan>();
  for (const d of devices) {
    if (d.input && d.live) plans.set(d.name, devicePlan(d.input, inputs, view, d.live.observed));
  }
  return plans;
}

/** The whole trace of one pod, from facts already read (pure apart from the clock-free inputs). */
export function tracePod(
  snapshot: ClusterSnapshot,
  view: ClusterView,
  devices: readonly DeviceView[],
  pod: V1Pod,
): PodTrace {
  const ctx: TraceContext = {
    snapshot,
    view,
    devices: new Map(devices.map((d) => [d.name, d])),
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
    policies: policiesFor(ctx, rows),
    devices: [...new Set(rows.map((r) => r.device))].sort().map((name) => traceDevice(ctx, name)),
  };
}

function traceDevice(ctx: TraceContext, name: string): TraceDevice {
  const d = ctx.devices.get(name);
  if (!d?.live) {
    const error = !d?.object ? 'no such FortiGateDevice' : (d.specProblem ?? d.error ?? 'not read');
    return { name, read: false, error, ...(d?.next ? { next: d.next } : {}) };
  }
  return { name, read: true, pendingOperations: ctx.plans.get(name)?.plan.ops.length ?? 0 };
}
