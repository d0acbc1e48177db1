import { describe, expect, it } from '@jest/globals';
import { RecordPool } from '../../../src/runtime/record-pool.js';
import { StringPool } from '../../../src/runtime/string-pool.js';

// A string's identity cannot be observed from JavaScript; the pool's size and resets can.
describe('StringPool', () => {
  it('keeps one entry per distinct string and returns an equal string', () => {
    const pool = new StringPool();
    const a = pool.intern(['team', 'a'].join('-'));
    const b = pool.intern(['team', 'a'].join('-'));
    expect(a).toBe('team-a');
    expect(b).toBe('team-a');
    pool.intern('team-b');
    expect(pool.size).toBe(2);
    expect(pool.intern(undefined)).toBeUndefined();
    expect(pool.size).toBe(2);
  });

  it('interns the values of a record in place and leaves its keys alone', () => {
    const pool = new StringPool();
    const labels = { app: 'web', tier: 'frontend' };
    expect(pool.internValues(labels)).toBe(labels);
    expect(labels).toEqual({ app: 'web', tier: 'frontend' });
    pool.internValues({ app: 'web' });
    expect(pool.size).toBe(2);
    expect(pool.internValues(undefined)).toBeUndefined();
  });

  it('starts again empty when full, so strings that stop repeating are not kept for ever', () => {
    const pool = new StringPool(3);
    for (const s of ['a', 'b', 'c']) pool.intern(s);
    expect(pool.size).toBe(3);
    expect(pool.timesReset).toBe(0);
    pool.intern('a'); // already there: no growth, no reset
    expect(pool.timesReset).toBe(0);
    pool.intern('d');
    expect(pool.timesReset).toBe(1);
    expect(pool.size).toBe(1);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new StringPool(0)).toThrow(/positive integer/);
    expect(() => new StringPool(1.5)).toThrow(/positive integer/);
  });
});

describe('RecordPool', () => {
  it('hands out one frozen record per distinct content, its values interned', () => {
    const strings = new StringPool();
    const records = new RecordPool(strings);
    const a = records.share({ app: 'web', tier: 'frontend' });
    const b = records.share({ app: 'web', tier: 'frontend' });
    const c = records.share({ app: 'web', tier: 'backend' });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c).toEqual({ app: 'web', tier: 'backend' });
    expect(Object.isFrozen(a)).toBe(true);
    expect(records.size).toBe(2);
    expect(strings.size).toBe(3);
    expect(records.share(undefined)).toBeUndefined();
  });

  it('starts again empty when full; records handed out stay as they were', () => {
    const records = new RecordPool(new StringPool(), 2);
    const first = records.share({ a: '1' });
    records.share({ a: '2' });
    records.share({ a: '3' });
    expect(records.timesReset).toBe(1);
    expect(records.size).toBe(1);
    expect(first).toEqual({ a: '1' });
    expect(records.share({ a: '1' })).not.toBe(first);
    expect(() => new RecordPool(new StringPool(), 0)).toThrow(/positive integer/);
  });
});
