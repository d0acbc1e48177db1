export interface FaultMatch {
  method?: string;
  /** `firewall/address`, `monitor/system/status`, `cmdb` (transactions). */
  table?: string;
  mkey?: string;
  pathPrefix?: string;
}

export type FaultAction =
  /** Answers this status; with `fortiosCode` a CLI error envelope, 401/429 the HTML page. */
  | { type: 'error'; status: number; fortiosCode?: number; cliError?: string }
  /** Never answers (or drops the connection after `ms`). */
  | { type: 'hang'; ms?: number }
  /** Destroys the connection without an answer. */
  | { type: 'reset' }
  | { type: 'latency'; ms: number; jitterMs?: number };

/** `A` is the simulator's own action type (the FortiManager simulator has JSON-RPC ones). */
export interface FaultRule<A = FaultAction> {
  match?: FaultMatch;
  action: A;
  /** Chance in [0, 1] that a matching request is hit; 1 when omitted. */
  probability?: number;
  /** Hits after which the rule retires; unlimited when omitted. */
  times?: number;
}

export interface ActiveFault<A = FaultAction> extends FaultRule<A> {
  id: string;
  hits: number;
}

export interface FaultSettings<A = FaultAction> {
  latency: { ms: number; jitterMs: number };
  /** Single-entry GETs of a just-created entry that answer 404 before it shows. */
  notFoundAfterCreate: { reads: number };
  rules: ActiveFault<A>[];
}

export interface FaultTarget {
  method: string;
  path: string;
  table?: string;
  mkey?: string;
}

/** Faults to inject: global latency, read-your-write lag and rules matched per request. */
export class FaultInjector<A = FaultAction> {
  private rules: ActiveFault<A>[] = [];
  private nextId = 1;
  private latency: { ms: number; jitterMs: number };
  private hiddenReads = 0;
  private readonly hidden = new Map<string, number>();

  constructor(
    private readonly random: () => number,
    private readonly baseLatency: { ms: number; jitterMs: number },
  ) {
    this.latency = { ...baseLatency };
  }

  addRule(rule: FaultRule<A>): string {
    const probability = rule.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) throw new RangeError('probability must be within [0, 1]');
    const id = `f${this.nextId++}`;
    this.rules.push({ ...rule, id, hits: 0 });
    return id;
  }

  removeRule(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  setLatency(ms: number, jitterMs = 0): void {
    if (!(ms >= 0 && jitterMs >= 0)) throw new RangeError('latency must be non-negative');
    this.latency = { ms, jitterMs };
  }

  notFoundAfterCreate(reads: number): void {
    if (!(Number.isInteger(reads) && reads >= 0))
      throw new RangeError('reads must be a non-negative integer');
    this.hiddenReads = reads;
  }

  /** Back to the start-up settings: the configured latency and no rules. */
  clear(): void {
    this.rules = [];
    this.latency = { ...this.baseLatency };
    this.hiddenReads = 0;
    this.hidden.clear();
  }

  settings(): FaultSettings<A> {
    return {
      latency: { ...this.latency },
      notFoundAfterCreate: { reads: this.hiddenReads },
      rules: this.rules.map((r) => ({ ...r })),
    };
  }

  /** Added delay for one request: the configured latency plus uniform jitter. */
  latencyMs(): number {
    return this.latency.ms + (this.latency.jitterMs > 0 ? this.random() * this.latency.jitterMs : 0);
  }

  /** The first rule that matches and fires for this request, counting the hit. */
  pick(target: FaultTarget): ActiveFault<A> | undefined {
    for (const rule of this.rules) {
      if (!matches(rule.match, target)) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if ((rule.probability ?? 1) < 1 && this.random() >= (rule.probability ?? 1)) continue;
      rule.hits++;
      return rule;
    }
    return undefined;
  }

  recordCreate(vdom: string, table: string, mkey: string): void {
    if (this.hiddenReads > 0) this.hidden.set(hiddenKey(vdom, table, mkey), this.hiddenReads);
  }

  /** Whether this read of a fresh entry should still answer 404 (and counts it). */
  hideOnRead(vdom: string, table: string, mkey: string): boolean {
    const key = hiddenKey(vdom, table, mkey);
    const left = this.hidden.get(key);
    if (left === undefined) return false;
    if (left <= 1) this.hidden.delete(key);
    else this.hidden.set(key, left - 1);
    return true;
  }
}

function matches(match: FaultMatch | undefined, target: FaultTarget): boolean {
  if (!match) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== target.method) return false;
  if (match.table !== undefined && match.table !== target.table) return false;
  if (match.mkey !== undefined && match.mkey !== target.mkey) return false;
  if (match.pathPrefix !== undefined && !target.path.startsWith(match.pathPrefix)) return false;
  return true;
}

function hiddenKey(vdom: string, table: string, mkey: string): string {
  return `${vdom}\u0000${table}\u0000${mkey}`;
}

/** A small seeded PRNG (mulberry32) so fault probabilities and jitter are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
