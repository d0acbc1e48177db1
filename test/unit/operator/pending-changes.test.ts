import { PendingChanges } from '../../../src/operator/pending-changes.js';

/** Every mapping written, acknowledged at `at`. */
const all = (at: number): Map<string, number> =>
  new Map([
    ['ns/m', at],
    ['ns/other', at],
  ]);

describe('PendingChanges', () => {
  it('a sync covers the events that arrived before it started, each once', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/m'], 150);
    p.seen('fg', ['ns/m'], 220);
    expect(p.appliedBy('fg', { to: 200 }, all(200))).toEqual([100, 50]);
    // The event that arrived during that sync waits for the next one.
    expect(p.appliedBy('fg', { to: 200 }, all(200))).toEqual([]);
    expect(p.appliedBy('fg', { to: 300 }, all(300))).toEqual([80]);
    expect(p.appliedBy('fg', { to: 400 }, all(400))).toEqual([]);
  });

  it('an event at the very instant a sync starts is covered by it', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    expect(p.appliedBy('fg', { to: 100 }, all(100))).toEqual([0]);
  });

  it('measures only events whose mappings the sync wrote for; the others are dropped', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/other'], 110);
    p.seen('fg', ['ns/x', 'ns/m'], 120);
    expect(p.appliedBy('fg', { to: 200 }, new Map([['ns/m', 250]]))).toEqual([150, 130]);
    expect(p.appliedBy('fg', { to: 300 }, all(300))).toEqual([]);
  });

  it('measures each event to the acknowledgement of the last write for its mappings', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/a'], 100); // its group was written early in the sync
    p.seen('fg', ['ns/b'], 110);
    p.seen('fg', ['ns/a', 'ns/b'], 120); // a pod both pick: applied once both groups are
    const written = new Map([
      ['ns/a', 160],
      ['ns/b', 190],
    ]);
    expect(p.appliedBy('fg', { to: 150 }, written)).toEqual([60, 80, 70]);
  });

  it('keeps devices apart', () => {
    const p = new PendingChanges();
    p.seen('a', ['ns/m'], 10);
    p.seen('b', ['ns/m'], 20);
    expect(p.appliedBy('a', { to: 50 }, all(50))).toEqual([40]);
    expect(p.appliedBy('b', { to: 50 }, all(50))).toEqual([30]);
  });

  it('a failed sync covers nothing, so the next one measures the whole wait', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    // No appliedBy call for the failed attempt.
    expect(p.appliedBy('fg', { to: 900 }, all(900))).toEqual([800]);
  });

  it('drops the oldest beyond the cap and forgets deleted devices', () => {
    const p = new PendingChanges(3);
    for (const t of [1, 2, 3, 4, 5]) p.seen('fg', ['ns/m'], t);
    expect(p.appliedBy('fg', { to: 10 }, all(10))).toEqual([7, 6, 5]);
    p.seen('gone', ['ns/m'], 1);
    p.forget('gone');
    expect(p.appliedBy('gone', { to: 10 }, all(10))).toEqual([]);
  });

  it('a sync started beside an earlier one covers only what arrived since that one started', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/a'], 100);
    p.seen('fg', ['ns/b'], 150);
    p.seen('fg', ['ns/c'], 250);
    // The later sync (started at 200, beside the one started at 120) lands first.
    expect(p.appliedBy('fg', { from: 120, to: 200 }, new Map([['ns/b', 230]]))).toEqual([80]);
    expect(p.appliedBy('fg', { to: 120 }, new Map([['ns/a', 260]]))).toEqual([160]);
    expect(p.appliedBy('fg', { to: 300 }, new Map([['ns/c', 300]]))).toEqual([50]);
  });
});
