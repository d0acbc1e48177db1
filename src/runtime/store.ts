import type { KubernetesObject } from '@kubernetes/client-node';

/** Maps an object to the index values it is filed under (e.g. its node name). */
export type IndexFn<T> = (obj: T) => string[];

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Index function filing namespaced objects under their namespace. */
export const namespaceIndex: IndexFn<KubernetesObject> = (obj) =>
  obj.metadata?.namespace ? [obj.metadata.namespace] : [];

/**
 * The keys filed under each value. An object's old values are computed again from the old object when
 * it changes (as client-go does) rather than remembered per key: at 150,000 pods that record cost
 * about 70 bytes a pod. Index functions must therefore be pure, and cached objects never mutated.
 */
interface Index<T> {
  fn: IndexFn<T>;
  byValue: Map<string, Set<string>>;
}

/** Reads of a cache (client-go's Lister): what reconcilers need, filled by an Informer or a test's Store. */
export type Lister<T> = Pick<Store<T>, 'get' | 'list' | 'byIndex'>;

/** A keyed object cache with secondary indexes kept up to date on every write. */
export class Store<T> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Adds an index; existing objects are indexed at once. Throws if the name is taken. */
  addIndex(name: string, fn: IndexFn<T>): void {
    if (this.indexes.has(name)) throw new Error(`index ${name} already exists`);
    const index: Index<T> = { fn, byValue: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.items) this.indexOne(index, key, valuesOf(index, obj));
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name);
  }

  /** Objects filed under `value` in index `name`. Throws for an unknown index (a programming error). */
  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.items.get(k) as T);
  }

  indexKeys(name: string, value: string): string[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...(index.byValue.get(value) ?? [])];
  }

  /** All values that currently have at least one object in index `name`. */
  indexValues(name: string): string[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...index.byValue.keys()];
  }

  /** Stores `obj` under `key`, returning what was there before. */
  set(key: string, obj: T): T | undefined {
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const index of this.indexes.values()) {
      const before = old === undefined ? [] : valuesOf(index, old);
      const after = valuesOf(index, obj);
      if (sameValues(before, after)) continue;
      this.unindexOne(index, key, before);
      this.indexOne(index, key, after);
    }
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (old === undefined) return undefined;
    this.items.delete(key);
    for (const index of this.indexes.values()) this.unindexOne(index, key, valuesOf(index, old));
    return old;
  }

  private indexOne(index: Index<T>, key: string, values: string[]): void {
    for (const v of values) {
      let keys = index.byValue.get(v);
      if (!keys) index.byValue.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  private unindexOne(index: Index<T>, key: string, values: string[]): void {
    for (const v of values) {
      const keys = index.byValue.get(v);
      keys?.delete(key);
      if (keys?.size === 0) index.byValue.delete(v);
    }
  }
}

/** The values an object is filed under, without duplicates; none if the index function throws. */
function valuesOf<T>(index: Index<T>, obj: T): string[] {
  try {
    const values = index.fn(obj);
    return values.length < 2 ? values : [...new Set(values)];
  } catch {
    // A throwing index function must not corrupt the cache; the object is just not indexed.
    return [];
  }
}

function sameValues(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
