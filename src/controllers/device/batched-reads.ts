import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ObservedGroup } from '../../domain/model.js';
import { addressTable, groupTable } from '../../fortigate/types.js';
import type { FortiOSApi } from './fortios-api.js';
import { observedGroup } from './observe.js';

/** An address as the device holds it now: what the exact-ownership check needs. */
export interface CurrentAddress {
  name: string;
  comment?: string;
}

/** The objects one read covers by default: a pool's width, so a read comes right before its writes. */
export const READ_BATCH = 16;

type Batch = { family: IPFamily; names: string[] };

/**
 * Fresh reads of the objects a plan's phase is about to write, one filtered list (`name==a,name==b`,
 * an OR) per batch instead of one GET per object (issue 19). A batch is read when its first object
 * asks, and the writes of a batch are consecutive in the executor's pool, so each write still follows
 * its own read by about one round trip — what the re-read before a delete (issue 14) and before a
 * group's PUT (keep every member we do not own as the device holds it now) need.
 */
export class BatchedReads<T> {
  private readonly batchOf = new Map<string, Batch>();
  private readonly reads = new Map<Batch, Promise<Map<string, T>>>();

  constructor(
    private readonly readBatch: (family: IPFamily, names: readonly string[]) => Promise<[string, T][]>,
    objects: readonly { family: IPFamily; name: string }[],
    /** Called once per list sent (the sync counts its reads). */
    private readonly onRead: () => void,
    batchSize = READ_BATCH,
  ) {
    const open = new Map<IPFamily, Batch>();
    for (const { family, name } of objects) {
      if (this.covers(family, name)) continue;
      let batch = open.get(family);
      if (!batch || batch.names.length >= batchSize) open.set(family, (batch = { family, names: [] }));
      batch.names.push(name);
      this.batchOf.set(`${family}/${name}`, batch);
    }
  }

  /** The object was given to be read in a batch. */
  covers(family: IPFamily, name: string): boolean {
    return this.batchOf.has(`${family}/${name}`);
  }

  /** The object as the device holds it now (read with its batch); undefined when it is not there. */
  async current(family: IPFamily, name: string): Promise<T | undefined> {
    const batch = this.batchOf.get(`${family}/${name}`);
    if (!batch) throw new Error(`no batched read planned for ${family}/${name}`);
    let read = this.reads.get(batch);
    if (!read) {
      this.onRead();
      read = this.readBatch(batch.family, batch.names).then((entries) => new Map(entries));
      this.reads.set(batch, read);
    }
    return (await read).get(name);
  }
}

const byName = (names: readonly string[]) => [
  names.map((value) => ({ field: 'name', op: '==' as const, value })),
];

/**
 * The addresses a phase deletes, for the exact-ownership check: a copy of our comment on someone
 * else's object must never be taken for ours (issue 14). A reader that ignores the filter (a wider
 * answer) is only slower: the names are looked up.
 */
export function addressReads(
  client: FortiOSApi,
  deletions: readonly { family: IPFamily; name: string }[],
  onRead: () => void,
  batchSize = READ_BATCH,
): BatchedReads<CurrentAddress> {
  return new BatchedReads(
    async (family, names) =>
      (await client.list(addressTable(family), { filter: byName(names), format: ['name', 'comment'] })).map(
        (e) => [e.name, { name: e.name, comment: e.comment }] as [string, CurrentAddress],
      ),
    deletions,
    onRead,
    batchSize,
  );
}

/** The groups a phase may set the members of with a PUT (read first to keep what is not ours). */
export function groupReads(
  client: FortiOSApi,
  groups: readonly { family: IPFamily; name: string }[],
  onRead: () => void,
  batchSize = READ_BATCH,
): BatchedReads<ObservedGroup> {
  return new BatchedReads(
    async (family, names) =>
      (
        await client.list(groupTable(family), {
          filter: byName(names),
          format: ['name', 'member', 'comment'],
        })
      ).map((e) => [e.name, observedGroup(e, family)] as [string, ObservedGroup]),
    groups,
    onRead,
    batchSize,
  );
}
