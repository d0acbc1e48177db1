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
   * Removes the device's events that arrived in `covered` (after `from`, when given, and at or
   * before `to`: a sync's start); returns, for those whose mappings are among `written`, the time
   * from arrival to the acknowledgement of the last write for their mappings (`written`: mapping →
   * when). A sync started beside an earlier one covers only what arrived since that one started:
   * the earlier events are the earlier sync's, whenever it ends.
   */
  appliedBy(
    device: string,
    covered: { from?: number | undefined; to: number },
    written: ReadonlyMap<string, number>,
  ): number[] {
    const events = this.byDevice.get(device);
    if (!events) return [];
    // Arrival times are pushed in clock order, so the covered ones are a contiguous run.
    const after = (e: { atMs: number }): boolean => covered.from === undefined || e.atMs > covered.from;
    let first = 0;
    while (first < events.length && !after(events[first] as { atMs: number })) first++;
    let end = first;
    while (end < events.length && (events[end] as { atMs: number }).atMs <= covered.to) end++;
    const mine = events.splice(first, end - first);
    if (events.length === 0) this.byDevice.delete(device);
    const latencies: number[] = [];
    for (const e of mine) {
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
