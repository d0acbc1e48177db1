import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { policiesUsing } from '../../inspect/policies.js';
import { addressKey } from '../../domain/model.js';
import type { ClusterSnapshot } from './cluster.js';
import { canonicalIp, familyOfIp } from './domain-adapter.js';
import type { DeviceView } from './live-devices.js';
import type { DevicePlan } from './domain-adapter.js';
import type { TraceDevice, TracePolicies } from './trace.js';

/** An address object of this cluster holding the traced IP on one device. */
export interface IpObject {
  device: string;
  family: IPFamily;
  address: string;
  groups: string[];
  /** Some mapping still wants it; false: left behind (an orphan the operator deletes on its next sync). */
  wanted: boolean;
}

/** `trace ip` when the IP is no single pod's: the node it belongs to and the objects holding it. */
export interface IpTrace {
  ip: string;
  pods: string[];
  node?: string;
  objects: IpObject[];
  policies: TracePolicies[];
  devices: TraceDevice[];
}

/** Pods holding the IP; host-network pods share their node's IP and stand for the node, not themselves. */
export function podsWithIp(snapshot: ClusterSnapshot, ip: string): { own: string[]; hostNetwork: string[] } {
  const want = canonicalIp(ip);
  const own: string[] = [];
  const hostNetwork: string[] = [];
  for (const p of snapshot.pods) {
    const ips = (p.status?.podIPs ?? []).map((x) => x.ip ?? '').concat(p.status?.podIP ?? []);
    if (!ips.some((i) => i && canonicalIp(i) === want)) continue;
    (p.spec?.hostNetwork ? hostNetwork : own).push(
      `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`,
    );
  }
  return { own: own.sort(), hostNetwork: hostNetwork.sort() };
}

export function nodeWithIp(snapshot: ClusterSnapshot, ip: string): string | undefined {
  const want = canonicalIp(ip);
  return snapshot.nodes.find((n) => (n.status?.addresses ?? []).some((a) => canonicalIp(a.address) === want))
    ?.metadata?.name;
}

export function traceIp(
  snapshot: ClusterSnapshot,
  devices: readonly DeviceView[],
  plans: ReadonlyMap<string, DevicePlan>,
  ip: string,
): IpTrace {
  const want = canonicalIp(ip);
  const family = familyOfIp(want);
  const objects: IpObject[] = [];
  const policies: TracePolicies[] = [];
  for (const d of devices) {
    if (!d.live) continue;
    const groups = new Map(
      [...d.live.observed.groups.values()].filter((g) => g.family === family).map((g) => [g.name, g.members]),
    );
    const mine = [...d.live.observed.addresses.values()].filter((a) => a.family === family && a.ip === want);
    for (const a of mine) {
      objects.push({
        device: d.name,
        family,
        address: a.name,
        groups: [...groups]
          .filter(([, members]) => members.includes(a.name))
          .map(([g]) => g)
          .sort(),
        wanted: plans.get(d.name)?.desired.addresses.has(addressKey(family, a.name)) ?? false,
      });
    }
    if (mine.length > 0)
      policies.push({
        device: d.name,
        family,
        policies: policiesUsing(
          d.live.policies,
          family,
          mine.map((a) => a.name),
          groups,
        ),
      });
  }
  const node = nodeWithIp(snapshot, want);
  return {
    ip: want,
    pods: podsWithIp(snapshot, want).hostNetwork,
    ...(node ? { node } : {}),
    objects,
    policies,
    devices: devices.map((d) =>
      d.live
        ? { name: d.name, read: true, pendingOperations: plans.get(d.name)?.plan.ops.length ?? 0 }
        : {
            name: d.name,
            read: false,
            error: d.specProblem ?? d.error ?? 'not read',
            ...(d.next ? { next: d.next } : {}),
          },
    ),
  };
}
