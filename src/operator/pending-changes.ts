/**
 * When each pod event that may change a device arrived, until a sync of that device applies it:
 * the operator's own share of propagation, one observation per event (issue 19).
 *
 * A sync covers the events that arrived before it started; one arriving during a sync waits for the
 * next, and its latency says so. A sync that fails covers nothing: the events stay and are measured
 * by the sync that finally applies them, retries included.
 */
export class PendingChanges {
  private readonly byDevice = new Map<string, number[]>();

  /** Beyond this many waiting events per device the oldest are dropped (a device down for long). */
  constructor(private readonly maxPerDevice = 100_000) {}

  seen(device: string, atMs: number): void {
    let times = this.byDevice.get(device);
    if (!times) {
      times = [];
      this.byDevice.set(device, times);
    }
    times.push(atMs);
    if (times.length > this.maxPerDevice) times.splice(0, times.length - this.maxPerDevice);
  }

  /** Removes and returns the arrival times of the device's events that arrived at or before `startedMs`. */
  coveredBy(device: string, startedMs: number): number[] {
    const times = this.byDevice.get(device);
    if (!times) return [];
    // Arrival times are pushed in clock order, so the covered ones are a prefix.
    let n = 0;
    while (n < times.length && (times[n] as number) <= startedMs) n++;
    const covered = times.splice(0, n);
    if (times.length === 0) this.byDevice.delete(device);
    return covered;
  }

  /** A deleted device's events will never be applied. */
  forget(device: string): void {
    this.byDevice.delete(device);
  }
}
