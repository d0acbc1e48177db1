import { describe, expect, it } from '@jest/globals';
import { TaskLimit } from '../../../src/runtime/pool.js';

/** A task the test finishes by hand, recording when it started. */
class Gate {
  private readonly opened = new Map<string, () => void>();
  readonly started: string[] = [];

  task(name: string, fail?: Error): () => Promise<void> {
    return () => {
      this.started.push(name);
      return new Promise<void>((resolve, reject) =>
        this.opened.set(name, () => (fail ? reject(fail) : resolve())),
      );
    };
  }

  finish(name: string): void {
    const open = this.opened.get(name);
    if (!open) throw new Error(`${name} has not started`);
    open();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TaskLimit', () => {
  it('runs at most `limit` tasks at once, the waiting ones in the order they asked', async () => {
    const gate = new Gate();
    const limit = new TaskLimit(2);
    const runs = ['a', 'b', 'c', 'd'].map((n) => limit.run(gate.task(n)));
    await settle();
    expect(gate.started).toEqual(['a', 'b']);
    gate.finish('b');
    await settle();
    expect(gate.started).toEqual(['a', 'b', 'c']);
    gate.finish('a');
    gate.finish('c');
    await settle();
    expect(gate.started).toEqual(['a', 'b', 'c', 'd']);
    gate.finish('d');
    await Promise.all(runs);
    limit.rethrow(); // nothing failed
  });

  it('a task that asks later, once a slot is free, starts at once', async () => {
    const gate = new Gate();
    const limit = new TaskLimit(1);
    const first = limit.run(gate.task('a'));
    await settle();
    gate.finish('a');
    await first;
    const second = limit.run(gate.task('b'));
    await settle();
    expect(gate.started).toEqual(['a', 'b']);
    gate.finish('b');
    await second;
  });

  it('after a failure starts nothing new, lets the running finish, and rethrows the first failure', async () => {
    const gate = new Gate();
    const limit = new TaskLimit(2);
    const boom = new Error('device-wide');
    const runs = [limit.run(gate.task('a', boom)), limit.run(gate.task('b')), limit.run(gate.task('c'))];
    await settle();
    gate.finish('a');
    await settle();
    expect(gate.started).toEqual(['a', 'b']); // c was waiting: it never starts
    gate.finish('b');
    await Promise.all(runs); // run() itself never rejects: dependants can wait on it
    expect(() => limit.rethrow()).toThrow(boom);
    await limit.run(gate.task('d'));
    expect(gate.started).toEqual(['a', 'b']);
  });
});
