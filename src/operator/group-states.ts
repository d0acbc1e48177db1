import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { DeviceSessions } from '../controllers/device/sync-state.js';
import { addressKey } from '../domain/model.js';
import type { GroupState } from './status-series.js';

/** FortiOS's placeholder member of a group that would otherwise be empty. */
const PLACEHOLDER = 'none';

/**
 * The groups each device session writes, with the members the device held at the last read or
 * write. Read at scrape time; sessions exist on the leader only.
 */
export function* groupStates(sessions: DeviceSessions): Iterable<GroupState> {
  for (const device of sessions.names()) {
    const session = sessions.get(device);
    if (!session) continue;
    for (const [key, sync] of session.groups) {
      const slash = key.indexOf('/');
      const family = key.slice(0, slash) as IPFamily;
      const group = key.slice(slash + 1);
      const members = (session.observed?.groups.get(key)?.members ?? []).filter((m) => m !== PLACEHOLDER);
      const own = members.filter((m) => session.observed?.addresses.has(addressKey(family, m))).length;
      yield { device, family, group, inSync: sync.ok, ownMembers: own, otherMembers: members.length - own };
    }
  }
}
