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

/**
 * A keyed object cache with secondary indexes kept up to date on every write. Keys are `objectKey`'s
 * ("namespace/name", or "name").
 *
 * Objects are held in two levels, namespace ('' for cluster-scoped ones) then name, with the
 * object's own name string as the key: at 150,000 pods a "namespace/name" string per pod cost about
 * 100 bytes, and a namespace index (`namespaceIndex`) is answered from the first level instead of
 * sets of keys (issue 19).
 */
export class Store<T> {
  private readonly items = new Map<string, Map<string, T>>();
  private count = 0;
  private readonly indexes = new Map<string, Index<T>>();
  /** Indexes by `namespaceIndex`: answered from the first level. */
  private readonly namespaceIndexes = new Set<string>();

  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    const i = key.indexOf('/');
    return i < 0 ? this.items.get('')?.get(key) : this.items.get(key.slice(0, i))?.get(key.slice(i + 1));
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  list(): T[] {
    const out: T[] = [];
    for (const objects of this.items.values()) for (const obj of objects.values()) out.push(obj);
    return out;
  }

  keys(): string[] {
    return [...this.entries()].map(([key]) => key);
  }

  /** Adds an index; existing objects are indexed at once. Throws if the name is taken. */
  addIndex(name: string, fn: IndexFn<T>): void {
    if (this.hasIndex(name)) throw new Error(`index ${name} already exists`);
    if ((fn as IndexFn<unknown>) === (namespaceIndex as IndexFn<unknown>)) {
      this.namespaceIndexes.add(name);
      return;
    }
    const index: Index<T> = { fn, byValue: new Map() };
    this.indexes.set(name, index);
    for (const [key, obj] of this.entries()) this.indexOne(index, key, valuesOf(index, obj));
  }

  hasIndex(name: string): boolean {
    return this.indexes.has(name) || this.namespaceIndexes.has(name);
  }

  /** Objects filed under `value` in index `name`. Throws for an unknown index (a programming error). */
  byIndex(name: string, value: string): T[] {
    if (this.namespaceIndexes.has(name))
      return value === '' ? [] : [...(this.items.get(value)?.values() ?? [])];
    return this.indexKeys(name, value).map((k) => this.get(k) as T);
  }

  indexKeys(name: string, value: string): string[] {
    if (this.namespaceIndexes.has(name))
      return value === '' ? [] : [...(this.items.get(value)?.keys() ?? [])].map((n) => `${value}/${n}`);
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...(index.byValue.get(value) ?? [])];
  }

  /** All values that currently have at least one object in index `name`. */
  indexValues(name: string): string[] {
    if (this.namespaceIndexes.has(name)) return [...this.items.keys()].filter((ns) => ns !== '');
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...index.byValue.keys()];
  }

  /** Stores `obj` under `key`, returning what was there before. */
  set(key: string, obj: T): T | undefined {
    const [namespace, name] = keyParts(key, obj);
    let objects = this.items.get(namespace);
    if (!objects) this.items.set(namespace, (objects = new Map()));
    const old = objects.get(name);
    objects.set(name, obj);
    if (old === undefined) this.count++;
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
    const i = key.indexOf('/');
    const namespace = i < 0 ? '' : key.slice(0, i);
    const objects = this.items.get(namespace);
    const name = i < 0 ? key : key.slice(i + 1);
    const old = objects?.get(name);
    if (objects === undefined || old === undefined) return undefined;
    objects.delete(name);
    if (objects.size === 0) this.items.delete(namespace);
    this.count--;
    for (const index of this.indexes.values()) this.unindexOne(index, key, valuesOf(index, old));
    return old;
  }

  private *entries(): Generator<[string, T]> {
    for (const [namespace, objects] of this.items)
      for (const [name, obj] of objects) yield [namespace === '' ? name : `${namespace}/${name}`, obj];
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

/**
 * The namespace and name a key stands for, as the object's own strings when they spell the key (the
 * cache then keeps no copy of either); slices of the key otherwise.
 */
function keyParts(key: string, obj: unknown): [string, string] {
  const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | undefined)?.metadata;
  const name = typeof meta?.name === 'string' ? meta.name : undefined;
  const namespace = typeof meta?.namespace === 'string' ? meta.namespace : undefined;
  const i = key.indexOf('/');
  if (i < 0) return ['', name === key ? name : key];
  const ns =
    namespace !== undefined && namespace.length === i && key.startsWith(namespace)
      ? namespace
      : key.slice(0, i);
  const own =
    name !== undefined && name.length === key.length - i - 1 && key.endsWith(name) ? name : key.slice(i + 1);
  return [ns, own];
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
