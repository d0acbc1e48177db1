import { describe, expect, it } from '@jest/globals';
import { Store, type IndexFn } from '../../../src/runtime/store.js';

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
