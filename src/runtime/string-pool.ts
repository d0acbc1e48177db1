/**
 * One shared copy of each string that repeats across cached objects: label values, namespace and node
 * names. V8's JSON.parse shares only property names and very short values; every pod of a cluster
 * would otherwise hold its own copy of its namespace, its node's name and each label value.
 *
 * Bounded: once it holds `maxSize` strings it starts again empty, so values that stop appearing (an
 * old ReplicaSet's pod-template-hash, a deleted namespace) are not kept for ever. Strings already
 * handed out stay valid; only later copies stop being shared with them.
 */
export class StringPool {
  private pool = new Map<string, string>();
  private resets = 0;

  constructor(private readonly maxSize = 200_000) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new Error(`maxSize must be a positive integer`);
  }

  /** The pool's copy of `s` (which becomes that copy if the pool had none). */
  intern<S extends string | undefined>(s: S): S {
    if (s === undefined) return s;
    const shared = this.pool.get(s);
    if (shared !== undefined) return shared as S;
    if (this.pool.size >= this.maxSize) {
      this.pool = new Map();
      this.resets++;
    }
    this.pool.set(s, s);
    return s;
  }

  /** Replaces every value of `record` by its shared copy, in place; returns it. */
  internValues<R extends Record<string, string> | undefined>(record: R): R {
    if (record === undefined) return record;
    for (const key of Object.keys(record)) record[key] = this.intern(record[key] as string);
    return record;
  }

  get size(): number {
    return this.pool.size;
  }

  /** How many times the pool started again because it was full. */
  get timesReset(): number {
    return this.resets;
  }
}
