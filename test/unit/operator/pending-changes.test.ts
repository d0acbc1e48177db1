import { PendingChanges } from '../../../src/operator/pending-changes.js';

describe('PendingChanges', () => {
  it('a sync covers the events that arrived before it started, each once', () => {
    const p = new PendingChanges();
    p.seen('fg', 100);
    p.seen('fg', 150);
    p.seen('fg', 220);
    expect(p.coveredBy('fg', 200)).toEqual([100, 150]);
    // The event that arrived during that sync waits for the next one.
    expect(p.coveredBy('fg', 200)).toEqual([]);
    expect(p.coveredBy('fg', 300)).toEqual([220]);
    expect(p.coveredBy('fg', 400)).toEqual([]);
  });

  it('an event at the very instant a sync starts is covered by it', () => {
    const p = new PendingChanges();
    p.seen('fg', 100);
    expect(p.coveredBy('fg', 100)).toEqual([100]);
  });

  it('keeps devices apart', () => {
    const p = new PendingChanges();
    p.seen('a', 10);
    p.seen('b', 20);
    expect(p.coveredBy('a', 50)).toEqual([10]);
    expect(p.coveredBy('b', 50)).toEqual([20]);
  });

  it('a failed sync covers nothing, so the next one measures the whole wait', () => {
    const p = new PendingChanges();
    p.seen('fg', 100);
    // No coveredBy call for the failed attempt.
    expect(p.coveredBy('fg', 900)).toEqual([100]);
  });

  it('drops the oldest beyond the cap and forgets deleted devices', () => {
    const p = new PendingChanges(3);
    for (const t of [1, 2, 3, 4, 5]) p.seen('fg', t);
    expect(p.coveredBy('fg', 10)).toEqual([3, 4, 5]);
    p.seen('gone', 1);
    p.forget('gone');
    expect(p.coveredBy('gone', 10)).toEqual([]);
  });
});
