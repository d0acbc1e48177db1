import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import { WorkQueue } from '../../../src/runtime/workqueue.js';

type Op = { kind: 'add'; key: string } | { kind: 'get' } | { kind: 'done'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
  fc.record({ kind: fc.constant('get' as const) }),
  fc.record({ kind: fc.constant('done' as const), pick: fc.nat(10) }),
);

describe('WorkQueue properties', () => {
  it('never hands out a held key, never queues a key twice, and never loses an add', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const q = new WorkQueue<string>({ clock: new FakeClock() });
        const held = new Set<string>();
        // Keys added after the moment they were last handed out: each must be handed out again.
        const owed = new Set<string>();
        const take = async () => {
          const k = await q.get();
          expect(k).toBeDefined();
          const key = k as string;
          expect(held.has(key)).toBe(false);
          held.add(key);
          owed.delete(key);
        };
        for (const op of ops) {
          if (op.kind === 'add') {
            q.add(op.key);
            owed.add(op.key);
          } else if (op.kind === 'get') {
            if (q.len() > 0) await take();
          } else if (held.size > 0) {
            const key = [...held][op.pick % held.size] as string;
            held.delete(key);
            q.done(key);
          }
          expect(q.len()).toBeLessThanOrEqual(4 - held.size);
        }
        // Drain: finish everything held, then keep working until the queue is empty.
        for (;;) {
          for (const key of [...held]) {
            held.delete(key);
            q.done(key);
          }
          if (q.len() === 0) break;
          while (q.len() > 0) await take();
        }
        expect([...owed]).toEqual([]);
        q.shutDown();
      }),
      { numRuns: 300 },
    );
  });
});
