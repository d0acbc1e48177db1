/** One pod event waiting for the syncs that apply it. */
interface Pending {
  atMs: number;
  /** Its mappings no sync has dealt with yet. */
  open: number;
  /** When the last write for its mappings so far was acknowledged. */
  ackedMs?: number;
  /** Measured, or dropped (beyond the cap). */
  done: boolean;
}

/** A device's waiting events, in arrival order and by mapping. */
interface DeviceEvents {
  inOrder: Pending[];
  byMapping: Map<string, Pending[]>;
  live: number;
}

/** What one sync (or one batch of it, ADR 0009) dealt with. */
export interface Handled {
  /** When it took the changes seen so far: later events are not its. */
  startedMs: number;
  /** The mappings it recomputed; 'all' after a whole computation. */
  mappings: ReadonlySet<string> | 'all';
  /** Mapping → when the last write for it was acknowledged (the ones it wrote for). */
  written: ReadonlyMap<string, number>;
}

/**
 * When each pod event that may change a device arrived, until the syncs of that device apply it:
 * the operator's own share of propagation, one observation per event (issue 19).
 *
 * A sync deals with the mappings it recomputed, for the events that arrived before it took them; an
 * event arriving later, or whose mapping a sync left for the next one (it waited for writes in
 * flight), waits, and its latency says so. Once every mapping of an event has been dealt with, it
 * is measured up to the acknowledgement of the last write for its mappings, if any was written; an
 * event that changed nothing on the device is not measured. A sync that fails deals with nothing:
 * its events stay and are measured by the sync that finally applies them, retries included.
 */
export class PendingChanges {
  private readonly byDevice = new Map<string, DeviceEvents>();

  /** Beyond this many waiting events per device the oldest are dropped (a device down for long). */
  constructor(private readonly maxPerDevice = 100_000) {}

  seen(device: string, mappings: readonly string[], atMs: number): void {
    let d = this.byDevice.get(device);
    if (!d) this.byDevice.set(device, (d = { inOrder: [], byMapping: new Map(), live: 0 }));
    const event: Pending = { atMs, open: mappings.length, done: false };
    d.inOrder.push(event);
    d.live++;
    for (const m of mappings) {
      const list = d.byMapping.get(m);
      if (list) list.push(event);
      else d.byMapping.set(m, [event]);
    }
    if (d.live > this.maxPerDevice) this.dropOldest(d, d.live - this.maxPerDevice);
  }

  /** Deals with the sync's mappings; returns the latencies (ms) of the events it completed. */
  appliedBy(device: string, h: Handled): number[] {
    const d = this.byDevice.get(device);
    if (!d) return [];
    const latencies: number[] = [];
    const keys = h.mappings === 'all' ? [...d.byMapping.keys()] : h.mappings;
    for (const m of keys) {
      const list = d.byMapping.get(m);
      if (!list) continue;
      // Arrival order: the events it covers are a prefix.
      let n = 0;
      while (n < list.length && (list[n] as Pending).atMs <= h.startedMs) n++;
      if (n === 0) continue;
      const mine = list.splice(0, n);
      if (list.length === 0) d.byMapping.delete(m);
      const acked = h.written.get(m);
      for (const e of mine) {
        if (e.done) continue;
        if (acked !== undefined) e.ackedMs = Math.max(acked, e.ackedMs ?? acked);
        if (--e.open > 0) continue;
        e.done = true;
        d.live--;
        if (e.ackedMs !== undefined) latencies.push(e.ackedMs - e.atMs);
      }
    }
    this.trim(d, device);
    return latencies;
  }

  /** A deleted device's events will never be applied. */
  forget(device: string): void {
    this.byDevice.delete(device);
  }

  private dropOldest(d: DeviceEvents, count: number): void {
    for (const e of d.inOrder) {
      if (count === 0) break;
      if (e.done) continue;
      e.done = true;
      d.live--;
      count--;
    }
  }

  /** Forgets the events done at the front of the arrival order (the lists skip done ones). */
  private trim(d: DeviceEvents, device: string): void {
    let n = 0;
    while (n < d.inOrder.length && (d.inOrder[n] as Pending).done) n++;
    if (n > 0) d.inOrder.splice(0, n);
    if (d.inOrder.length === 0) this.byDevice.delete(device);
  }
}
