import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiOSApi } from './fortios-api.js';
import { parseIPv4Subnet, parseIPv6Prefix } from '../../fortigate/subnet.js';
import {
  addressTable,
  groupTable,
  type FortiAddress,
  type FortiAddress6,
  type FortiAddressGroup,
} from '../../fortigate/types.js';
import {
  groupKey,
  ObservedGroups,
  storedAddressKey,
  type ObservedAddress,
  type ObservedDeviceState,
  type ObservedGroup,
} from '../../domain/model.js';
import { isOwnedBy, ownershipMarker } from '../../domain/naming.js';
import { sharedString } from '../../domain/shared-string.js';

/** Both families: the device is always read whole, whatever families the mappings ask for. */
export const ALL_FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/** The single host address an address object stands for, or undefined for anything wider. */
export function hostIpOf(entry: FortiAddress | FortiAddress6, family: IPFamily): string | undefined {
  if (family === 'IPv4') {
    const subnet = (entry as FortiAddress).subnet;
    if (!subnet) return undefined;
    const parsed = parseIPv4Subnet(subnet);
    return parsed.ok && parsed.prefix === 32 ? parsed.ip : undefined;
  }
  const ip6 = (entry as FortiAddress6).ip6;
  if (!ip6) return undefined;
  const parsed = parseIPv6Prefix(ip6);
  return parsed.ok && parsed.prefix === 128 ? parsed.ip : undefined;
}

/**
 * The observed state is kept until the next full read, beside the desired state that names the same
 * objects: its names, comments and member names are the desired state's strings (sharedString), not
 * copies out of the reply (about 200 bytes an address, issue 19).
 */
export function observedAddress(entry: FortiAddress | FortiAddress6, family: IPFamily): ObservedAddress {
  const ip = hostIpOf(entry, family);
  return {
    name: sharedString(entry.name),
    family,
    ip: ip === undefined ? undefined : sharedString(ip),
    comment: sharedString(entry.comment ?? ''),
  };
}

export function observedGroup(entry: FortiAddressGroup, family: IPFamily): ObservedGroup {
  return {
    name: sharedString(entry.name),
    family,
    members: entry.member.map((m) => sharedString(m.name)),
    comment: sharedString(entry.comment ?? ''),
  };
}

/**
 * Reads what the device holds that concerns us: our own addresses (filtered on the ownership marker
 * in the comment, only the fields needed) and every group (to keep foreign members and to find groups
 * holding our addresses). Two reads per family.
 */
export async function readObservedState(
  client: FortiOSApi,
  clusterName: string,
  families: readonly IPFamily[],
): Promise<ObservedDeviceState> {
  const state: ObservedDeviceState = { addresses: new Map(), groups: new ObservedGroups() };
  const marker = ownershipMarker(clusterName);
  await Promise.all(
    families.map(async (family) => {
      const [addresses, groups] = await Promise.all([
        client.list(addressTable(family), {
          filter: [[{ field: 'comment', op: '=@', value: marker }]],
          format:
            family === 'IPv4' ? ['name', 'type', 'subnet', 'comment'] : ['name', 'type', 'ip6', 'comment'],
        }),
        client.list(groupTable(family), { format: ['name', 'member', 'comment'] }),
      ]);
      for (const a of addresses) {
        // The filter is a substring match: the comment must start with our marker and this name.
        if (!isOwnedBy(a.comment, clusterName, a.name)) continue;
        state.addresses.set(storedAddressKey(family, a.name), observedAddress(a, family));
      }
      for (const g of groups) state.groups.set(groupKey(family, g.name), observedGroup(g, family));
    }),
  );
  return state;
}
