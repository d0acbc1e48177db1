import type { SimulatorHandle } from '../../src/simulator/index.js';
import type { ClusterModel } from './cluster.js';

const GROUP_PATH = '/api/v2/cmdb/firewall/addrgrp/';

export interface Req {
  t: number;
  method: string;
  table: string;
  path: string;
  write: boolean;
  /** For requests on firewall/addrgrp/<group>…: the group. */
  group?: string;
  /** The member a child-endpoint write names (POST …/member body or DELETE …/member/<m>). */
  member?: string;
  status: number;
  durationMs: number;
}

/**
 * Drains the simulator's request log (so it never grows large and reading it stays cheap) into a
 * compact record of every FortiOS call, with per-group write times.
 */
export class RequestRecorder {
  readonly all: Req[] = [];
  private readonly groupWrites = new Map<string, Req[]>();

  constructor(private readonly sim: SimulatorHandle) {}

  private written = new Set<string>();

  /** Groups written since the last call (whoever drained the log meanwhile). */
  takeWrittenGroups(): Set<string> {
    const w = this.written;
    this.written = new Set();
    return w;
  }

  /** Moves new log entries into the record. */
  drain(): void {
    const written = this.written;
    const entries = this.sim.requestLog.entries();
    if (entries.length === 0) return;
    this.sim.requestLog.clear();
    for (const e of entries) {
      if (e.path.startsWith('/__sim')) continue;
      const r: Req = {
        t: e.timestampMs,
        method: e.method,
        table: e.table ?? '',
        path: e.path,
        write: e.method !== 'GET',
        status: e.status,
        durationMs: e.durationMs,
      };
      if (e.path.startsWith(GROUP_PATH)) {
        const rest = e.path
          .slice(GROUP_PATH.length)
          .split('/')
          .map((s) => decodeURIComponent(s));
        r.group = rest[0];
        if (rest[1] === 'member') {
          if (rest[2] !== undefined) r.member = rest[2];
          else if (e.body) r.member = /"name"\s*:\s*"([^"]*)"/.exec(e.body)?.[1];
        }
        if (r.write && r.group) {
          written.add(r.group);
          let list = this.groupWrites.get(r.group);
          if (!list) this.groupWrites.set(r.group, (list = []));
          list.push(r);
        }
      }
      this.all.push(r);
    }
  }

  /** When the write that made this change was applied: the matching member write, else the last write to the group in (t0, at]. */
  applyTime(
    group: string,
    member: string,
    kind: 'add' | 'remove',
    t0: number,
    at: number,
  ): { t: number; exact: boolean } | undefined {
    const list = this.groupWrites.get(group) ?? [];
    let last: Req | undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const r = list[i] as Req;
      if (r.t > at) continue;
      if (r.t < t0) break;
      if (
        r.status >= 200 &&
        r.status < 300 &&
        r.member === member &&
        (kind === 'add' ? r.method === 'POST' : r.method === 'DELETE')
      ) {
        return { t: r.t, exact: true };
      }
      last ??= r;
    }
    return last ? { t: last.t, exact: false } : undefined;
  }

  lastWriteMs(): number | undefined {
    for (let i = this.all.length - 1; i >= 0; i--)
      if ((this.all[i] as Req).write) return (this.all[i] as Req).t;
    return undefined;
  }

  since(t: number, until = Number.POSITIVE_INFINITY): Req[] {
    return this.all.filter((r) => r.t >= t && r.t <= until);
  }
}

export interface Expectation {
  group: string;
  member: string;
  kind: 'add' | 'remove';
  /** Pod (a Pod-mode member) or node (a Node-mode member whose node joins or leaves). */
  cls: 'pod' | 'node';
  t0: number;
}

export interface Observation extends Expectation {
  latencyMs: number;
  /** How the apply time was found: the member's own write in the log, another write to the group, or the poll. */
  source: 'member-write' | 'group-write' | 'poll';
}

/** Watches the in-process simulator state for expected member changes and times them. */
export class MembershipTracker {
  readonly observed: Observation[] = [];
  superseded = 0;
  private readonly pending = new Map<string, Map<string, Expectation>>();
  /** Groups to look at on the next poll: written since the last one, or with a new expectation. */
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sim: SimulatorHandle,
    private readonly requests: RequestRecorder,
    private readonly pollMs = 5,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.poll(), this.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  expect(e: Expectation): void {
    let g = this.pending.get(e.group);
    if (!g) this.pending.set(e.group, (g = new Map()));
    if (g.has(e.member)) this.superseded++; // the opposite change came first: only the latest counts
    g.set(e.member, e);
    this.dirty.add(e.group);
  }

  pendingCount(): number {
    let n = 0;
    for (const g of this.pending.values()) n += g.size;
    return n;
  }

  pendingList(): Expectation[] {
    return [...this.pending.values()].flatMap((g) => [...g.values()]);
  }

  poll(): void {
    if (this.pending.size === 0) return;
    const at = Date.now();
    this.requests.drain();
    for (const g of this.requests.takeWrittenGroups()) this.dirty.add(g);
    // A group changes only through a write: reading (cloning) only written groups keeps the
    // simulator, which shares this process, as fast as it would be on its own.
    const groups = [...this.dirty];
    this.dirty.clear();
    for (const group of groups) {
      const exps = this.pending.get(group);
      if (!exps) continue;
      const entry = this.sim.state.get('firewall/addrgrp', group);
      const members = new Set(((entry?.member as { name: string }[] | undefined) ?? []).map((m) => m.name));
      for (const [member, e] of exps) {
        const present = members.has(member);
        if ((e.kind === 'add') !== present) continue;
        const applied = this.requests.applyTime(group, member, e.kind, e.t0, at);
        const t1 = applied?.t ?? at;
        this.observed.push({
          ...e,
          latencyMs: Math.max(0, t1 - e.t0),
          source: applied ? (applied.exact ? 'member-write' : 'group-write') : 'poll',
        });
        exps.delete(member);
      }
      if (exps.size === 0) this.pending.delete(group);
    }
  }
}

/** Groups whose members on the simulator differ from the model (0 = converged). */
export function mismatchedGroups(sim: SimulatorHandle, model: ClusterModel): string[] {
  const bad: string[] = [];
  for (const m of model.mappings) {
    const want = model.members(m);
    const entry = sim.state.get('firewall/addrgrp', m.group);
    if (!entry) {
      bad.push(m.group);
      continue;
    }
    const have = ((entry.member as { name: string }[] | undefined) ?? [])
      .map((x) => x.name)
      .filter((n) => n !== 'none');
    if (have.length !== want.size || have.some((n) => !want.has(n))) bad.push(m.group);
  }
  return bad;
}
