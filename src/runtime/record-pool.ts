import type { StringPool } from './string-pool.js';

/**
 * One shared, frozen copy of each distinct string record: a pod's labels. The pods of one
 * ReplicaSet (or StatefulSet, or Job) carry identical labels, so at 150,000 pods a cluster has a few
 * thousand distinct label sets, not 150,000; each pod otherwise keeps its own object of five or more
 * properties (about 80 bytes) even when the values themselves are shared.
 *
 * The shared record is frozen: a reader that tried to change one pod's labels would change every
 * pod's. Bounded like StringPool: once it holds `maxSize` records it starts again empty; records
 * already handed out stay valid.
 */
export class RecordPool {
  private pool = new Map<string, Readonly<Record<string, string>>>();
  private resets = 0;

  constructor(
    private readonly strings: StringPool,
    private readonly maxSize = 50_000,
  ) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new Error(`maxSize must be a positive integer`);
  }

  /** The pool's frozen copy of `record` (which becomes that copy, values interned, if the pool had none). */
  share<R extends Record<string, string> | undefined>(record: R): R {
    if (record === undefined) return record;
    // Keys in the record's own order: the pods of one template list their labels alike. Two orders
    // of the same labels make two entries, which is only a missed share.
    const key = JSON.stringify(record);
    const shared = this.pool.get(key);
    if (shared !== undefined) return shared as R;
    if (this.pool.size >= this.maxSize) {
      this.pool = new Map();
      this.resets++;
    }
    const own = Object.freeze(this.strings.internValues(record));
    this.pool.set(key, own);
    return own;
  }

  get size(): number {
    return this.pool.size;
  }

  /** How many times the pool started again because it was full. */
  get timesReset(): number {
    return this.resets;
  }
}
