/**
 * A wake-up for one waiter: `wait` resolves at the next `notify`, or at once if one came since the
 * last `wait` returned. Notifications in between collapse into one (the waiter looks at what
 * changed, not at how many times).
 */
export class Signal {
  private pending = false;
  private waiter: (() => void) | undefined;

  notify(): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.pending = true;
      return;
    }
    this.waiter = undefined;
    waiter();
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
