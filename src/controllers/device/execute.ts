import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiOSApi } from './fortios-api.js';
import { FortiOSError } from '../../fortigate/errors.js';
import { addressTable, groupTable, type GroupTable } from '../../fortigate/types.js';
import { DEFAULT_MAX_CONCURRENT_REQUESTS } from '../../api/v1alpha1/fortigate-device.js';
import {
  addressKey,
  storedAddressKey,
  groupKey,
  isAddressWrite,
  isGroupOp,
  ObservedGroups,
  PLACEHOLDER,
  type AddressWriteOp,
  type GroupOp,
  sameMembers,
  type DesiredAddress,
  type ObservedDeviceState,
  type ObservedGroup,
  type Plan,
  type PlanOp,
} from '../../domain/model.js';
import { groupComment, hasCurrentMarker, isOwnedBy } from '../../domain/naming.js';
import { inPool, TaskLimit } from '../../runtime/pool.js';
import type { Problem } from '../../domain/problem.js';
import { hostIpOf, observedAddress, observedGroup } from './observe.js';
import { OwnershipReads } from './ownership-reads.js';
import { DEVICE_WIDE_KINDS, REASON_BY_KIND } from './reasons.js';

export interface DeviceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  groupKey?: string;
}

export interface ExecuteResult {
  writes: number;
  reads: number;
  groupProblems: Map<string, Problem>;
  events: DeviceEvent[];
  /** A write failed in a way that means our picture of the device is wrong: re-read before the next plan. */
  stale: boolean;
  /** Addresses a policy or something unknown still uses: not retried until the next full re-read. */
  undeletable: Set<string>;
  /** Deletions left for the next sync (`deferLateDeletes`): the caller must sync again soon. */
  deferredDeletes: number;
  /** When each group write the device accepted was acknowledged (clock of `now`), by group key. */
  groupsWrittenAt: Map<string, number>;
}

/** How a group a policy pins is remembered in `ExecuteResult.undeletable` (addresses use family/name). */
export function undeletableGroupKey(family: IPFamily, name: string): string {
  return `group:${family}/${name}`;
}

export interface ExecuteOptions {
  clusterName: string;
  /** Requests in flight at once within a phase (default: the CRD's default). */
  concurrency?: number;
  /**
   * Delete addresses that no group holds alongside the creates, and leave the ones this plan's group
   * writes release to the next sync instead of waiting a third round trip for them: a sync then costs
   * two round trips, so the changes queued behind it reach the device sooner. Security is unaffected
   * (the member leaves its group in this sync); only the unused object lingers until the next one.
   */
  deferLateDeletes?: boolean;
  /** The clock of `groupsWrittenAt` (default `Date.now`). */
  now?: () => number;
}

function problemOf(err: unknown, what: string): Problem {
  if (err instanceof FortiOSError)
    return { reason: REASON_BY_KIND[err.kind], message: `${what}: ${err.message}` };
  return { reason: 'DeviceError', message: `${what}: ${String(err)}` };
}

/** Device-wide failures end the whole run; the caller reports them on the device. */
function rethrowIfDeviceWide(err: unknown): void {
  if (err instanceof FortiOSError && DEVICE_WIDE_KINDS.has(err.kind)) throw err;
}

function addressBody(
  a: DesiredAddress,
): { name: string; type: string; comment: string } & Record<string, string> {
  return a.family === 'IPv4'
    ? { name: a.name, type: 'ipmask', subnet: `${a.ip} 255.255.255.255`, comment: a.comment }
    : { name: a.name, type: 'ipprefix', ip6: `${a.ip}/128`, comment: a.comment };
}

/** What every step of one plan's execution shares. */
interface Run {
  client: FortiOSApi;
  /** Kept equal to what the device holds after each write. */
  observed: ObservedDeviceState;
  clusterName: string;
  result: ExecuteResult;
  /** Addresses whose write failed: kept out of every group write. */
  failedAddresses: Map<string, Problem>;
  /** Addresses a failed group write may still hold: not deleted. */
  keepAddresses: Set<string>;
  now: () => number;
}

/** A group's members as fortisync wants them. */
interface GroupWrite {
  family: IPFamily;
  name: string;
  members: string[];
  /** A new comment (releasing a group fortisync created); undefined leaves the comment alone. */
  comment?: string;
  /** The group as just read from the device: no read before the write. */
  fresh?: ObservedGroup;
}

/**
 * Performs a plan: address writes and early deletions first, each group write as soon as its own
 * members' addresses are written, and the late deletions last (none with `deferLateDeletes`), with
 * at most `concurrency` writes in flight. Keeps `observed` equal to what the device now holds, so
 * the next plan needs no re-read.
 * A failed address keeps its name out of every group write; a failed group write keeps its members'
 * addresses from being deleted.
 */
export async function executePlan(
  client: FortiOSApi,
  p: Plan,
  observed: ObservedDeviceState,
  opts: ExecuteOptions,
): Promise<ExecuteResult> {
  const run: Run = {
    client,
    observed,
    clusterName: opts.clusterName,
    result: {
      writes: 0,
      reads: 0,
      groupProblems: new Map(p.problems),
      events: [],
      stale: false,
      undeletable: new Set(),
      deferredDeletes: 0,
      groupsWrittenAt: new Map(),
    },
    failedAddresses: new Map(),
    keepAddresses: new Set(),
    now: opts.now ?? Date.now,
  };
  const concurrency = opts.concurrency ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
  const addressOps = p.ops.filter(isAddressWrite);
  const groupOps = p.ops.filter(isGroupOp);
  const deleteOps = p.ops.filter((o): o is DeleteAddressOp => o.op === 'deleteAddress');
  // Early only when no group can hold the address: none we know of names it, and the plan creates
  // no group (a create may meet an existing group, e.g. one we lost track of after a failure).
  const held =
    opts.deferLateDeletes && !groupOps.some((o) => o.op === 'createGroup')
      ? referencedAmong(observed, deleteOps)
      : undefined;
  const earlyDeletes = held ? deleteOps.filter((o) => !held.has(addressKey(o.family, o.name))) : [];
  const lateDeletes = opts.deferLateDeletes ? [] : deleteOps;
  if (opts.deferLateDeletes) run.result.deferredDeletes = deleteOps.length - earlyDeletes.length;

  // One ownership read per batch of deletions, per phase: a read never serves a later phase.
  const countRead = (): void => {
    run.result.reads++;
  };
  const earlyReads = new OwnershipReads(client, earlyDeletes, countRead, concurrency);
  const limit = new TaskLimit(concurrency);
  const addressWrites = new Map<string, Promise<void>>();
  for (const op of addressOps)
    addressWrites.set(
      addressKey(op.address.family, op.address.name),
      limit.run(() => writeAddressOrRecord(run, op)),
    );
  const early = earlyDeletes.map((op) => limit.run(() => deleteAddress(run, op, earlyReads)));
  // A group write waits for the writes of its own members' addresses only, not for the whole
  // address phase: a sync whose deletions read before they delete still costs two round trips.
  const groups = groupOps.map(async (op) => {
    await Promise.all(memberWrites(op, addressWrites));
    await limit.run(() => writeGroupOrRecord(run, op));
  });
  await Promise.all([...addressWrites.values(), ...early, ...groups]);
  limit.rethrow();
  const lateReads = new OwnershipReads(client, lateDeletes, countRead, concurrency);
  await inPool(lateDeletes, concurrency, (op) => deleteAddress(run, op, lateReads));
  return run.result;
}

type DeleteAddressOp = Extract<PlanOp, { op: 'deleteAddress' }>;

/**
 * The address writes of this plan a group write must see finished: its members' (which of them
 * failed, and which are ours, is known only then). Deleting a group names no address.
 */
function memberWrites(op: GroupOp, addressWrites: ReadonlyMap<string, Promise<void>>): Promise<void>[] {
  if (op.op === 'deleteGroup' || addressWrites.size === 0) return [];
  const writes: Promise<void>[] = [];
  for (const m of op.members) {
    const write = addressWrites.get(addressKey(op.family, m));
    if (write) writes.push(write);
  }
  return writes;
}

async function writeAddressOrRecord(run: Run, op: AddressWriteOp): Promise<void> {
  try {
    await writeAddress(run, op);
  } catch (err) {
    rethrowIfDeviceWide(err);
    run.failedAddresses.set(
      addressKey(op.address.family, op.address.name),
      problemOf(err, `address ${op.address.name}`),
    );
  }
}

async function writeGroupOrRecord(run: Run, op: GroupOp): Promise<void> {
  const gk = groupKey(op.family, op.name);
  try {
    if (op.op === 'deleteGroup') await deleteGroup(run, op.family, op.name);
    else await writeMembers(run, op, gk);
    run.result.groupsWrittenAt.set(gk, run.now());
  } catch (err) {
    rethrowIfDeviceWide(err);
    if (err instanceof FortiOSError && err.kind === 'bad-reference') run.result.stale = true;
    run.result.groupProblems.set(gk, problemOf(err, `group ${op.name}`));
    // The group may still hold the addresses this write meant to remove: they must not be deleted.
    for (const m of 'removed' in op ? op.removed : []) run.keepAddresses.add(addressKey(op.family, m));
  }
}

/** Creates the group or sets its members, without the addresses whose writes failed. */
async function writeMembers(
  run: Run,
  op: Exclude<GroupOp, { op: 'deleteGroup' }>,
  gk: string,
): Promise<void> {
  const failed = (m: string): Problem | undefined => run.failedAddresses.get(addressKey(op.family, m));
  const firstFailure = op.members.map(failed).find((f) => f !== undefined);
  if (firstFailure) run.result.groupProblems.set(gk, firstFailure);
  let members = op.members.filter((m) => !failed(m));
  if (members.length === 0) members = [PLACEHOLDER];
  const write = { family: op.family, name: op.name, members };
  if (op.op === 'createGroup') await createGroup(run, write);
  else await setMembers(run, { ...write, ...(op.comment !== undefined ? { comment: op.comment } : {}) });
}

/**
 * Of these deletions, the address keys some group on the device (ours or not) names as a member, as
 * last seen. Asked on every sync: the device's groups count their members (ObservedGroups), else
 * one pass over them builds nothing per member; nothing at all without deletions.
 */
function referencedAmong(observed: ObservedDeviceState, deletes: readonly DeleteAddressOp[]): Set<string> {
  const held = new Set<string>();
  if (deletes.length === 0) return held;
  const { groups } = observed;
  if (groups instanceof ObservedGroups) {
    for (const op of deletes) if (groups.holds(op.family, op.name)) held.add(addressKey(op.family, op.name));
    return held;
  }
  const names = new Map<IPFamily, Set<string>>();
  for (const op of deletes) {
    let set = names.get(op.family);
    if (!set) names.set(op.family, (set = new Set()));
    set.add(op.name);
  }
  for (const g of groups.values()) {
    const wanted = names.get(g.family);
    if (!wanted) continue;
    for (const m of g.members) if (wanted.has(m)) held.add(addressKey(g.family, m));
  }
  return held;
}

async function deleteAddress(run: Run, op: DeleteAddressOp, reads: OwnershipReads): Promise<void> {
  const { result, observed } = run;
  const key = addressKey(op.family, op.name);
  if (run.keepAddresses.has(key)) return;
  try {
    // Read right before the delete (with its batch): the object must still carry our marker and
    // its own name.
    const current = await reads.current(op.family, op.name);
    if (!current || !isOwnedBy(current.comment, run.clusterName, op.name)) {
      observed.addresses.delete(key);
      return;
    }
    await run.client.delete(addressTable(op.family), op.name);
    result.writes++;
    observed.addresses.delete(key);
  } catch (err) {
    rethrowIfDeviceWide(err);
    if (err instanceof FortiOSError && err.kind === 'not-found') {
      observed.addresses.delete(key);
      return;
    }
    if (err instanceof FortiOSError && err.kind === 'in-use') {
      result.undeletable.add(key);
      result.events.push({
        type: 'Warning',
        reason: 'AddressInUse',
        message: `address ${op.name} is no longer wanted but something fortisync does not manage (a policy?) still uses it; left in place`,
      });
      return;
    }
    result.events.push({
      type: 'Warning',
      reason: 'DeleteFailed',
      message: problemOf(err, `address ${op.name}`).message,
    });
  }
}

async function writeAddress(run: Run, op: AddressWriteOp): Promise<void> {
  const a = op.address;
  const written = (): void => {
    run.observed.addresses.set(storedAddressKey(a.family, a.name), {
      name: a.name,
      family: a.family,
      ip: a.ip,
      comment: a.comment,
    });
  };
  if (op.op === 'updateAddress' && (await updateOwnedAddress(run, a))) return written();
  await createAddress(run, a);
  written();
}

/**
 * Updates an address fortisync owns, after reading it right before the PUT: its comment may have
 * changed since (then it is not ours any more, and stays as it is). False when it is gone.
 */
async function updateOwnedAddress(run: Run, a: DesiredAddress): Promise<boolean> {
  const { client, result } = run;
  const table = addressTable(a.family);
  result.reads++;
  const current = await client.get(table, a.name);
  if (!current) return false;
  if (!isOwnedBy(current.comment, run.clusterName, a.name)) {
    run.observed.addresses.delete(addressKey(a.family, a.name));
    throw new FortiOSError(
      `the address ${a.name} is no longer fortisync's (its comment was changed on the device); left as it is: rename or remove it to let fortisync create its own`,
      { kind: 'exists', method: 'PUT', path: `/api/v2/cmdb/${table}`, mkey: a.name },
    );
  }
  const { name: _name, ...patch } = addressBody(a);
  await client.update(table, a.name, patch);
  result.writes++;
  return true;
}

/** Creates the address; a name already taken is adopted only when the object there is ours. */
async function createAddress(run: Run, a: DesiredAddress): Promise<void> {
  const { client, result } = run;
  const table = addressTable(a.family);
  try {
    await client.create(table, addressBody(a));
    result.writes++;
  } catch (err) {
    if (!(err instanceof FortiOSError && err.kind === 'exists')) throw err;
    // The name is taken: ours from an earlier run we had not seen, or someone else's object.
    result.reads++;
    const existing = await client.get(table, a.name);
    if (!existing || !isOwnedBy(existing.comment, run.clusterName, a.name)) {
      throw new FortiOSError(
        `the name ${a.name} is already taken on the device by an object fortisync does not own (an address, group or VIP); rename or remove it`,
        { kind: 'exists', method: 'POST', path: `/api/v2/cmdb/${table}`, mkey: a.name },
      );
    }
    const current = observedAddress(existing, a.family);
    if (hostIpOf(existing, a.family) !== a.ip || current.comment !== a.comment) {
      const { name: _name, ...patch } = addressBody(a);
      await client.update(table, a.name, patch);
      result.writes++;
    }
  }
}

async function createGroup(run: Run, w: GroupWrite): Promise<void> {
  const { client, result, observed } = run;
  const table = groupTable(w.family);
  const key = groupKey(w.family, w.name);
  const comment = groupComment(run.clusterName, w.name);
  try {
    await client.create(table, { name: w.name, member: w.members.map((m) => ({ name: m })), comment });
    result.writes++;
    observed.groups.set(key, { name: w.name, family: w.family, members: w.members, comment });
    result.events.push({
      type: 'Normal',
      reason: 'GroupCreated',
      message: `created address group ${w.name}`,
      groupKey: key,
    });
  } catch (err) {
    if (!(err instanceof FortiOSError && err.kind === 'exists')) throw err;
    result.reads++;
    const existing = await client.get(table, w.name);
    if (!existing) {
      throw new FortiOSError(
        `cannot create group ${w.name}: an address or VIP of that name exists (FortiOS shares one namespace); choose another group name`,
        { kind: 'exists', method: 'POST', path: `/api/v2/cmdb/${table}`, mkey: w.name },
      );
    }
    const fresh = observedGroup(existing, w.family);
    observed.groups.set(key, fresh);
    if (!isOwnedBy(fresh.comment, run.clusterName, w.name)) {
      // Someone else's group appeared since the last read: whether we may add to it is the next
      // plan's question (spec.access.existingGroups), asked after a full re-read; nothing is written now.
      run.result.stale = true;
      throw new FortiOSError(
        `group ${w.name} appeared on the device meanwhile and fortisync did not create it; re-reading before writing into it`,
        { kind: 'exists', method: 'POST', path: `/api/v2/cmdb/${table}`, mkey: w.name },
      );
    }
    // Another sync of ours created it meanwhile: merge, keeping every member we do not own.
    await setMembers(run, { family: w.family, name: w.name, members: w.members, fresh });
  }
}

/** Sets the members fortisync owns in a group, keeping every member it does not own. */
async function setMembers(run: Run, w: GroupWrite): Promise<void> {
  const ours = (m: string): boolean => run.observed.addresses.has(addressKey(w.family, m));
  const mine = [...new Set(w.members.filter((m) => m !== PLACEHOLDER && ours(m)))];
  if (!w.fresh && w.comment === undefined && (await changeOneMember(run, w, mine, ours))) return;
  await putMembers(run, w, mine, ours);
}

/**
 * The common change — one member in or out, `none` untouched — goes through the member endpoint:
 * one write, no read, and nothing another writer did to the group meanwhile can be lost. Answers
 * false when the change is not of that kind, or the group turned out not to be what we thought.
 */
async function changeOneMember(
  run: Run,
  w: GroupWrite,
  mine: string[],
  ours: (m: string) => boolean,
): Promise<boolean> {
  const key = groupKey(w.family, w.name);
  const cached = run.observed.groups.get(key);
  const single = cached && singleChange(cached, mine, ours);
  if (!cached || !single) return false;
  const table = groupTable(w.family);
  try {
    let next: string[];
    if (single.add) {
      await addMember(run, table, w.name, single.add);
      next = [...cached.members, single.add];
    } else {
      const placeholderAdded = await removeMember(run, table, w.name, single.remove as string);
      next = cached.members.filter((m) => m !== single.remove);
      if (placeholderAdded) next.push(PLACEHOLDER);
    }
    run.observed.groups.set(key, { ...cached, members: next });
    return true;
  } catch (err) {
    run.observed.groups.delete(key);
    // The device's group is not what we thought (gone, or that was its last member): read it.
    if (!(err instanceof FortiOSError && (err.kind === 'not-found' || err.kind === 'invalid'))) {
      run.result.stale = true; // the group is still there, in a state we do not know: re-read it
      throw err;
    }
    return false;
  }
}

/**
 * One PUT of the whole member list. Our picture may be old (another cluster or the firewall admin
 * may have changed the group), so read it first and keep every member we do not own exactly as
 * the device holds it now.
 */
async function putMembers(
  run: Run,
  w: GroupWrite,
  mine: string[],
  ours: (m: string) => boolean,
): Promise<void> {
  const { client, result, observed } = run;
  const table = groupTable(w.family);
  const key = groupKey(w.family, w.name);
  let current = w.fresh;
  if (!current) {
    result.reads++;
    // expectExists: FortiOS may briefly answer 404 for an entry created moments ago.
    const entry = await client.get(table, w.name, { expectExists: observed.groups.has(key) });
    if (!entry) {
      observed.groups.delete(key);
      if (w.comment !== undefined) return; // releasing a group that is gone: nothing to do
      // Deleted by hand since we last looked: create it again.
      return createGroup(run, w);
    }
    current = observedGroup(entry, w.family);
  }
  const foreign = current.members.filter((m) => m !== PLACEHOLDER && !ours(m));
  const next = foreign.length === 0 && mine.length === 0 ? [PLACEHOLDER] : [...foreign, ...mine];
  // A comment is only rewritten on a group that is still ours on this fresh read: a release, or a
  // comment of an earlier build (no group name in it) upgraded with a write that happens anyway.
  const groupIsOurs = isOwnedBy(current.comment, run.clusterName, w.name);
  const upgraded = groupIsOurs && !hasCurrentMarker(current.comment, run.clusterName, w.name);
  const comment = w.comment ?? (upgraded ? groupComment(run.clusterName, w.name) : undefined);
  const commentChanges = comment !== undefined && comment !== current.comment && groupIsOurs;
  if (sameMembers(next, current.members) && !(commentChanges && w.comment !== undefined)) {
    observed.groups.set(key, current);
    return;
  }
  try {
    await client.update(table, w.name, {
      member: next.map((m) => ({ name: m })),
      ...(commentChanges ? { comment } : {}),
    });
    result.writes++;
    observed.groups.set(key, {
      name: w.name,
      family: w.family,
      members: next,
      comment: commentChanges ? comment : current.comment,
    });
  } catch (err) {
    observed.groups.delete(key);
    if (err instanceof FortiOSError && err.kind === 'not-found' && w.comment === undefined) {
      // Deleted by hand since we last looked: create it again.
      return createGroup(run, w);
    }
    // The group is still on the device, in a state we do not know. Forgetting it alone would also
    // forget to delete it if no mapping wants it by the next sync: that sync re-reads the device.
    result.stale = true;
    throw err;
  }
}

/**
 * When the group differs from what we want by exactly one member of ours, and `none` needs no
 * change, that member; otherwise undefined.
 */
function singleChange(
  cached: ObservedGroup,
  mine: string[],
  ours: (m: string) => boolean,
): { add?: string; remove?: string } | undefined {
  const have = new Set(cached.members);
  const want = new Set(mine);
  const toAdd = mine.filter((m) => !have.has(m));
  const toRemove = cached.members.filter((m) => m !== PLACEHOLDER && ours(m) && !want.has(m));
  if (toAdd.length + toRemove.length !== 1) return undefined;
  const realAfter =
    cached.members.filter((m) => m !== PLACEHOLDER && m !== toRemove[0]).length + toAdd.length;
  const placeholderNeeded = realAfter === 0;
  if (placeholderNeeded !== have.has(PLACEHOLDER)) return undefined;
  return toAdd.length ? { add: toAdd[0] as string } : { remove: toRemove[0] as string };
}

async function addMember(run: Run, table: GroupTable, group: string, member: string): Promise<void> {
  try {
    await run.client.addMember(table, group, member);
    run.result.writes++;
  } catch (err) {
    if (err instanceof FortiOSError && err.kind === 'exists') return; // already there
    throw err;
  }
}

/** Removes one member; a member already gone is fine; the last one is swapped for `none`. */
async function removeMember(run: Run, table: GroupTable, group: string, member: string): Promise<boolean> {
  try {
    await run.client.removeMember(table, group, member);
    run.result.writes++;
    return false;
  } catch (err) {
    if (!(err instanceof FortiOSError)) throw err;
    if (err.kind === 'not-found') return false;
    if (err.kind === 'invalid' && err.fortiosCode === -56) {
      // The last member (someone else emptied the rest meanwhile): `none` goes in first.
      await addMember(run, table, group, PLACEHOLDER);
      await run.client.removeMember(table, group, member);
      run.result.writes++;
      return true;
    }
    throw err;
  }
}

async function deleteGroup(run: Run, family: IPFamily, name: string): Promise<void> {
  const { client, result, observed } = run;
  const table = groupTable(family);
  const key = groupKey(family, name);
  // Re-read first: another cluster or the admin may have put members in it since we last looked;
  // then it is not ours to delete, only ours to leave.
  result.reads++;
  const entry = await client.get(table, name, { expectExists: true });
  if (!entry) {
    observed.groups.delete(key);
    return;
  }
  const fresh = observedGroup(entry, family);
  // Not ours after all (the comment changed since we read it), or someone else's members joined:
  // only our members leave.
  const foreignMembers = fresh.members.some(
    (m) => m !== PLACEHOLDER && !observed.addresses.has(addressKey(family, m)),
  );
  if (!isOwnedBy(fresh.comment, run.clusterName, name) || foreignMembers) {
    observed.groups.set(key, fresh);
    await setMembers(run, { family, name, members: [], fresh });
    return;
  }
  try {
    await client.delete(table, name);
    result.writes++;
    observed.groups.delete(key);
    result.events.push({
      type: 'Normal',
      reason: 'GroupDeleted',
      message: `deleted address group ${name}: nothing uses it any more`,
    });
  } catch (err) {
    if (err instanceof FortiOSError && err.kind === 'not-found') {
      observed.groups.delete(key);
      return;
    }
    if (!(err instanceof FortiOSError && err.kind === 'in-use')) throw err;
    await keepGroupInUse(run, family, name);
  }
}

/** A policy still uses a group no mapping feeds: keep it, empty of our members (fail closed). */
async function keepGroupInUse(run: Run, family: IPFamily, name: string): Promise<void> {
  // Not retried on every sync (a refused DELETE each time): only after the next full read.
  run.result.undeletable.add(undeletableGroupKey(family, name));
  await setMembers(run, { family, name, members: [] });
  const users = await policiesUsing(run.client, name, family).catch(() => [] as string[]);
  run.result.reads++;
  run.result.events.push({
    type: 'Warning',
    reason: 'GroupInUse',
    message: `address group ${name} is no longer fed by any mapping but is still used by ${users.length ? users.join(', ') : 'another object'}; left holding '${PLACEHOLDER}' (delete the reference to let fortisync remove it)`,
  });
}

/** Policies (by id and name) whose source or destination names the group. */
export async function policiesUsing(client: FortiOSApi, group: string, family: IPFamily): Promise<string[]> {
  const fields = family === 'IPv4' ? (['srcaddr', 'dstaddr'] as const) : (['srcaddr6', 'dstaddr6'] as const);
  const policies = await client.list('firewall/policy', { format: ['policyid', 'name', ...fields] });
  return policies
    .filter((pol) => fields.some((f) => (pol[f] ?? []).some((m) => m.name === group)))
    .map((pol) => `policy ${pol.policyid}${pol.name ? ` (${pol.name})` : ''}`);
}
