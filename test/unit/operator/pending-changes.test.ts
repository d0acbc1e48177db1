import { describe, expect, it } from '@jest/globals';
import { PendingChanges } from '../../../src/operator/pending-changes.js';

/** Every mapping written, acknowledged at `at`. */
const all = (at: number): Map<string, number> =>
  new Map([
    ['ns/m', at],
    ['ns/other', at],
  ]);

/** A whole sync started at `startedMs`, its writes acknowledged at `written`. */
const whole = (startedMs: number, written = all(startedMs)) => ({
  startedMs,
  mappings: 'all' as const,
  written,
});

describe('PendingChanges', () => {
  it('a sync covers the events that arrived before it started, each once', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/m'], 150);
    p.seen('fg', ['ns/m'], 220);
    expect(p.appliedBy('fg', whole(200))).toEqual([100, 50]);
    // The event that arrived during that sync waits for the next one.
    expect(p.appliedBy('fg', whole(200))).toEqual([]);
    expect(p.appliedBy('fg', whole(300))).toEqual([80]);
    expect(p.appliedBy('fg', whole(400))).toEqual([]);
  });

  it('an event at the very instant a sync starts is covered by it', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    expect(p.appliedBy('fg', whole(100))).toEqual([0]);
  });

  it('measures only events whose mappings the sync wrote for; the others are dropped', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    p.seen('fg', ['ns/other'], 110);
    p.seen('fg', ['ns/x', 'ns/m'], 120);
    expect(p.appliedBy('fg', whole(200, new Map([['ns/m', 250]])))).toEqual([150, 130]);
    expect(p.appliedBy('fg', whole(300))).toEqual([]);
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
    expect(p.appliedBy('fg', whole(150, written))).toEqual([60, 80, 70]);
  });

  it('keeps devices apart', () => {
    const p = new PendingChanges();
    p.seen('a', ['ns/m'], 10);
    p.seen('b', ['ns/m'], 20);
    expect(p.appliedBy('a', whole(50))).toEqual([40]);
    expect(p.appliedBy('b', whole(50))).toEqual([30]);
  });

  it('a failed sync covers nothing, so the next one measures the whole wait', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/m'], 100);
    // No appliedBy call for the failed attempt.
    expect(p.appliedBy('fg', whole(900))).toEqual([800]);
  });

  it('drops the oldest beyond the cap and forgets deleted devices', () => {
    const p = new PendingChanges(3);
    for (const t of [1, 2, 3, 4, 5]) p.seen('fg', ['ns/m'], t);
    expect(p.appliedBy('fg', whole(10))).toEqual([7, 6, 5]);
    p.seen('gone', ['ns/m'], 1);
    p.forget('gone');
    expect(p.appliedBy('gone', whole(10))).toEqual([]);
  });

  it('a batch deals with its own mappings only: one it left for later is measured when applied', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/a'], 100);
    p.seen('fg', ['ns/b'], 110); // its group was being written: left for a later batch
    const first = { startedMs: 120, mappings: new Set(['ns/a']), written: new Map([['ns/a', 170]]) };
    expect(p.appliedBy('fg', first)).toEqual([70]);
    const later = { startedMs: 180, mappings: new Set(['ns/b']), written: new Map([['ns/b', 230]]) };
    expect(p.appliedBy('fg', later)).toEqual([120]);
  });

  it('an event of two mappings is measured once both batches that deal with them have', () => {
    const p = new PendingChanges();
    p.seen('fg', ['ns/a', 'ns/b'], 100);
    expect(
      p.appliedBy('fg', { startedMs: 110, mappings: new Set(['ns/b']), written: new Map([['ns/b', 200]]) }),
    ).toEqual([]);
    expect(
      p.appliedBy('fg', { startedMs: 120, mappings: new Set(['ns/a']), written: new Map([['ns/a', 160]]) }),
    ).toEqual([100]);
  });
});
