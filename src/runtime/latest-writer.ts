/**
 * Serialises writes per key and lets the newest request supersede the ones still waiting: at most
 * one write per key is in flight, and at most one waits behind it. Status writes use it so a
 * reconcile does not wait for the API server, yet an older status can never land after a newer one.
 *
 * A write is a function run when its turn comes, so it can build its body from the latest state
 * rather than from the state when it was submitted.
 */
export class LatestWriter<K> {
  private readonly keys = new Map<K, KeyState>();

  /**
   * Queues `write` for `key`. The promise settles when this write — or a newer one that replaced it
   * before it started — has finished; it rejects with that write's error.
   */
  submit(key: K, write: () => Promise<void>): Promise<void> {
    const existing = this.keys.get(key);
    // A key has state exactly while its writes drain: without it, nothing runs for the key yet.
    const state: KeyState = existing ?? { waiting: undefined };
    const waiter = deferred();
    if (state.waiting) {
      // Replaced before it ran: whoever waited for the older write now waits for this one.
      state.waiting.write = write;
      state.waiting.waiters.push(waiter);
    } else {
      state.waiting = { write, waiters: [waiter] };
    }
    if (!existing) {
      this.keys.set(key, state);
      void this.drain(key, state);
    }
    return waiter.promise;
  }

  /** Resolves once every write submitted so far has finished (errors are the submitters' concern). */
  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const state of this.keys.values()) {
      const last = state.waiting?.waiters[0] ?? state.current;
      if (last) pending.push(last.promise.catch(() => undefined));
    }
    await Promise.all(pending);
  }

  private async drain(key: K, state: KeyState): Promise<void> {
    while (state.waiting) {
      const { write, waiters } = state.waiting;
      state.waiting = undefined;
      const done = deferred();
      state.current = done;
      try {
        await write();
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
      done.resolve();
      state.current = undefined;
    }
    this.keys.delete(key);
  }
}

interface KeyState {
  waiting: { write: () => Promise<void>; waiters: Deferred[] } | undefined;
  current?: Deferred;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A submitter that does not await must not cause an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
