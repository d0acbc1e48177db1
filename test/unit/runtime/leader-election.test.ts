import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FakeClock, flushAsync } from '../../../src/runtime/fake-clock.js';
import { runtimeMetrics } from '../../../src/runtime/metrics.js';
import { LeaderElector } from '../../../src/runtime/leader-election.js';
import {
  LeaseConflictError,
  type LeaderElectionRecord,
  type LeaseStore,
  type VersionedRecord,
} from '../../../src/runtime/lease-store.js';

/** One in-memory Lease with resourceVersion compare-and-swap, shared by several electors. */
class FakeLease {
  current: VersionedRecord | undefined;
  private rv = 0;
  writes = 0;

  view(): LeaseStore & { down: boolean; conflictsToInject: number } {
    // Arrow functions keep `this` bound to the shared lease.
    const view = {
      down: false,
      conflictsToInject: 0,
      describe: () => 'test/lease',
      get: async () => {
        if (view.down) throw new Error('apiserver unreachable');
        return this.current && structuredClone(this.current);
      },
      create: async (record: LeaderElectionRecord) => {
        if (view.down) throw new Error('apiserver unreachable');
        if (this.current) throw new LeaseConflictError();
        return this.write(record);
      },
      update: async (record: LeaderElectionRecord, rv: string) => {
        if (view.down) throw new Error('apiserver unreachable');
        if (view.conflictsToInject > 0) {
          view.conflictsToInject--;
          throw new LeaseConflictError();
        }
        if (!this.current || this.current.resourceVersion !== rv) throw new LeaseConflictError();
        return this.write(record);
      },
    };
    return view;
  }

  private write(record: LeaderElectionRecord): VersionedRecord {
    this.writes++;
    this.current = { record: { ...record }, resourceVersion: String(++this.rv) };
    return structuredClone(this.current);
  }
}

function elector(clock: FakeClock, store: LeaseStore, identity: string, releaseOnCancel = true) {
  const log: string[] = [];
  let leadership: AbortSignal | undefined;
  const e = new LeaderElector({
    store,
    identity,
    clock,
    random: () => 0,
    releaseOnCancel,
    callbacks: {
      onStartedLeading: (signal) => {
        leadership = signal;
        log.push('started');
      },
      onStoppedLeading: () => void log.push('stopped'),
      onNewLeader: (id) => void log.push(`leader ${id}`),
    },
  });
  const ac = new AbortController();
  let finished = false;
  const done = e.run(ac.signal).then(() => (finished = true));
  return { e, log, ac, done, finished: () => finished, leadership: () => leadership };
}

describe('LeaderElector', () => {
  it('acquires a missing lease and renews it every retry period', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const a = elector(clock, lease.view(), 'a');
    await flushAsync();
    expect(a.e.isLeader()).toBe(true);
    expect(a.log).toEqual(['leader a', 'started']);
    expect(lease.current?.record).toMatchObject({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    const acquired = lease.current?.record.acquireTime;
    await clock.advance(2000);
    expect(lease.current?.record.renewTime).toBe(clock.now());
    expect(lease.current?.record.acquireTime).toBe(acquired);
    expect(lease.writes).toBe(2);
    a.ac.abort();
    await a.done;
  });

  it('a second candidate waits while the leader renews', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const a = elector(clock, lease.view(), 'a');
    await flushAsync();
    const b = elector(clock, lease.view(), 'b');
    await flushAsync();
    for (let i = 0; i < 20; i++) await clock.advance(2000);
    expect(b.e.isLeader()).toBe(false);
    expect(b.log).toEqual(['leader a']);
    expect(b.e.getLeader()).toBe('a');
    expect(lease.current?.record.holderIdentity).toBe('a');
    a.ac.abort();
    b.ac.abort();
    await Promise.all([a.done, b.done]);
  });

  it('takes over a lease whose holder stopped renewing once it expires', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const a = elector(clock, lease.view(), 'a', false);
    await flushAsync();
    a.ac.abort(); // crash-like: no release
    await a.done;
    expect(lease.current?.record.holderIdentity).toBe('a');
    const b = elector(clock, lease.view(), 'b');
    await flushAsync();
    expect(b.e.isLeader()).toBe(false);
    // b measures expiry from when *it* first saw the record, on its own clock: 15 s.
    await clock.advance(14_000);
    expect(b.e.isLeader()).toBe(false);
    await clock.advance(2000);
    expect(b.e.isLeader()).toBe(true);
    expect(b.log).toEqual(['leader a', 'leader b', 'started']);
    expect(lease.current?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.ac.abort();
    await b.done;
  });

  it('stops leading when renewals fail past the renew deadline', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const view = lease.view();
    const a = elector(clock, view, 'a');
    await flushAsync();
    view.down = true;
    await clock.advance(2000); // first failed renewal attempt
    await clock.advance(8000);
    expect(a.e.isLeader()).toBe(true);
    expect(a.leadership()?.aborted).toBe(false);
    await clock.advance(2000);
    expect(a.finished()).toBe(true);
    expect(a.e.isLeader()).toBe(false);
    expect(a.log).toEqual(['leader a', 'started', 'stopped']);
    expect(a.leadership()?.aborted).toBe(true);
  });

  it('survives a write conflict by retrying', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const view = lease.view();
    const a = elector(clock, view, 'a');
    await flushAsync();
    view.conflictsToInject = 1;
    await clock.advance(2000);
    await clock.advance(2000);
    expect(a.e.isLeader()).toBe(true);
    expect(lease.current?.record.renewTime).toBe(clock.now());
    a.ac.abort();
    await a.done;
  });

  it('releases on clean shutdown so a successor takes over without waiting for expiry', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const a = elector(clock, lease.view(), 'a');
    await flushAsync();
    const b = elector(clock, lease.view(), 'b');
    await flushAsync();
    a.ac.abort();
    await a.done;
    expect(a.log).toEqual(['leader a', 'started', 'stopped']);
    expect(lease.current?.record).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    await clock.advance(2000); // b's next retry
    expect(b.e.isLeader()).toBe(true);
    expect(lease.current?.record.holderIdentity).toBe('b');
    b.ac.abort();
    await b.done;
  });

  it('reports leader_election_master_status', async () => {
    const clock = new FakeClock();
    const lease = new FakeLease();
    const registry = new Registry();
    const e = new LeaderElector({
      store: lease.view(),
      identity: 'a',
      clock,
      metrics: runtimeMetrics(registry).leaderElection('fortisync'),
      callbacks: { onStartedLeading: () => {}, onStoppedLeading: () => {} },
    });
    const ac = new AbortController();
    const done = e.run(ac.signal);
    await flushAsync();
    expect(await registry.metrics()).toContain('leader_election_master_status{name="fortisync"} 1');
    ac.abort();
    await done;
    expect(await registry.metrics()).toContain('leader_election_master_status{name="fortisync"} 0');
  });

  it('rejects inconsistent timings', () => {
    const lease = new FakeLease();
    const callbacks = { onStartedLeading: () => {}, onStoppedLeading: () => {} };
    expect(
      () =>
        new LeaderElector({ store: lease.view(), callbacks, leaseDurationMs: 5000, renewDeadlineMs: 10_000 }),
    ).toThrow();
  });
});
