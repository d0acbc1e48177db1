import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiGateClient } from '../../fortigate/client.js';
import { FortiOSError } from '../../fortigate/errors.js';
import { addressTable, groupTable, type GroupTable } from '../../fortigate/types.js';
import {
  addressKey,
  groupKey,
  PLACEHOLDER,
  sameMembers,
  type DesiredAddress,
  type ObservedDeviceState,
  type ObservedGroup,
  type Plan,
  type PlanOp,
} from '../../domain/model.js';
import { groupComment, isOwnedBy } from '../../domain/naming.js';
import type { Problem } from '../../domain/problem.js';
import { hostIpOf, observedAddress, observedGroup } from './observe.js';
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
}

/** How a group a policy pins is remembered in `ExecuteResult.undeletable` (addresses use family/name). */
export function undeletableGroupKey(family: IPFamily, name: string): string {
  return `group:${family}/${name}`;
}

export interface ExecuteOptions {
  clusterName: string;
  concurrency?: number;
  /**
   * Delete addresses that no group holds alongside the creates, and leave the ones this plan's group
   * writes release to the next sync instead of waiting a third round trip for them: a sync then costs
   * two round trips, so the changes queued behind it reach the device sooner. Security is unaffected
   * (the member leaves its group in this sync); only the unused object lingers until the next one.
   */
  deferLateDeletes?: boolean;
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

/** Runs `fn` over `items` with at most `limit` in flight; the first failure is rethrown at the end. */
async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

function addressBody(
  a: DesiredAddress,
): { name: string; type: string; comment: string } & Record<string, string> {
  return a.family === 'IPv4'
    ? { name: a.name, type: 'ipmask', subnet: `${a.ip} 255.255.255.255`, comment: a.comment }
    : { name: a.name, type: 'ipprefix', ip6: `${a.ip}/128`, comment: a.comment };
}

/**
 * Performs a plan in its three phases (addresses, groups, deletions; with `deferLateDeletes`, two),
 * with bounded concurrency within a phase. Keeps `observed` equal to what the device now holds, so
 * the next plan needs no re-read.
 * A failed address keeps its name out of every group write; a failed group write keeps its members'
 * addresses from being deleted.
 */
export async function executePlan(
  client: FortiGateClient,
  p: Plan,
  observed: ObservedDeviceState,
  opts: ExecuteOptions,
): Promise<ExecuteResult> {
  const result: ExecuteResult = {
    writes: 0,
    reads: 0,
    groupProblems: new Map(p.problems),
    events: [],
    stale: false,
    undeletable: new Set(),
    deferredDeletes: 0,
  };
  const concurrency = opts.concurrency ?? 8;
  const failedAddresses = new Map<string, Problem>();
  const keepAddresses = new Set<string>();

  const addressOps = p.ops.filter((o) => o.op === 'createAddress' || o.op === 'updateAddress');
  const groupOps = p.ops.filter(
    (o) => o.op === 'createGroup' || o.op === 'setGroupMembers' || o.op === 'deleteGroup',
  );
  const deleteOps = p.ops.filter((o) => o.op === 'deleteAddress');
  // Early only when no group can hold the address: none we know of names it, and the plan creates
  // no group (a create may meet an existing group, e.g. one we lost track of after a failure).
  const held =
    opts.deferLateDeletes && !groupOps.some((o) => o.op === 'createGroup')
      ? referencedAddresses(observed)
      : undefined;
  const earlyDeletes = held
    ? deleteOps.filter((o) => o.op === 'deleteAddress' && !held.has(addressKey(o.family, o.name)))
    : [];
  const lateDeletes = opts.deferLateDeletes ? [] : deleteOps;
  if (opts.deferLateDeletes) result.deferredDeletes = deleteOps.length - earlyDeletes.length;

  await inPool([...addressOps, ...earlyDeletes], concurrency, async (op) => {
    if (op.op === 'deleteAddress') return deleteAddress(client, op, observed, keepAddresses, result);
    if (op.op !== 'createAddress' && op.op !== 'updateAddress') return;
    const a = op.address;
    const key = addressKey(a.family, a.name);
    try {
      await writeAddress(client, op, observed, opts.clusterName, result);
    } catch (err) {
      rethrowIfDeviceWide(err);
      failedAddresses.set(key, problemOf(err, `address ${a.name}`));
    }
  });

  await inPool(groupOps, concurrency, async (op) => {
    const gk = groupKey(op.family, op.name);
    try {
      if (op.op === 'deleteGroup') {
        await deleteGroup(client, op.family, op.name, opts.clusterName, observed, result);
        return;
      }
      const bad = op.members.filter((m) => failedAddresses.has(addressKey(op.family, m)));
      if (bad.length > 0) {
        result.groupProblems.set(gk, failedAddresses.get(addressKey(op.family, bad[0] as string)) as Problem);
      }
      let members = op.members.filter((m) => !failedAddresses.has(addressKey(op.family, m)));
      if (members.length === 0) members = [PLACEHOLDER];
      const table = groupTable(op.family);
      if (op.op === 'createGroup') {
        await createGroup(client, table, op.family, op.name, members, opts.clusterName, observed, result);
      } else {
        await setMembers(
          client,
          table,
          op.family,
          op.name,
          members,
          op.comment,
          opts.clusterName,
          observed,
          result,
        );
      }
    } catch (err) {
      rethrowIfDeviceWide(err);
      if (err instanceof FortiOSError && err.kind === 'bad-reference') result.stale = true;
      result.groupProblems.set(gk, problemOf(err, `group ${op.name}`));
      // The group may still hold the addresses this write meant to remove: they must not be deleted.
      for (const m of 'removed' in op ? op.removed : []) keepAddresses.add(addressKey(op.family, m));
    }
  });

  await inPool(lateDeletes, concurrency, async (op) => {
    if (op.op === 'deleteAddress') await deleteAddress(client, op, observed, keepAddresses, result);
  });
  return result;
}

/** Address keys some group on the device (ours or not) names as a member, as last seen. */
function referencedAddresses(observed: ObservedDeviceState): Set<string> {
  const held = new Set<string>();
  for (const g of observed.groups.values()) for (const m of g.members) held.add(addressKey(g.family, m));
  return held;
}

async function deleteAddress(
  client: FortiGateClient,
  op: Extract<PlanOp, { op: 'deleteAddress' }>,
  observed: ObservedDeviceState,
  keepAddresses: Set<string>,
  result: ExecuteResult,
): Promise<void> {
  const key = addressKey(op.family, op.name);
  if (keepAddresses.has(key)) return;
  try {
    await client.delete(addressTable(op.family), op.name);
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

async function writeAddress(
  client: FortiGateClient,
  op: Extract<PlanOp, { op: 'createAddress' | 'updateAddress' }>,
  observed: ObservedDeviceState,
  clusterName: string,
  result: ExecuteResult,
): Promise<void> {
  const a = op.address;
  const table = addressTable(a.family);
  const body = addressBody(a);
  const key = addressKey(a.family, a.name);
  if (op.op === 'updateAddress') {
    const { name: _name, ...patch } = body;
    await client.update(table, a.name, patch);
    result.writes++;
    observed.addresses.set(key, { name: a.name, family: a.family, ip: a.ip, comment: a.comment });
    return;
  }
  try {
    await client.create(table, body);
    result.writes++;
    observed.addresses.set(key, { name: a.name, family: a.family, ip: a.ip, comment: a.comment });
  } catch (err) {
    if (!(err instanceof FortiOSError && err.kind === 'exists')) throw err;
    // The name is taken: ours from an earlier run we had not seen, or someone else's object.
    result.reads++;
    const existing = await client.get(table, a.name);
    if (!existing || !isOwnedBy(existing.comment, clusterName)) {
      throw new FortiOSError(
        `the name ${a.name} is already taken on the device by an object fortisync does not own (an address, group or VIP); rename or remove it`,
        { kind: 'exists', method: 'POST', path: `/api/v2/cmdb/${table}`, mkey: a.name },
      );
    }
    const current = observedAddress(existing, a.family);
    if (hostIpOf(existing, a.family) !== a.ip || current.comment !== a.comment) {
      const { name: _name, ...patch } = body;
      await client.update(table, a.name, patch);
      result.writes++;
    }
    observed.addresses.set(key, { name: a.name, family: a.family, ip: a.ip, comment: a.comment });
  }
}

async function createGroup(
  client: FortiGateClient,
  table: GroupTable,
  family: IPFamily,
  name: string,
  members: string[],
  clusterName: string,
  observed: ObservedDeviceState,
  result: ExecuteResult,
): Promise<void> {
  const comment = groupComment(clusterName);
  try {
    await client.create(table, { name, member: members.map((m) => ({ name: m })), comment });
    result.writes++;
    observed.groups.set(groupKey(family, name), { name, family, members, comment });
    result.events.push({
      type: 'Normal',
      reason: 'GroupCreated',
      message: `created address group ${name}`,
      groupKey: groupKey(family, name),
    });
  } catch (err) {
    if (!(err instanceof FortiOSError && err.kind === 'exists')) throw err;
    result.reads++;
    const existing = await client.get(table, name);
    if (!existing) {
      throw new FortiOSError(
        `cannot create group ${name}: an address or VIP of that name exists (FortiOS shares one namespace); choose another group name`,
        { kind: 'exists', method: 'POST', path: `/api/v2/cmdb/${table}`, mkey: name },
      );
    }
    // Someone created it meanwhile: merge, keeping every member we do not own.
    const current = observedGroup(existing, family);
    observed.groups.set(groupKey(family, name), current);
    await setMembers(client, table, family, name, members, undefined, clusterName, observed, result, current);
  }
}

async function setMembers(
  client: FortiGateClient,
  table: GroupTable,
  family: IPFamily,
  name: string,
  members: string[],
  comment: string | undefined,
  clusterName: string,
  observed: ObservedDeviceState,
  result: ExecuteResult,
  fresh?: ObservedGroup,
): Promise<void> {
  const key = groupKey(family, name);
  const ours = (m: string): boolean => observed.addresses.has(addressKey(family, m));
  const mine = [...new Set(members.filter((m) => m !== PLACEHOLDER && ours(m)))];
  const cached = fresh ?? observed.groups.get(key);

  // The common change — one member in or out, `none` untouched — goes through the member endpoint:
  // one write, no read, and nothing another writer did to the group meanwhile can be lost.
  if (!fresh && cached && comment === undefined) {
    const single = singleChange(cached, mine, ours);
    if (single) {
      try {
        let next: string[];
        if (single.add) {
          await addMember(client, table, name, single.add, result);
          next = [...cached.members, single.add];
        } else {
          const placeholderAdded = await removeMember(client, table, name, single.remove as string, result);
          next = cached.members.filter((m) => m !== single.remove);
          if (placeholderAdded) next.push(PLACEHOLDER);
        }
        observed.groups.set(key, { ...cached, members: next });
        return;
      } catch (err) {
        observed.groups.delete(key);
        // The device's group is not what we thought (gone, or that was its last member): read it.
        if (!(err instanceof FortiOSError && (err.kind === 'not-found' || err.kind === 'invalid'))) throw err;
      }
    }
  }

  // Anything larger is one PUT of the whole list. Our picture may be old (another cluster or the
  // firewall admin may have changed the group), so read it first and keep every member we do not own
  // exactly as the device holds it now.
  let current = fresh;
  if (!current) {
    result.reads++;
    // expectExists: FortiOS may briefly answer 404 for an entry created moments ago.
    const entry = await client.get(table, name, { expectExists: observed.groups.has(key) });
    if (!entry) {
      observed.groups.delete(key);
      if (comment !== undefined) return; // releasing a group that is gone: nothing to do
      // Deleted by hand since we last looked: create it again.
      await createGroup(client, table, family, name, members, clusterName, observed, result);
      return;
    }
    current = observedGroup(entry, family);
  }
  const foreign = current.members.filter((m) => m !== PLACEHOLDER && !ours(m));
  const next = foreign.length === 0 && mine.length === 0 ? [PLACEHOLDER] : [...foreign, ...mine];
  const commentChanges = comment !== undefined && comment !== current.comment;
  if (sameMembers(next, current.members) && !commentChanges) {
    observed.groups.set(key, current);
    return;
  }
  try {
    await client.update(table, name, {
      member: next.map((m) => ({ name: m })),
      ...(commentChanges ? { comment } : {}),
    });
    result.writes++;
    observed.groups.set(key, { name, family, members: next, comment: comment ?? current.comment });
  } catch (err) {
    observed.groups.delete(key); // read it again next time
    if (err instanceof FortiOSError && err.kind === 'not-found' && comment === undefined) {
      // Deleted by hand since we last looked: create it again.
      await createGroup(client, table, family, name, members, clusterName, observed, result);
      return;
    }
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

async function addMember(
  client: FortiGateClient,
  table: GroupTable,
  group: string,
  member: string,
  result: ExecuteResult,
): Promise<void> {
  try {
    await client.addMember(table, group, member);
    result.writes++;
  } catch (err) {
    if (err instanceof FortiOSError && err.kind === 'exists') return; // already there
    throw err;
  }
}

/** Removes one member; a member already gone is fine; the last one is swapped for `none`. */
async function removeMember(
  client: FortiGateClient,
  table: GroupTable,
  group: string,
  member: string,
  result: ExecuteResult,
  isPlaceholder = false,
): Promise<boolean> {
  try {
    await client.removeMember(table, group, member);
    result.writes++;
    return false;
  } catch (err) {
    if (!(err instanceof FortiOSError)) throw err;
    if (err.kind === 'not-found') return false;
    if (err.kind === 'invalid' && err.fortiosCode === -56) {
      // The last member (someone else emptied the rest meanwhile): `none` goes in first.
      if (isPlaceholder) return false;
      await addMember(client, table, group, PLACEHOLDER, result);
      await client.removeMember(table, group, member);
      result.writes++;
      return true;
    }
    throw err;
  }
}

async function deleteGroup(
  client: FortiGateClient,
  family: IPFamily,
  name: string,
  clusterName: string,
  observed: ObservedDeviceState,
  result: ExecuteResult,
): Promise<void> {
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
  const current = observedGroup(entry, family);
  if (current.members.some((m) => m !== PLACEHOLDER && !observed.addresses.has(addressKey(family, m)))) {
    await setMembers(client, table, family, name, [], undefined, clusterName, observed, result, current);
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
    // Not retried on every sync (a refused DELETE each time): only after the next full read.
    result.undeletable.add(undeletableGroupKey(family, name));
    // A policy still uses it: keep it, empty of our members (fail closed), and say who uses it.
    await setMembers(client, table, family, name, [], undefined, clusterName, observed, result);
    const users = await policiesUsing(client, name, family).catch(() => [] as string[]);
    result.reads++;
    result.events.push({
      type: 'Warning',
      reason: 'GroupInUse',
      message: `address group ${name} is no longer fed by any mapping but is still used by ${users.length ? users.join(', ') : 'another object'}; left holding '${PLACEHOLDER}' (delete the reference to let fortisync remove it)`,
    });
  }
}

/** Policies (by id and name) whose source or destination names the group. */
export async function policiesUsing(
  client: FortiGateClient,
  group: string,
  family: IPFamily,
): Promise<string[]> {
  const fields = family === 'IPv4' ? (['srcaddr', 'dstaddr'] as const) : (['srcaddr6', 'dstaddr6'] as const);
  const policies = await client.list('firewall/policy', { format: ['policyid', 'name', ...fields] });
  return policies
    .filter((pol) => fields.some((f) => (pol[f] ?? []).some((m) => m.name === group)))
    .map((pol) => `policy ${pol.policyid}${pol.name ? ` (${pol.name})` : ''}`);
}
