import { DEFAULT_MAX_CONCURRENT_REQUESTS } from '../src/api/v1alpha1/fortigate-device.js';
import {
  ClusterDriver,
  ClusterModel,
  mappingsSettled,
  nodeName,
  type BenchMapping,
  type BenchPod,
  type Mode,
} from './lib/cluster.js';
import { OperatorProc, startEnv, type BenchEnv } from './lib/env.js';
import {
  bucketQuantile,
  bucketsSince,
  eventLoopDelay,
  scrapePropagation,
  WatchArrivals,
  type Buckets,
} from './lib/own-latency.js';
import { heapSnapshot, scale } from './scale.js';
import { inPool } from '../src/runtime/pool.js';
import { distribution, median, mulberry32, round, type Distribution } from './lib/stats.js';
import {
  MembershipTracker,
  mismatchedGroups,
  RequestRecorder,
  type Observation,
  type Req,
} from './lib/tracker.js';

export type ScenarioName = 'churn' | 'burst' | 'cold-start' | 'restart' | 'steady' | 'scale';
export const SCENARIOS: ScenarioName[] = ['churn', 'burst', 'cold-start', 'restart', 'steady', 'scale'];

export interface ScenarioOptions {
  latencyMs: number;
  nodes?: number;
  pods?: number;
  mappings?: number;
  /** Seconds: churn length, or the steady observation window. */
  duration?: number;
  /** Pod creations (and as many deletions) per second during churn. */
  rate?: number;
  driftSeconds?: number;
  /** scale: seconds between the bench's scrapes of the operator's /metrics in the steady window. */
  scrapeSeconds?: number;
  /** Write the operator's CPU profile (and allow heap snapshots with SIGUSR2) into this directory. */
  profileDir?: string;
  log?: (msg: string) => void;
}

/** One figure of the table: observed against what an ideal system would need. */
export interface Figure {
  figure: string;
  unit: string;
  observed: number | null;
  floor: number | null;
  ratio: number | null;
  target?: string;
  met?: boolean;
  note?: string;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  latencyMs: number;
  params: Record<string, number>;
  figures: Figure[];
  distributions: Record<string, Distribution | undefined>;
  counts: Record<string, number>;
  resources: {
    peakRssMB: number;
    cpuSeconds: number;
    rssPer1000PodsMB: number;
    /** [seconds since the operator started, RSS in MB], one sample per second (where the peak happens). */
    rssTimeline?: [number, number][];
    /** scale: [seconds since spawn, V8 heap used MB, committed MB] at each /metrics scrape. */
    heapTimeline?: [number, number, number][];
  };
  operatorWarnings: string[];
  wallSeconds: number;
}

/** Operations an ideal system may run against one FortiGate at once (fortisync's default). */
const IDEAL_CONCURRENCY = DEFAULT_MAX_CONCURRENT_REQUESTS;
const QUIET_MS = 2000;

export function figure(
  name: string,
  unit: string,
  observed: number | null | undefined,
  floor: number | null | undefined,
  target?: { text: string; ok: (v: number, ratio: number | null) => boolean },
  note?: string,
): Figure {
  const obs = observed ?? null;
  const fl = floor ?? null;
  const ratio = obs !== null && fl !== null && fl > 0 ? round(obs / fl, 1) : null;
  return {
    figure: name,
    unit,
    observed: obs === null ? null : round(obs),
    floor: fl === null ? null : round(fl),
    ratio,
    ...(target ? { target: target.text, met: obs !== null && target.ok(obs, ratio) } : {}),
    ...(note ? { note } : {}),
  };
}

/** The Node/Pod layout: mapping i is Pod mode when i is even; pods of Node-mode mappings sit on 5 nodes each. */
export function layoutCluster(
  model: ClusterModel,
  nodes: number,
  pods: number,
  mappings: number,
): BenchPod[] {
  for (let i = 0; i < mappings; i++) model.addMapping(i % 2 === 0 ? 'Pod' : 'Node');
  const out: BenchPod[] = [];
  for (let j = 0; j < pods; j++) {
    const i = j % mappings;
    const k = Math.floor(j / mappings);
    const m = model.mappings[i] as BenchMapping;
    const node = m.mode === 'Pod' ? nodeName((j * 7) % nodes) : nodeName((i * 5 + (k % 5)) % nodes);
    out.push(model.newPod(i, node));
  }
  return out;
}

class Run {
  readonly requests: RequestRecorder;
  readonly tracker: MembershipTracker;
  readonly driver: ClusterDriver;
  operator: OperatorProc | undefined;
  private readonly started = Date.now();
  private operators = 0;

  constructor(
    readonly env: BenchEnv,
    readonly model: ClusterModel,
    readonly opts: ScenarioOptions,
  ) {
    this.requests = new RequestRecorder(env.sim);
    this.tracker = new MembershipTracker(env.sim, this.requests);
    this.driver = new ClusterDriver(env, model);
  }

  log(msg: string): void {
    this.opts.log?.(`[${((Date.now() - this.started) / 1000).toFixed(1)}s] ${msg}`);
  }

  async setup(pods: BenchPod[], running: boolean): Promise<void> {
    const nodes = this.opts.nodes ?? 50;
    await this.driver.createNamespaces();
    await this.driver.createNodes(nodes);
    await inPool(this.model.mappings, 16, (m) => this.driver.createMapping(m));
    this.log(`created ${nodes} nodes, ${this.model.mappings.length} mappings; creating ${pods.length} pods`);
    await this.driver.createPods(pods, running);
    this.log(`created ${pods.length} pods`);
  }

  startOperator(): OperatorProc {
    this.operators++;
    this.operator = OperatorProc.start(this.env, {
      ...(this.opts.profileDir ? { cpuProfDir: this.opts.profileDir, heapSnapshot: true } : {}),
      name: `operator-${this.operators}`,
    });
    return this.operator;
  }

  /**
   * Waits until the operator's first pass over the mappings is over (every mapping has its
   * finalizer and is Ready for its generation) and no mapping was written for QUIET_MS: at 5,000
   * mappings that pass outlasts the FortiOS convergence by about 40 s, and a churn window that
   * overlaps it charges its 10,000 writes to the pod events. Returns the milliseconds it waited,
   * or undefined if the mappings did not settle in time (the run goes on; the result says so).
   */
  async settleMappings(timeoutMs: number): Promise<number | undefined> {
    const start = Date.now();
    let last = { resourceVersion: '', atMs: start };
    let lastReport = start;
    while (Date.now() - start < timeoutMs) {
      const s = await mappingsSettled(this.env.custom);
      const now = Date.now();
      if (s.resourceVersion !== last.resourceVersion)
        last = { resourceVersion: s.resourceVersion, atMs: now };
      if (s.settled === s.total && now - last.atMs >= QUIET_MS) return now - start;
      if (now - lastReport > 10_000) {
        lastReport = now;
        this.log(`mappings: ${s.settled} of ${s.total} settled`);
      }
      await sleep(500);
    }
    this.log(`mappings did not settle within ${timeoutMs} ms; churning anyway`);
    return undefined;
  }

  /**
   * Waits until every group holds what the model says and nothing was written for QUIET_MS (and,
   * with `needRead`, the operator has read the device at least once since `since`).
   */
  async converge(
    since: number,
    timeoutMs: number,
    needRead = false,
  ): Promise<{ atMs: number; lastRequestMs: number }> {
    const deadline = Date.now() + timeoutMs;
    let lastReport = 0;
    for (;;) {
      this.requests.drain();
      const reqs = this.requests.since(since);
      const lastWrite = reqs.filter((r) => r.write).pop()?.t ?? since;
      const lastReq = reqs[reqs.length - 1]?.t ?? since;
      const bad = mismatchedGroups(this.env.sim, this.model);
      const read = !needRead || reqs.some((r) => !r.write && r.path.endsWith('/firewall/address'));
      if (
        bad.length === 0 &&
        read &&
        Date.now() - lastWrite >= QUIET_MS &&
        this.tracker.pendingCount() === 0
      ) {
        return { atMs: lastWrite, lastRequestMs: lastReq };
      }
      if (this.operator?.proc.hasExited())
        throw new Error(`operator exited: ${this.operatorWarnings().slice(-5).join(' | ')}`);
      if (Date.now() > deadline) {
        throw new Error(
          `not converged after ${timeoutMs} ms: ${bad.length} group(s) differ (${bad.slice(0, 5).join(', ')}), ${this.tracker.pendingCount()} expectation(s) pending; operator: ${this.operatorWarnings().slice(-3).join(' | ')}`,
        );
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        this.log(`converging: ${bad.length} group(s) differ, ${reqs.length} requests so far`);
      }
      await sleep(200);
    }
  }

  operatorWarnings(): string[] {
    return (this.operator?.logLines() ?? [])
      .filter(
        (l) =>
          l.level === 'warn' || l.level === 'error' || l.message === undefined || typeof l.level !== 'string',
      )
      .map((l) =>
        `${String(l.level ?? '')} ${String(l.message ?? '')} ${String(l.error ?? l.err ?? '')}`.trim(),
      )
      .slice(-50);
  }

  /** Per-call cost (the simulator's own duration of write calls, latency included). */
  callMs(reqs: Req[]): number {
    const writes = reqs.filter((r) => r.write).map((r) => r.durationMs);
    return Math.max(
      median(writes.length > 0 ? writes : reqs.map((r) => r.durationMs)),
      this.opts.latencyMs,
      0.1,
    );
  }

  resources(pods: number): ScenarioResult['resources'] {
    const r = this.operator?.resources() ?? { peakRssMB: 0, cpuSeconds: 0, lastRssMB: 0 };
    return {
      peakRssMB: r.peakRssMB,
      cpuSeconds: r.cpuSeconds,
      rssPer1000PodsMB: pods > 0 ? round(r.peakRssMB / (pods / 1000), 1) : 0,
      ...(this.operator ? { rssTimeline: this.operator.rssTimeline(1000) } : {}),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function split(reqs: Req[]): { reads: number; writes: number; groupWrites: number } {
  let reads = 0;
  let writes = 0;
  let groupWrites = 0;
  for (const r of reqs) {
    if (r.write) writes++;
    else reads++;
    if (r.write && r.group) groupWrites++;
  }
  return { reads, writes, groupWrites };
}

function latencies(obs: Observation[], kind: 'add' | 'remove', cls?: 'pod' | 'node'): number[] {
  return obs.filter((o) => o.kind === kind && (cls === undefined || o.cls === cls)).map((o) => o.latencyMs);
}

const under = (limit: number) => (v: number) => v < limit;

export async function runScenario(name: ScenarioName, opts: ScenarioOptions): Promise<ScenarioResult[]> {
  switch (name) {
    case 'churn':
      return [await churn(opts)];
    case 'burst':
      return [await burst(opts)];
    case 'steady':
      return [await steady(opts)];
    case 'cold-start':
      return coldAndRestart(opts, false);
    case 'restart':
      return coldAndRestart(opts, true);
    case 'scale':
      return scale(opts);
  }
}

async function withEnv<T>(
  opts: ScenarioOptions,
  drift: number,
  fn: (env: BenchEnv) => Promise<T>,
): Promise<T> {
  const env = await startEnv(opts.latencyMs, drift);
  try {
    return await fn(env);
  } finally {
    await env.stop();
  }
}

function namespacesFor(mappings: number): string[] {
  return Array.from({ length: Math.max(1, Math.min(10, mappings)) }, (_, i) => `bench-${i}`);
}

/** 50 nodes, 5,000 pods, 100 mappings; then `rate` creations and deletions per second for `duration` s. */
async function churn(opts: ScenarioOptions): Promise<ScenarioResult> {
  const nodes = opts.nodes ?? 50;
  const podCount = opts.pods ?? 5000;
  const mappings = opts.mappings ?? 100;
  const duration = opts.duration ?? 60;
  const rate = opts.rate ?? 20;
  const wall = Date.now();
  return withEnv(opts, opts.driftSeconds ?? 300, async (env) => {
    const model = new ClusterModel(namespacesFor(mappings));
    const run = new Run(env, model, opts);
    await run.setup(layoutCluster(model, nodes, podCount, mappings), true);
    const spawned = Date.now();
    run.startOperator();
    await run.converge(spawned, 300_000);
    const settleMs = await run.settleMappings(300_000);
    run.log(`initial state converged, mappings settled after ${settleMs ?? 'no'} ms more; churning`);
    const arrivals = new WatchArrivals(env.kc);
    await arrivals.start();
    const histogramBefore = await scrapePropagation(env.metricsPort);
    await eventLoopDelay(env.metricsPort); // from here on
    run.tracker.start();
    const churner = new Churner(run, model, nodes);
    const churnStart = Date.now();
    await churner.drive(churnStart, duration, rate);
    const churnEnd = Date.now();
    await run.converge(churnEnd, 120_000).catch((err: Error) => run.log(`after churn: ${err.message}`));
    run.tracker.stop();
    run.tracker.poll();
    arrivals.stop();
    // First: every scrape restarts the event-loop figures.
    const loop = await eventLoopDelay(env.metricsPort);
    const own = bucketsSince(histogramBefore, await scrapePropagation(env.metricsPort));
    const churnCpu = run.operator?.cpuBetween(churnStart, Date.now()) ?? 0;
    const result = churnFigures(run, churner, churnStart, churnEnd);
    result.figures.push(
      figure('operator CPU, churn window', 's', churnCpu, null),
      figure(
        'operator CPU per pod event',
        'ms',
        (1000 * churnCpu) / (churner.created + churner.deleted),
        null,
      ),
    );
    result.figures.push(
      ...latencySplit(
        own,
        churner.apiServerShares(arrivals),
        run.callMs(run.requests.since(churnStart, churnEnd)),
      ),
      // What the operator's own share waits on besides the device: its event loop being busy.
      figure('operator event-loop delay p99 (churn window)', 'ms', round(loop.p99, 1), null),
      figure('operator event-loop delay max (churn window)', 'ms', round(loop.max, 1), null),
      // …and the device itself: the simulator shares a process with the driver, so a call's
      // time beyond the set latency is this machine's, not the operator's.
      ...callDurations(run.requests.since(churnStart, churnEnd)),
    );
    const res = run.resources(podCount);
    // With --profile DIR: a heap snapshot of the operator after the churn, every figure taken.
    if (opts.profileDir && run.operator) {
      const file = await heapSnapshot(run.operator, opts.profileDir);
      run.log(`heap snapshot ${file} (node dist/bench/heap-summary.js ${file})`);
    }
    await run.operator?.stop();
    return {
      scenario: 'churn',
      latencyMs: opts.latencyMs,
      params: { nodes, pods: podCount, mappings, duration, rate },
      figures: [
        ...result.figures,
        figure('operator peak RSS', 'MB', res.peakRssMB, null),
        figure('operator CPU (whole run)', 's', res.cpuSeconds, null),
      ],
      distributions: result.distributions,
      // -1: the mappings did not settle before the churn (its CPU includes the operator's first pass).
      counts: { ...result.counts, mappingsSettledAfterMs: settleMs ?? -1 },
      resources: res,
      operatorWarnings: run.operatorWarnings(),
      wallSeconds: round((Date.now() - wall) / 1000),
    };
  });
}

/** Creates and deletes pods at a steady rate, telling the tracker which group changes to expect. */
class Churner {
  created = 0;
  deleted = 0;
  nodeJoins = 0;
  nodeLeaves = 0;
  podModeEvents = 0;
  /** How far the driver fell behind its schedule at worst. */
  lagMs = 0;
  /** When each pod event's write was sent: its IP (status) or its deletion. */
  private readonly sent: { pod: BenchPod; kind: 'ip' | 'gone'; at: number }[] = [];
  private readonly ready: BenchPod[];
  private readonly young: { pod: BenchPod; at: number }[] = [];
  private readonly rnd = mulberry32(7);

  constructor(
    private readonly run: Run,
    private readonly model: ClusterModel,
    private readonly nodes: number,
  ) {
    this.ready = [...model.pods.values()];
  }

  /** `rate` creations and deletions per second for `duration` seconds from `start`. */
  async drive(start: number, duration: number, rate: number): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const track = (p: Promise<void>): void => {
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    const tickMs = 1000 / rate;
    const ticks = Math.round(duration * rate);
    for (let i = 0; i < ticks; i++) {
      const wait = start + i * tickMs - Date.now();
      if (wait > 0) await sleep(wait);
      else this.lagMs = Math.max(this.lagMs, -wait);
      track(this.createOne());
      track(this.deleteOne());
      if (i % (rate * 10) === 0 && i > 0)
        this.run.log(
          `churn: ${this.created} created, ${this.deleted} deleted, ${this.run.tracker.pendingCount()} pending`,
        );
    }
    await Promise.all([...inflight]);
  }

  private async createOne(): Promise<void> {
    const { model, run } = this;
    const m = model.mappings[Math.floor(this.rnd() * model.mappings.length)] as BenchMapping;
    const node = nodeName(Math.floor(this.rnd() * this.nodes));
    const pod = model.newPod(m.index, node, 'c');
    const joins = m.mode === 'Node' && model.podsOn(m.index, node) === 0;
    if (joins) this.nodeJoins++;
    // Node mode: the node joins as soon as a pod is bound to it; Pod mode: when the pod has its IP.
    const t0 = await driverCreate(run, pod);
    if (joins)
      run.tracker.expect({ group: m.group, member: model.nodeMember(node), kind: 'add', cls: 'node', t0 });
    const t1 = await run.driver.runPod(pod);
    this.sent.push({ pod, kind: 'ip', at: t1 });
    if (m.mode === 'Pod') {
      this.podModeEvents++;
      run.tracker.expect({ group: m.group, member: model.podMember(pod), kind: 'add', cls: 'pod', t0: t1 });
    }
    this.young.push({ pod, at: Date.now() });
    this.created++;
  }

  private async deleteOne(): Promise<void> {
    const { model, run, ready, young } = this;
    // Move pods older than 3 s into the pool of deletable pods (a younger one may still be propagating).
    while (young.length > 0 && Date.now() - (young[0] as { at: number }).at > 3000)
      ready.push((young.shift() as { pod: BenchPod }).pod);
    if (ready.length === 0) return;
    const idx = Math.floor(this.rnd() * ready.length);
    const pod = ready[idx] as BenchPod;
    ready[idx] = ready[ready.length - 1] as BenchPod;
    ready.pop();
    const m = model.mappings[pod.mapping] as BenchMapping;
    const leaves = m.mode === 'Node' && model.podsOn(m.index, pod.node) === 1;
    const member = m.mode === 'Pod' ? model.podMember(pod) : model.nodeMember(pod.node);
    const t0 = await run.driver.deletePod(pod);
    this.sent.push({ pod, kind: 'gone', at: t0 });
    if (m.mode === 'Pod') {
      this.podModeEvents++;
      run.tracker.expect({ group: m.group, member, kind: 'remove', cls: 'pod', t0 });
    } else if (leaves) {
      this.nodeLeaves++;
      run.tracker.expect({ group: m.group, member, kind: 'remove', cls: 'node', t0 });
    }
    this.deleted++;
  }

  /** The API server's share of each event: write sent → the runner's own watch saw it (ms). */
  apiServerShares(arrivals: WatchArrivals): number[] {
    const out: number[] = [];
    for (const { pod, kind, at } of this.sent) {
      const seen =
        kind === 'ip' ? arrivals.ipAt(pod.namespace, pod.name) : arrivals.goneAt(pod.namespace, pod.name);
      if (seen !== undefined) out.push(seen - at);
    }
    return out;
  }
}

/** The simulator's own time per write call (latency included): p50 and p99. */
function callDurations(reqs: Req[]): Figure[] {
  const d = distribution(reqs.filter((r) => r.write).map((r) => r.durationMs));
  return [
    figure('FortiOS write call p50 (simulator, churn window)', 'ms', d?.p50, null),
    figure('FortiOS write call p99 (simulator, churn window)', 'ms', d?.p99, null),
  ];
}

/**
 * The operator's own share (its histogram: watch event arrival → writes acknowledged, every kind of
 * event) beside the API server's (the runner's watch), issue 19's target on the first.
 */
function latencySplit(own: Buckets, apiServer: number[], callMs: number): Figure[] {
  const ms = (q: number): number | undefined => {
    const s = bucketQuantile(q, own);
    return s === undefined ? undefined : s * 1000;
  };
  const api = distribution(apiServer);
  const ownTarget = 2 * callMs + 20;
  return [
    figure('own share p50 (event in → write acked)', 'ms', ms(0.5), callMs),
    figure('own share p99 (event in → write acked)', 'ms', ms(0.99), callMs, {
      text: `≤ 2 calls + 20 ms (${Math.round(ownTarget)} ms)`,
      ok: (v) => v <= ownTarget,
    }),
    figure('own share: events measured', 'n', own[own.length - 1]?.[1] ?? 0, null),
    figure('API server share p50 (sent → watch event)', 'ms', api?.p50, null),
    figure('API server share p99 (sent → watch event)', 'ms', api?.p99, null),
  ];
}

/** The churn window's figures, distributions and counts (resources are added by the caller). */
function churnFigures(
  run: Run,
  c: Churner,
  churnStart: number,
  churnEnd: number,
): Pick<ScenarioResult, 'figures' | 'distributions' | 'counts'> {
  const reqs = run.requests.since(churnStart, run.requests.lastWriteMs() ?? Date.now());
  const s = split(reqs);
  const callMs = run.callMs(reqs);
  const events = c.created + c.deleted;
  const obs = run.tracker.observed;
  const addPod = distribution(latencies(obs, 'add', 'pod'));
  const addNode = distribution(latencies(obs, 'add', 'node'));
  const remAll = distribution(latencies(obs, 'remove'));
  const floorAdd = 2 * callMs; // address create, then the group write
  const floorRemove = callMs; // the group write (the address delete may follow)
  // Ideal writes: a Pod-mode event is one address write and one group write; a node joining or
  // leaving a Node-mode group is one group write (its address exists for other groups).
  const floorWrites = c.podModeEvents * 2 + c.nodeJoins + c.nodeLeaves;
  const membershipChanges = c.podModeEvents + c.nodeJoins + c.nodeLeaves;
  const perGroupSecond = new Map<string, number>();
  for (const r of reqs) {
    if (!r.write || !r.group) continue;
    const key = `${r.group}@${Math.floor((r.t - churnStart) / 1000)}`;
    perGroupSecond.set(key, (perGroupSecond.get(key) ?? 0) + 1);
  }
  return {
    figures: [
      figure('propagation p50 (Pod mode)', 'ms', addPod?.p50, floorAdd),
      figure('propagation p95 (Pod mode)', 'ms', addPod?.p95, floorAdd),
      figure('propagation p99 (Pod mode)', 'ms', addPod?.p99, floorAdd, {
        text: '< 1000 ms and ≤ 5× floor',
        ok: (v, r) => v < 1000 && r !== null && r <= 5,
      }),
      figure('propagation p99 (Node mode, node joins)', 'ms', addNode?.p99, callMs),
      figure('removal p50', 'ms', remAll?.p50, floorRemove),
      figure('removal p95', 'ms', remAll?.p95, floorRemove),
      figure('removal p99', 'ms', remAll?.p99, floorRemove, { text: '< 1000 ms', ok: under(1000) }),
      figure('writes per pod event', 'req', s.writes / events, floorWrites / events),
      figure('reads per pod event', 'req', s.reads / events, 0),
      figure(
        'group writes per membership change',
        'req',
        s.groupWrites / Math.max(1, membershipChanges),
        1,
        {
          text: '≤ 1 group write per group per coalescing window',
          ok: (v) => v <= 1,
        },
        'fortisync writes members one by one through the member endpoint: one write per member change, not one per group per sync',
      ),
      figure('max group writes to one group in 1 s', 'req', Math.max(0, ...perGroupSecond.values()), null),
      figure('total requests (churn window)', 'req', reqs.length, floorWrites),
    ],
    distributions: {
      propagationPod: addPod,
      propagationNode: addNode,
      removalPod: distribution(latencies(obs, 'remove', 'pod')),
      removalNode: distribution(latencies(obs, 'remove', 'node')),
      removal: remAll,
    },
    counts: {
      created: c.created,
      deleted: c.deleted,
      podModeEvents: c.podModeEvents,
      nodeJoins: c.nodeJoins,
      nodeLeaves: c.nodeLeaves,
      requests: reqs.length,
      reads: s.reads,
      writes: s.writes,
      groupWrites: s.groupWrites,
      unresolved: run.tracker.pendingCount(),
      superseded: run.tracker.superseded,
      fromMemberWrite: obs.filter((o) => o.source === 'member-write').length,
      fromGroupWrite: obs.filter((o) => o.source === 'group-write').length,
      fromPoll: obs.filter((o) => o.source === 'poll').length,
      callMs: round(callMs),
      driverLagMs: round(c.lagMs),
      churnSeconds: round((churnEnd - churnStart) / 1000),
    },
  };
}

async function driverCreate(run: Run, pod: BenchPod): Promise<number> {
  return run.driver.createPod(pod);
}

/** 1,000 pods of one Pod-mode mapping become Running at once. */
async function burst(opts: ScenarioOptions): Promise<ScenarioResult> {
  const podCount = opts.pods ?? 1000;
  const nodes = opts.nodes ?? 10;
  const wall = Date.now();
  return withEnv(opts, opts.driftSeconds ?? 300, async (env) => {
    const model = new ClusterModel(['bench-0']);
    const m = model.addMapping('Pod');
    const pods = Array.from({ length: podCount }, (_, j) => model.newPod(m.index, nodeName(j % nodes)));
    const run = new Run(env, model, { ...opts, nodes });
    await run.setup(pods, false);
    const spawned = Date.now();
    run.startOperator();
    await run.converge(spawned, 120_000);
    run.log(`group ready (empty); ${podCount} pods become Running`);
    run.tracker.start();
    const start = Date.now();
    await inPool(pods, 64, async (p) => {
      const t0 = await run.driver.runPod(p);
      run.tracker.expect({ group: m.group, member: model.podMember(p), kind: 'add', cls: 'pod', t0 });
    });
    const written = Date.now();
    const done = await run.converge(start, 300_000);
    run.tracker.stop();
    const reqs = run.requests.since(start, done.atMs);
    const s = split(reqs);
    const callMs = run.callMs(reqs);
    const d = distribution(latencies(run.tracker.observed, 'add'));
    // Ideal: addresses in waves of IDEAL_CONCURRENCY, then one group write with every member.
    const floorAll = (Math.ceil(podCount / IDEAL_CONCURRENCY) + 1) * callMs;
    const floorP = (q: number): number => (Math.ceil((podCount * q) / IDEAL_CONCURRENCY) + 1) * callMs;
    const res = run.resources(podCount);
    await run.operator?.stop();
    return {
      scenario: 'burst',
      latencyMs: opts.latencyMs,
      params: { pods: podCount, nodes, mappings: 1 },
      figures: [
        figure('propagation p50', 'ms', d?.p50, floorP(0.5)),
        figure('propagation p95', 'ms', d?.p95, floorP(0.95)),
        figure('propagation p99', 'ms', d?.p99, floorP(0.99)),
        figure('all members in the group (from first status write)', 'ms', done.atMs - start, floorAll),
        figure('writes', 'req', s.writes, podCount + 1),
        figure('reads', 'req', s.reads, 0),
        figure('operator peak RSS', 'MB', res.peakRssMB, null),
        figure('operator CPU (whole run)', 's', res.cpuSeconds, null),
      ],
      distributions: { propagation: d },
      counts: {
        pods: podCount,
        requests: reqs.length,
        reads: s.reads,
        writes: s.writes,
        groupWrites: s.groupWrites,
        statusWritesMs: written - start,
        unresolved: run.tracker.pendingCount(),
        callMs: round(callMs),
      },
      resources: res,
      operatorWarnings: run.operatorWarnings(),
      wallSeconds: round((Date.now() - wall) / 1000),
    };
  });
}

/** 10,000 pods and 200 mappings exist, the FortiGate is empty, the operator starts; then (restart) it restarts. */
async function coldAndRestart(opts: ScenarioOptions, withRestart: boolean): Promise<ScenarioResult[]> {
  const nodes = opts.nodes ?? 50;
  const podCount = opts.pods ?? 10_000;
  const mappings = opts.mappings ?? 200;
  const wall = Date.now();
  return withEnv(opts, opts.driftSeconds ?? 300, async (env) => {
    const model = new ClusterModel(namespacesFor(mappings));
    const run = new Run(env, model, opts);
    await run.setup(layoutCluster(model, nodes, podCount, mappings), true);
    const spawned = Date.now();
    run.startOperator();
    const cold = await run.converge(spawned, 600_000);
    const coldReqs = run.requests.since(spawned, cold.atMs);
    const cs = split(coldReqs);
    const callMs = run.callMs(coldReqs);
    const addresses = env.sim.state
      .list('firewall/address')
      .filter((a) => String(a.comment ?? '').includes('[fortisync:')).length;
    const groups = model.mappings.length;
    const floorColdMs =
      (Math.ceil(addresses / IDEAL_CONCURRENCY) + Math.ceil(groups / IDEAL_CONCURRENCY)) * callMs + callMs;
    const coldRes = run.resources(podCount);
    const params = { nodes, pods: podCount, mappings };
    const results: ScenarioResult[] = [
      {
        scenario: 'cold-start',
        latencyMs: opts.latencyMs,
        params,
        figures: [
          figure(
            'cold-start convergence (operator spawn → last write)',
            'ms',
            cold.atMs - spawned,
            floorColdMs,
            {
              text: '< 15000 ms',
              ok: under(15_000),
            },
            `floor: address creates and group creates (with all members) in waves of ${IDEAL_CONCURRENCY}, plus one read; process start and informer sync not included`,
          ),
          figure('cold-start writes', 'req', cs.writes, addresses + groups),
          figure('cold-start reads', 'req', cs.reads, 2),
          figure('operator peak RSS', 'MB', coldRes.peakRssMB, null, {
            text: `< 150 MB at 10,000 pods`,
            ok: under(150),
          }),
          figure('RSS per 1,000 pods', 'MB', coldRes.rssPer1000PodsMB, null),
          figure('operator CPU (to convergence)', 's', coldRes.cpuSeconds, null),
        ],
        distributions: {},
        counts: {
          addresses,
          groups,
          requests: coldReqs.length,
          reads: cs.reads,
          writes: cs.writes,
          groupWrites: cs.groupWrites,
          callMs: round(callMs),
        },
        resources: coldRes,
        operatorWarnings: run.operatorWarnings(),
        wallSeconds: round((Date.now() - wall) / 1000),
      },
    ];
    if (!withRestart) {
      await run.operator?.stop();
      return results;
    }
    await run.operator?.stop();
    await sleep(1000);
    run.requests.drain();
    const restartWall = Date.now();
    const respawned = Date.now();
    run.startOperator();
    const warm = await run.converge(respawned, 300_000, true);
    const warmReqs = run.requests.since(respawned, warm.lastRequestMs);
    const ws = split(warmReqs);
    const warmRes = run.resources(podCount);
    await run.operator?.stop();
    results.push({
      scenario: 'restart',
      latencyMs: opts.latencyMs,
      params,
      figures: [
        figure(
          'restart convergence (operator spawn → last request)',
          'ms',
          warm.lastRequestMs - respawned,
          callMs,
          undefined,
          'floor: one round of list reads; process start and informer sync not included',
        ),
        figure('restart writes', 'req', ws.writes, 0, { text: '0', ok: (v) => v === 0 }),
        figure('restart reads', 'req', ws.reads, 2),
        figure('operator peak RSS', 'MB', warmRes.peakRssMB, null, {
          text: `< 150 MB at 10,000 pods`,
          ok: under(150),
        }),
        figure('RSS per 1,000 pods', 'MB', warmRes.rssPer1000PodsMB, null),
        figure('operator CPU (to convergence)', 's', warmRes.cpuSeconds, null),
      ],
      distributions: {},
      counts: { requests: warmReqs.length, reads: ws.reads, writes: ws.writes, callMs: round(callMs) },
      resources: warmRes,
      operatorWarnings: run.operatorWarnings(),
      wallSeconds: round((Date.now() - restartWall) / 1000),
    });
    return results;
  });
}

/** Nothing changes for `duration` seconds; the device's drift check runs every `driftSeconds`. */
async function steady(opts: ScenarioOptions): Promise<ScenarioResult> {
  const nodes = opts.nodes ?? 50;
  const podCount = opts.pods ?? 5000;
  const mappings = opts.mappings ?? 100;
  const duration = opts.duration ?? 600;
  const drift = opts.driftSeconds ?? 30;
  const wall = Date.now();
  return withEnv(opts, drift, async (env) => {
    const model = new ClusterModel(namespacesFor(mappings));
    const run = new Run(env, model, opts);
    await run.setup(layoutCluster(model, nodes, podCount, mappings), true);
    const spawned = Date.now();
    run.startOperator();
    await run.converge(spawned, 600_000);
    run.log(`converged; observing ${duration} s of steady state`);
    const start = Date.now();
    const cpuBefore = run.operator?.resources().cpuSeconds ?? 0;
    await sleep(duration * 1000);
    run.requests.drain();
    const reqs = run.requests.since(start);
    const s = split(reqs);
    const driftChecks = reqs.filter((r) => !r.write && r.path.endsWith('/firewall/address')).length;
    const res = run.resources(podCount);
    const cpu = round(res.cpuSeconds - cpuBefore);
    await run.operator?.stop();
    return {
      scenario: 'steady',
      latencyMs: opts.latencyMs,
      params: { nodes, pods: podCount, mappings, duration, driftSeconds: drift },
      figures: [
        figure('steady writes', 'req', s.writes, 0, { text: '0', ok: (v) => v === 0 }),
        figure(
          'reads per drift check',
          'req',
          driftChecks > 0 ? s.reads / driftChecks : null,
          2,
          undefined,
          'floor: one list of addresses and one of groups (IPv4 only)',
        ),
        figure('drift checks', 'n', driftChecks, Math.floor(duration / drift)),
        figure('operator CPU in the steady window', 's', cpu, null),
        figure('operator peak RSS', 'MB', res.peakRssMB, null),
      ],
      distributions: {},
      counts: { requests: reqs.length, reads: s.reads, writes: s.writes, driftChecks },
      resources: res,
      operatorWarnings: run.operatorWarnings(),
      wallSeconds: round((Date.now() - wall) / 1000),
    };
  });
}

export type { Mode };
