import type { FortiGateDevice } from '../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping, IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';

/** One sample of a gauge: its labels and value. */
export interface Sample<L extends string> {
  labels: Record<L, string>;
  value: number;
}

interface ConditionLike {
  type: string;
  status: string;
  reason?: string;
}

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/**
 * The condition types exported. A closed list: conditions someone else adds to the object
 * (another controller, a hand edit) are not turned into series.
 */
export const EXPORTED_CONDITIONS = [
  'Ready',
  'Reconciling',
  'Stalled',
  'Synced',
  'Connected',
  'InsecureTLS',
  'InsecureTransport',
  // FortiManagerTarget: where the ADOM's changes stand on the way to the FortiGates.
  'Installed',
] as const;

/** Reasons are CamelCase words from the operator's fixed vocabulary; anything else is "Other". */
const REASON = /^[A-Z][A-Za-z]{0,63}$/;

const EXPORTED = new Set<string>(EXPORTED_CONDITIONS);

/** The exported conditions, the first of each type only: a hand-edited status may repeat one. */
function conditionsOf(obj: { status?: { conditions?: ConditionLike[] } }): ConditionLike[] {
  const seen = new Set<string>();
  return (obj.status?.conditions ?? []).filter((c) => {
    if (!EXPORTED.has(c.type) || seen.has(c.type)) return false;
    seen.add(c.type);
    return true;
  });
}

/** cert-manager's `_ready_status` shape: one series per possible status, 1 for the current one. */
export function readySamples<L extends string>(
  obj: { status?: { conditions?: ConditionLike[] } },
  labels: Record<L, string>,
): Sample<L | 'status'>[] {
  const ready = conditionsOf(obj).find((c) => c.type === 'Ready');
  const current = ready?.status ?? 'Unknown';
  return CONDITION_STATUSES.map((status) => ({
    labels: { ...labels, status },
    value: status === current ? 1 : 0,
  }));
}

/** kube-state-metrics' `_status_condition` shape, with the reason: one series per condition present. */
export function conditionSamples<L extends string>(
  obj: { status?: { conditions?: ConditionLike[] } },
  labels: Record<L, string>,
): Sample<L | 'condition' | 'status' | 'reason'>[] {
  return conditionsOf(obj).map((c) => ({
    labels: {
      ...labels,
      condition: c.type,
      status: c.status,
      reason: c.reason && REASON.test(c.reason) ? c.reason : 'Other',
    },
    value: 1,
  }));
}

/** Seconds since the epoch of an RFC 3339 time, or undefined. */
export function epochSeconds(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

export type MappingLabel = 'namespace' | 'mapping';
export type DeviceLabel = 'device';

export const mappingLabels = (m: FortiGateEndpointMapping): Record<MappingLabel, string> => ({
  namespace: m.metadata.namespace ?? '',
  mapping: m.metadata.name,
});

export const deviceLabels = (d: FortiGateDevice): Record<DeviceLabel, string> => ({
  device: d.metadata.name,
});

/** A group fortisync writes on a device, as the leader last saw it. */
export interface GroupState {
  device: string;
  family: IPFamily;
  group: string;
  /** Whether the last sync left the group with exactly its desired members. */
  inSync: boolean;
  /** Members fortisync put there (addresses it owns) and members it did not (kept as they are). */
  ownMembers: number;
  otherMembers: number;
}

export type GroupLabel = 'device' | 'family' | 'group';

export function groupMemberSamples(g: GroupState): Sample<GroupLabel | 'owner'>[] {
  const labels = { device: g.device, family: g.family, group: g.group };
  return [
    { labels: { ...labels, owner: 'fortisync' }, value: g.ownMembers },
    { labels: { ...labels, owner: 'other' }, value: g.otherMembers },
  ];
}
