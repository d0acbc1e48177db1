import { PendingChanges } from '../../../src/operator/pending-changes.js';

const all = new Set(['ns/m', 'ns/other']);

describe('PendingChanges', () => {
  it('a sync covers the events that arrived before it started, each once', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/m'], 150);
    p.seen('fg', ['ns/m'], 220);
    expect(p.appliedBy('fg', 200, all)).toEqual([100, 150]);
    // The event that arrived during that sync waits for the next one.
    expect(p.appliedBy('fg', 200, all)).toEqual([]);
    expect(p.appliedBy('fg', 300, all)).toEqual([220]);
    expect(p.appliedBy('fg', 400, all)).toEqual([]);
  });

  it('an event at the very instant a sync starts is covered by it', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    expect(p.appliedBy('fg', 100, all)).toEqual([100]);
  });

  it('measures only events whose mappings the sync wrote for; the others are dropped', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/other'], 110);
    p.seen('fg', ['ns/x', 'ns/m'], 120);
    expect(p.appliedBy('fg', 200, new Set(['ns/m']))).toEqual([100, 120]);
    expect(p.appliedBy('fg', 300, all)).toEqual([]);
  });

  it('keeps devices apart', () => {
    const p = new PendingChanges();
    p.seen('a', ['ns/m'], 10);
    p.seen('b', ['ns/m'], 20);
    expect(p.appliedBy('a', 50, all)).toEqual([10]);
    expect(p.appliedBy('b', 50, all)).toEqual([20]);
  });

  it('a failed sync covers nothing, so the next one measures the whole wait', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    // No appliedBy call for the failed attempt.
    expect(p.appliedBy('fg', 900, all)).toEqual([100]);
  });

  it('drops the oldest beyond the cap and forgets deleted devices', () => {
    const p = new PendingChanges(3);
    for (const t of [1, 2, 3, 4, 5]) p.seen('fg', ['ns/m'], t);
    expect(p.appliedBy('fg', 10, all)).toEqual([3, 4, 5]);
    p.seen('gone', ['ns/m'], 1);
    p.forget('gone');
    expect(p.appliedBy('gone', 10, all)).toEqual([]);
  });
});
