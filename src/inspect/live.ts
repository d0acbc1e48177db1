import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { addressKey, groupKey, type ObservedDeviceState } from '../domain/model.js';
import type { LiveMembership } from './why-not.js';

/** What the observed device state says about one address in one group. */
export function liveMembership(
  observed: ObservedDeviceState,
  family: IPFamily,
  group: string,
  address: string | undefined,
): Extract<LiveMembership, { read: true }> {
  const g = observed.groups.get(groupKey(family, group));
  const a = address === undefined ? undefined : observed.addresses.get(addressKey(family, address));
  return {
    read: true,
    groupExists: g !== undefined,
    member: address !== undefined && (g?.members.includes(address) ?? false),
    ...(a?.ip !== undefined ? { addressIp: a.ip } : {}),
  };
}
