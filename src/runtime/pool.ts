/**
 * Runs `fn` over `items` with at most `limit` in flight. After the first failure no new item
 * starts; the ones in flight finish, then the first failure is rethrown.
 */
export async function inPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * A bound on tasks in flight shared by tasks that start at different times (each when what it
 * depends on is done), in the order they ask. As with `inPool`, after the first failure no new task
 * starts; `run` itself never rejects, so a dependant can wait on it, and `rethrow` reports the
 * first failure once everything has settled.
 */
export class TaskLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async run(fn: () => Promise<void>): Promise<void> {
    await this.slot();
    try {
      if (this.failure === undefined) await fn();
    } catch (error) {
      this.failure ??= { error };
    } finally {
      this.release();
    }
  }

  /** Throws the first failure of any task run so far. */
  rethrow(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  private async slot(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    // The slot is handed over by `release`, which leaves `active` as it is.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
