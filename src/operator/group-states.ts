import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { DeviceSession, DeviceSessions } from '../controllers/device/sync-state.js';
import { PLACEHOLDER, type ObservedGroup } from '../domain/model.js';
import type { GroupState } from './status-series.js';

/**
 * The groups each device session writes, with the members the device held at the last read or
 * write. Read at scrape time; sessions exist on the leader only.
 *
 * A scrape reads every member of every group (150,000 at the scale bench's size), so the member
 * counts are computed only when a series asks for them, and against a set of the device's own
 * address names per family built once per pass: looking each member up by a freshly built
 * `family/name` key took most of a 300 ms scrape (bench/metrics-cost.ts).
 */
export function* groupStates(sessions: DeviceSessions): Iterable<GroupState> {
  for (const device of sessions.names()) {
    const session = sessions.get(device);
    if (!session) continue;
    let own: OwnNames | undefined;
    const ownNames = (): OwnNames => (own ??= ownNamesOf(session));
    for (const [key, sync] of session.groups) {
      const slash = key.indexOf('/');
      const family = key.slice(0, slash) as IPFamily;
      const group = key.slice(slash + 1);
      const observed = session.observed?.groups.get(key);
      yield lazyCounts({ device, family, group, inSync: sync.ok }, () =>
        countMembers(observed, ownNames()[family]),
      );
    }
  }
}

type OwnNames = Record<IPFamily, ReadonlySet<string>>;
type MemberCounts = Pick<GroupState, 'ownMembers' | 'otherMembers'>;

/** The names of the addresses the session owns, per family (observed addresses are ours only). */
function ownNamesOf(session: DeviceSession): OwnNames {
  const names: Record<IPFamily, Set<string>> = { IPv4: new Set(), IPv6: new Set() };
  for (const a of session.observed?.addresses.values() ?? []) names[a.family].add(a.name);
  return names;
}

function countMembers(group: ObservedGroup | undefined, own: ReadonlySet<string>): MemberCounts {
  let ownMembers = 0;
  let otherMembers = 0;
  for (const m of group?.members ?? []) {
    if (m === PLACEHOLDER) continue;
    if (own.has(m)) ownMembers++;
    else otherMembers++;
  }
  return { ownMembers, otherMembers };
}

/** A GroupState whose member counts are computed on first read (the in-sync series never reads them). */
function lazyCounts(base: Omit<GroupState, keyof MemberCounts>, count: () => MemberCounts): GroupState {
  let counts: MemberCounts | undefined;
  return {
    ...base,
    get ownMembers() {
      return (counts ??= count()).ownMembers;
    },
    get otherMembers() {
      return (counts ??= count()).otherMembers;
    },
  };
}
