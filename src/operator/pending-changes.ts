/**
 * When each pod event that may change a device arrived, until a sync of that device applies it:
 * the operator's own share of propagation, one observation per event (issue 19).
 *
 * A sync covers the events that arrived before it started; one arriving during a sync waits for the
 * next, and its latency says so. Of the covered events, those whose mappings' groups the sync wrote
 * are measured, up to the acknowledgement of the last of those writes; the others changed nothing
 * on the device. A sync that fails covers nothing: its events stay and are measured by the sync
 * that finally applies them, retries included.
 */
export class PendingChanges {
  private readonly byDevice = new Map<string, { atMs: number; mappings: readonly string[] }[]>();

  /** Beyond this many waiting events per device the oldest are dropped (a device down for long). */
  constructor(private readonly maxPerDevice = 100_000) {}

  seen(device: string, mappings: readonly string[], atMs: number): void {
    let events = this.byDevice.get(device);
    if (!events) {
      events = [];
      this.byDevice.set(device, events);
    }
    events.push({ atMs, mappings });
    if (events.length > this.maxPerDevice) events.splice(0, events.length - this.maxPerDevice);
  }

  /**
   * Removes the device's events that arrived at or before `startedMs`; returns, for those whose
   * mappings are among `written`, the time from arrival to the acknowledgement of the last write
   * for their mappings (`written`: mapping → when).
   */
  appliedBy(device: string, startedMs: number, written: ReadonlyMap<string, number>): number[] {
    const events = this.byDevice.get(device);
    if (!events) return [];
    // Arrival times are pushed in clock order, so the covered ones are a prefix.
    let n = 0;
    while (n < events.length && (events[n] as { atMs: number }).atMs <= startedMs) n++;
    const covered = events.splice(0, n);
    if (events.length === 0) this.byDevice.delete(device);
    const latencies: number[] = [];
    for (const e of covered) {
      let acked: number | undefined;
      for (const m of e.mappings) {
        const at = written.get(m);
        if (at !== undefined) acked = Math.max(at, acked ?? at);
      }
      if (acked !== undefined) latencies.push(acked - e.atMs);
    }
    return latencies;
  }

  /** A deleted device's events will never be applied. */
  forget(device: string): void {
    this.byDevice.delete(device);
  }
}
