import type { SimTableName } from '../../../src/simulator/index.js';
import type { Harness } from '../../support/operator-harness.js';
import { differences, staleMembers, type Expected } from './support.js';

/** What a reliability test reports, each counted by looking at the FortiGate, never assumed. */
export interface AuditFigures {
  /** Objects that had to stay (ours or foreign) seen missing at any sample, plus wanted objects still missing when a scenario settled. */
  objectsLost: number;
  /** Members of ours, not wanted, still in a group when a scenario settled. */
  staleMembers: number;
  /** Foreign objects (no marker of this cluster) whose content changed, apart from our members in them. */
  foreignTouched: number;
}

const TABLES: SimTableName[] = [
  'firewall/address',
  'firewall/addrgrp',
  'firewall/address6',
  'firewall/addrgrp6',
  'firewall/policy',
];
const SAMPLE_MS = 100;

/**
 * An independent check of the simulator's state against the test's model, sampled every 100 ms
 * while a test runs. It knows nothing of the operator: it reads the simulator's tables and the
 * test's expectations, so every figure it reports could be non-zero.
 */
export class Audit {
  private readonly lost = new Set<string>();
  private readonly touched = new Set<string>();
  private stale = 0;
  private foreign = new Map<string, string>();
  private held: Expected | undefined;
  private adminEditing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly h: Harness,
    private readonly clusterName: string,
  ) {}

  /** Takes the foreign baseline (the firewall admin's objects as they are now) and starts sampling. */
  begin(): this {
    this.rebaseline();
    this.timer ??= setInterval(() => this.sample(), SAMPLE_MS);
    return this;
  }

  /** The admin changed their own objects on purpose: from now on, compare with this state. */
  rebaseline(): void {
    this.foreign = this.foreignState();
  }

  /**
   * The admin edits their own objects: no sample compares the foreign objects until the edit is done
   * and taken as the new baseline (a sample between the write and `rebaseline()` would count it).
   */
  async adminEdit<T>(edit: () => Promise<T>): Promise<T> {
    this.adminEditing = true;
    try {
      return await edit();
    } finally {
      this.rebaseline();
      this.adminEditing = false;
    }
  }

  /**
   * Objects that must stay at every instant from now on (what is wanted both before and after the
   * change about to happen); `undefined` ends the hold.
   */
  hold(expected: Expected | undefined): void {
    this.held = expected;
  }

  /**
   * Waits (up to `timeoutMs`) for the FortiGate to match `expected`, then counts what is still
   * missing or stale. Never throws: the caller asserts on the returned differences, so a failed
   * scenario is counted in the figures before the test fails.
   */
  async settle(expected: () => Expected, timeoutMs = 45_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let diff = differences(this.h, this.clusterName, expected());
    while (diff.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      diff = differences(this.h, this.clusterName, expected());
    }
    this.sample();
    const want = expected();
    for (const d of diff) if (d.startsWith('missing')) this.lost.add(`settled: ${d}`);
    for (const [group, members] of want.groups) {
      const have = new Set(this.h.members(group) ?? []);
      for (const m of members) if (!have.has(m)) this.lost.add(`settled: ${group} lacks ${m}`);
    }
    this.stale += staleMembers(this.h, this.clusterName, want);
    return diff;
  }

  figures(): AuditFigures {
    return { objectsLost: this.lost.size, staleMembers: this.stale, foreignTouched: this.touched.size };
  }

  /** Lost and touched objects by name, for the failure message and the figures' notes. */
  details(): string[] {
    return [...this.lost, ...[...this.touched].map((t) => `foreign changed: ${t}`)];
  }

  end(): AuditFigures {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.figures();
  }

  private sample(): void {
    const now = this.adminEditing ? this.foreign : this.foreignState();
    for (const [key, before] of this.foreign) {
      const after = now.get(key);
      if (after === undefined) this.lost.add(`foreign ${key}`);
      else if (after !== before) this.touched.add(key);
    }
    if (!this.held) return;
    for (const [name] of this.held.addresses) {
      if (!this.h.address(name)) this.lost.add(`address ${name}`);
    }
    for (const [group, members] of this.held.groups) {
      const have = new Set(this.h.members(group) ?? []);
      for (const m of members) if (!have.has(m)) this.lost.add(`${group} member ${m}`);
    }
  }

  /** Every object without this cluster's marker, as JSON; groups without our members in them. */
  private foreignState(): Map<string, string> {
    const marker = `[fortisync:${this.clusterName}]`;
    const isOurs = (o: Record<string, unknown>): boolean => String(o.comment ?? '').startsWith(marker);
    const out = new Map<string, string>();
    const ours = new Set<string>();
    for (const table of TABLES) {
      for (const o of this.h.sim.state.list(table)) if (isOurs(o)) ours.add(String(o.name));
    }
    for (const table of TABLES) {
      for (const o of this.h.sim.state.list(table)) {
        if (isOurs(o)) continue;
        const members = o.member as { name: string }[] | undefined;
        const view = members
          ? { ...o, member: members.filter((m) => !ours.has(m.name) && m.name !== 'none') }
          : o;
        out.set(`${table}/${String(o.name ?? o.policyid)}`, JSON.stringify(view));
      }
    }
    return out;
  }
}
