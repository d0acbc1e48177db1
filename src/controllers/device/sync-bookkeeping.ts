import type { TargetKind } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { targetsOfMapping, type MappingInput } from '../../domain/desired.js';
import { groupKey, type DesiredDeviceState } from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';
import { GroupSyncStates, type DeviceSession } from './sync-state.js';

/**
 * The mappings a sync's bookkeeping looks at (issue 19). After a full computation, every cached
 * mapping (`complete`: a key not among them is gone). After an incremental one, only those whose
 * part may have changed since the last sync — the changed ones and the claimants of the groups they
 * feed, as the planner recomputed them; nothing else about any other mapping can have changed, so
 * what the session holds about it stays true. `undefined`: the key is no longer cached.
 */
export interface MappingScope {
  complete: boolean;
  entries: readonly (readonly [key: string, input: MappingInput | undefined])[];
}

/** Every cached mapping. */
export function allMappings(mappings: readonly MappingInput[]): MappingScope {
  return { complete: true, entries: mappings.map((m) => [m.key, m] as const) };
}

/** These keys only, as `input` finds them in the cache now. */
export function changedMappings(
  keys: Iterable<string>,
  input: (key: string) => MappingInput | undefined,
): MappingScope {
  return { complete: false, entries: [...keys].map((k) => [k, input(k)] as const) };
}

/** Live mappings' contributions are remembered; frozen ones keep theirs; gone mappings are forgotten. */
export function rememberContributions(
  session: DeviceSession,
  desired: DesiredDeviceState,
  scope: MappingScope,
): void {
  const { contributions } = session;
  const present = new Set<string>();
  for (const [key, m] of scope.entries) {
    const live = desired.live?.get(key);
    if (live) contributions.set(key, live);
    if (m && !m.deleting && !desired.refused?.has(key)) present.add(key);
    else contributions.delete(key);
  }
  if (!scope.complete) return;
  for (const key of contributions.keys()) if (!present.has(key)) contributions.delete(key);
}

/** Deleting mappings whose groups were written without a problem have left this device. */
export function recordReleased(
  session: DeviceSession,
  target: { name: string; kind?: TargetKind },
  scope: MappingScope,
  groupProblems: ReadonlyMap<string, Problem>,
  /** The unreleased mappings the sync's plan looked at (default: all; later failures add others). */
  covered?: ReadonlySet<string>,
): void {
  const earlier = [...session.unreleased].filter(([key]) => !covered || covered.has(key));
  const candidates = new Map<string, MappingInput | undefined>(scope.complete ? [] : earlier);
  for (const [key, m] of scope.entries) candidates.set(key, m);
  if (scope.complete) session.unreleased.clear();
  for (const [key, m] of candidates) {
    if (!m?.deleting || !m.uid) {
      session.unreleased.delete(key);
      continue;
    }
    // A group of the same name here is not its own when it does not target this device.
    const targeting = targetsOfMapping(m.spec, target.kind).includes(target.name);
    if (targeting && m.spec.ipFamilies.some((f) => groupProblems.has(groupKey(f, m.spec.addressGroup)))) {
      session.unreleased.set(key, m);
    } else {
      session.released.add(m.uid);
      session.unreleased.delete(key);
    }
  }
}

/**
 * Remembers which generation of each mapping targeting this device the sync has just applied, and
 * returns the keys of the mappings whose generation advanced: their status may now say so.
 */
export function recordSeenGenerations(
  session: DeviceSession,
  target: { name: string; kind?: TargetKind },
  scope: MappingScope,
): Set<string> {
  const { seenGenerations, seenUids } = session;
  const advanced = new Set<string>();
  const present = new Set<string>();
  for (const [key, m] of scope.entries) {
    const before = seenUids.get(key);
    const uid = m?.uid;
    const generation = m?.generation;
    const targeting =
      m !== undefined &&
      uid !== undefined &&
      generation !== undefined &&
      targetsOfMapping(m.spec, target.kind).includes(target.name);
    if (before !== undefined && (!targeting || before !== uid)) {
      seenGenerations.delete(before);
      seenUids.delete(key);
    }
    if (!targeting) continue;
    present.add(uid);
    seenUids.set(key, uid);
    if ((seenGenerations.get(uid) ?? 0) >= generation) continue;
    seenGenerations.set(uid, generation);
    advanced.add(key);
  }
  if (scope.complete) {
    for (const [key, uid] of seenUids) if (!present.has(uid)) seenUids.delete(key);
    for (const uid of seenGenerations.keys()) if (!present.has(uid)) seenGenerations.delete(uid);
  }
  return advanced;
}

/** Each mapping's own problem from this sync; returns the keys whose problem changed. */
export function recordMappingProblems(
  session: DeviceSession,
  desired: DesiredDeviceState,
  planned: ReadonlyMap<string, Problem> | undefined,
): Set<string> {
  const next = new Map([...(desired.refused ?? []), ...(planned ?? [])]);
  const changed = new Set<string>();
  for (const [key, problem] of next) {
    if (session.mappingProblems.get(key)?.message !== problem.message) changed.add(key);
  }
  for (const key of session.mappingProblems.keys()) if (!next.has(key)) changed.add(key);
  session.mappingProblems = next;
  return changed;
}

/** The session's bookkeeping a sync changes, copied (to check a scoped sync against a full one). */
export type Bookkeeping = Pick<
  DeviceSession,
  'contributions' | 'groups' | 'released' | 'unreleased' | 'seenGenerations' | 'seenUids'
>;

export function copyBookkeeping(s: Bookkeeping): Bookkeeping {
  return {
    contributions: new Map(s.contributions),
    groups: new GroupSyncStates([...s.groups]),
    released: new Set(s.released),
    unreleased: new Map(s.unreleased),
    seenGenerations: new Map(s.seenGenerations),
    seenUids: new Map(s.seenUids),
  };
}

/** The differences between two bookkeepings, one line each (none: they agree). */
export function bookkeepingDifferences(got: Bookkeeping, want: Bookkeeping): string[] {
  const sorted = (entries: Iterable<readonly [string, unknown]>): string =>
    JSON.stringify([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const groupShape = (g: Bookkeeping['groups']): string =>
    sorted(
      [...g].map(([k, r]) => [
        k,
        [r.ok, r.problem?.message, r.lastSyncTime, [...(r.plannedOps?.keys() ?? [])]],
      ]),
    );
  const shapes: [string, (b: Bookkeeping) => string][] = [
    ['contributions', (b) => sorted([...b.contributions].map(([k, v]) => [k, v.map((a) => a.name)]))],
    ['groups', (b) => groupShape(b.groups)],
    ['released', (b) => JSON.stringify([...b.released].sort())],
    ['unreleased', (b) => JSON.stringify([...b.unreleased.keys()].sort())],
    ['seenGenerations', (b) => sorted(b.seenGenerations)],
    ['seenUids', (b) => sorted(b.seenUids)],
  ];
  return shapes.flatMap(([what, shape]) => {
    const [g, w] = [shape(got), shape(want)];
    return g === w ? [] : [`${what} ${g} instead of ${w}`];
  });
}

/** What a bookkeeping comparison leaves out: mappings (keys and UIDs) and groups (names). */
export interface BookkeepingExclusion {
  mappings: ReadonlySet<string>;
  uids: ReadonlySet<string>;
  groups: ReadonlySet<string>;
}

/** The bookkeeping without the entries of these mappings and groups (a copy; nothing excluded: itself). */
export function bookkeepingWithout(b: Bookkeeping, x: BookkeepingExclusion): Bookkeeping {
  if (x.mappings.size === 0 && x.uids.size === 0 && x.groups.size === 0) return b;
  const groupName = (key: string): string => key.slice(key.indexOf('/') + 1);
  return {
    contributions: new Map([...b.contributions].filter(([k]) => !x.mappings.has(k))),
    groups: new GroupSyncStates([...b.groups].filter(([k]) => !x.groups.has(groupName(k)))),
    released: new Set([...b.released].filter((uid) => !x.uids.has(uid))),
    unreleased: new Map([...b.unreleased].filter(([k]) => !x.mappings.has(k))),
    seenGenerations: new Map([...b.seenGenerations].filter(([uid]) => !x.uids.has(uid))),
    seenUids: new Map([...b.seenUids].filter(([k]) => !x.mappings.has(k))),
  };
}
