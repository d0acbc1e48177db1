import { describe, expect, it } from '@jest/globals';
import { namespaceIndex, objectKey, Store, type IndexFn } from '../../../src/runtime/store.js';

interface Thing {
  metadata: { name: string; namespace?: string };
  tags: string[];
}

const thing = (name: string, ...tags: string[]): Thing => ({ metadata: { name }, tags });
const byTag: IndexFn<Thing> = (t) => t.tags;

describe('Store indexes', () => {
  it('moves an object between values when it changes, and drops empty values', () => {
    const store = new Store<Thing>();
    store.addIndex('tag', byTag);
    store.set('a', thing('a', 'x', 'y'));
    store.set('b', thing('b', 'y'));
    expect(store.indexKeys('tag', 'y').sort()).toEqual(['a', 'b']);
    store.set('a', thing('a', 'z'));
    expect(store.indexKeys('tag', 'x')).toEqual([]);
    expect(store.indexKeys('tag', 'y')).toEqual(['b']);
    expect(store.indexKeys('tag', 'z')).toEqual(['a']);
    expect(store.indexValues('tag').sort()).toEqual(['y', 'z']);
    store.delete('b');
    expect(store.indexValues('tag')).toEqual(['z']);
  });

  it('files an object once per value even if the index function repeats one', () => {
    const store = new Store<Thing>();
    store.addIndex('tag', byTag);
    store.set('a', thing('a', 'x', 'x', 'y'));
    expect(store.byIndex('tag', 'x')).toHaveLength(1);
    store.set('a', thing('a', 'y', 'x'));
    expect(store.indexKeys('tag', 'x')).toEqual(['a']);
    store.delete('a');
    expect(store.indexValues('tag')).toEqual([]);
  });

  it('indexes objects already stored when an index is added', () => {
    const store = new Store<Thing>();
    store.set('a', thing('a', 'x'));
    store.addIndex('tag', byTag);
    expect(store.indexKeys('tag', 'x')).toEqual(['a']);
    expect(() => store.addIndex('tag', byTag)).toThrow(/already exists/);
  });

  it('leaves an object its index function throws on out of that index, and the cache intact', () => {
    const store = new Store<Thing>();
    store.addIndex('tag', (t) => {
      if (t.tags.includes('bad')) throw new Error('boom');
      return t.tags;
    });
    store.set('a', thing('a', 'x'));
    store.set('a', thing('a', 'bad'));
    expect(store.indexKeys('tag', 'x')).toEqual([]);
    expect(store.get('a')?.tags).toEqual(['bad']);
    store.set('a', thing('a', 'y'));
    expect(store.indexKeys('tag', 'y')).toEqual(['a']);
    store.delete('a');
    expect(store.size).toBe(0);
    expect(store.indexValues('tag')).toEqual([]);
  });
});

describe('Store of namespaced objects', () => {
  const pod = (namespace: string, name: string): Thing => ({ metadata: { name, namespace }, tags: [] });

  it('answers the namespace index from its first level, as the index would', () => {
    const store = new Store<Thing>();
    store.addIndex('namespace', namespaceIndex);
    for (const p of [pod('a', 'p1'), pod('a', 'p2'), pod('b', 'p1'), thing('cluster-wide')])
      store.set(objectKey(p), p);
    expect(store.size).toBe(4);
    expect(store.byIndex('namespace', 'a').map((p) => p.metadata.name)).toEqual(['p1', 'p2']);
    expect(store.indexKeys('namespace', 'b')).toEqual(['b/p1']);
    expect(store.byIndex('namespace', '')).toEqual([]);
    expect(store.indexValues('namespace').sort()).toEqual(['a', 'b']);
    expect(store.keys().sort()).toEqual(['a/p1', 'a/p2', 'b/p1', 'cluster-wide']);
    expect(store.get('b/p1')?.metadata.namespace).toBe('b');
    expect(store.get('cluster-wide')?.metadata.name).toBe('cluster-wide');
    expect(store.has('b/p2')).toBe(false);
    expect(() => store.addIndex('namespace', namespaceIndex)).toThrow(/already exists/);
    expect(store.delete('a/p1')?.metadata.name).toBe('p1');
    expect(store.delete('b/p1')).toBeDefined();
    expect(store.delete('b/p1')).toBeUndefined();
    expect(store.indexValues('namespace')).toEqual(['a']);
    expect(store.size).toBe(2);
  });

  it('replaces an object under its key, counting it once', () => {
    const store = new Store<Thing>();
    store.set('a/p', pod('a', 'p'));
    const old = store.set('a/p', { ...pod('a', 'p'), tags: ['new'] });
    expect(old?.tags).toEqual([]);
    expect(store.size).toBe(1);
    expect(store.list().map((p) => p.tags)).toEqual([['new']]);
  });

  it('keeps objects whose metadata does not spell their key under that key', () => {
    const store = new Store<Thing>();
    store.addIndex('tag', byTag);
    store.set('x/y', thing('other', 't'));
    expect(store.get('x/y')?.metadata.name).toBe('other');
    expect(store.indexKeys('tag', 't')).toEqual(['x/y']);
    expect(store.keys()).toEqual(['x/y']);
  });
});
