/**
 * The scale scenario (issue 19): Kubernetes' own limits. N nodes (5,000), P pods over 500 namespaces,
 * 1,000 mappings; four Node-mode FortiGates, each fed by a quarter of the Node-mode mappings whose pods
 * between them sit on every node (5,000 addresses each), and one Pod-mode FortiGate whose mappings
 * select P × 2/15 pods (20,000 at 150,000: a mid-range FortiGate's address table). Each FortiGate is
 * its own simulator. Measures the cold start, peak and steady RSS, a drift check and a restart, both
 * with zero writes after a positive signal.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inPool } from '../src/runtime/pool.js';
import { startSimulator, type SimulatorHandle } from '../src/simulator/index.js';
import { freePort } from '../test/support/free-port.js';
import {
  ClusterDriver,
  ClusterModel,
  createMappingObject,
  registerNode,
  type BenchMapping,
  type BenchPod,
} from './lib/cluster.js';
import {
  OperatorProc,
  TOKEN,
  createDeviceObject,
  createTokenSecret,
  startBenchCluster,
  type BenchEnv,
  type ResourceSample,
} from './lib/env.js';
import { median, round } from './lib/stats.js';
import { cpuSecondsOf, machineBusySeconds, ownCpuSeconds } from './lib/machine-cpu.js';
import { RequestRecorder, type Req } from './lib/tracker.js';
import { figure, type ScenarioOptions, type ScenarioResult } from './scenarios.js';

const NODE_DEVICES = 4;
const NAMESPACES = 500;
/** Mapping i is Pod mode when i % 10 === 0: 100 of 1,000. */
const POD_MODE_EVERY = 10;
/** 20,000 Pod-mode addresses at 150,000 pods. */
const POD_MODE_SHARE = 20_000 / 150_000;
const POD_DEVICE_ADDRESSES = 20_000;
const QUIET_MS = 2000;
const BATCH = 5000;

/**
 * API server and etcd sized for 150,000 pods: more requests in flight for the driver, an etcd quota
 * above the 2 GiB default (every pod is written twice, and revisions pile up between compactions),
 * compaction every minute. The watch cache is on for every resource and sizes itself.
 */
export const SCALE_APISERVER_ARGS = [
  '--max-requests-inflight=800',
  '--max-mutating-requests-inflight=400',
  '--etcd-compaction-interval=1m',
];
export const SCALE_ETCD_ARGS = ['--quota-backend-bytes=8589934592', '--snapshot-count=50000'];

interface ScaleDevice {
  name: string;
  mode: 'Node' | 'Pod';
  sim: SimulatorHandle;
  requests: RequestRecorder;
  mappings: BenchMapping[];
}

/** A node name as a cloud provider gives it (long enough that V8 does not share it by itself). */
export function scaleNodeName(i: number): string {
  return `ip-10-${20 + (i >> 16)}-${(i >> 8) & 255}-${i & 255}.eu-west-1.compute.internal`;
}

function namespaceName(i: number): string {
  return `team-${String(i).padStart(3, '0')}-production`;
}

/** The labels of a Deployment's pod: most repeat across the pods of one mapping. */
function podLabels(m: BenchMapping): Record<string, string> {
  return {
    app: m.name,
    'app.kubernetes.io/name': `${m.namespace}-service-${m.index}`,
    'app.kubernetes.io/instance': `${m.namespace}-release`,
    'app.kubernetes.io/version': '1.24.3',
    'pod-template-hash': (0x5f7d9c8b6d + m.index * 7919).toString(16).slice(-10),
  };
}

export interface ScaleLayout {
  pods: BenchPod[];
  deviceOf: string[];
  podModePods: number;
}

/**
 * Mappings i % 10 === 0 are Pod mode (the Pod-mode device); the others go round the four Node-mode
 * devices. Node-mode pods go round their device's nodes, so a device covers min(nodes, its pods) nodes.
 */
export function layoutScale(
  model: ClusterModel,
  nodes: string[],
  pods: number,
  mappings: number,
): ScaleLayout {
  const deviceOf: string[] = [];
  const podMappings: number[] = [];
  const nodeMappings: number[] = [];
  for (let i = 0; i < mappings; i++) {
    const pod = i % POD_MODE_EVERY === 0;
    model.addMapping(pod ? 'Pod' : 'Node');
    if (pod) podMappings.push(i);
    else nodeMappings.push(i);
    deviceOf.push(pod ? 'scale-fw-pod' : `scale-fw-node-${(nodeMappings.length - 1) % NODE_DEVICES}`);
  }
  const out: BenchPod[] = [];
  const podModePods = Math.min(POD_DEVICE_ADDRESSES, Math.round(pods * POD_MODE_SHARE));
  const prefix = (i: number): string => `${model.mappings[i]?.namespace ?? ''}-svc-${i}-`;
  for (let j = 0; j < podModePods; j++) {
    const i = podMappings[j % podMappings.length] as number;
    out.push(model.newPod(i, nodes[(j * 7) % nodes.length] as string, prefix(i)));
  }
  const onDevice = new Array<number>(NODE_DEVICES).fill(0);
  for (let j = 0; j < pods - podModePods; j++) {
    const k = j % nodeMappings.length;
    const i = nodeMappings[k] as number;
    const d = k % NODE_DEVICES;
    const slot = onDevice[d] as number;
    onDevice[d] = slot + 1;
    out.push(model.newPod(i, nodes[slot % nodes.length] as string, prefix(i)));
  }
  return { pods: out, deviceOf, podModePods };
}

interface ScaleEnv extends BenchEnv {
  devices: ScaleDevice[];
}

/** The control plane's processes, by command name (/proc/PID/stat). */
const CONTROL_PLANE = ['kube-apiserver', 'etcd', 'kube-controller', 'kube-scheduler'];

async function startScaleEnv(
  latencyMs: number,
  driftSeconds: number,
  deviceNames: string[],
): Promise<ScaleEnv> {
  const { cluster, setUp, stop } = await startBenchCluster(
    {
      controllers: [],
      maxLifetimeSeconds: 3 * 3600,
      apiserverArgs: SCALE_APISERVER_ARGS,
      etcdArgs: SCALE_ETCD_ARGS,
    },
    async ({ core, custom }, onStop) => {
      await createTokenSecret(core);
      const devices: ScaleDevice[] = [];
      for (const [n, name] of deviceNames.entries()) {
        const mode = name.endsWith('-pod') ? 'Pod' : 'Node';
        const sim = await startSimulator({
          tokens: [TOKEN],
          latencyMs,
          serial: `FG2K0FTB2100${String(n).padStart(4, '0')}`,
          requestLogCapacity: 2_000_000,
          // A mid-range FortiGate: 20,000 addresses (plus its built-in objects) and 2,500 groups.
          limits: { addresses: POD_DEVICE_ADDRESSES + 500, groups: 2_500, membersPerGroup: 1_500 },
        });
        onStop(() => sim.close());
        await createDeviceObject(custom, name, sim, driftSeconds);
        devices.push({ name, mode, sim, requests: new RequestRecorder(sim), mappings: [] });
      }
      return devices;
    },
  );
  const first = setUp[0] as ScaleDevice;
  return { ...cluster, sim: first.sim, latencyMs, devices: setUp, stop };
}

/** Groups of a device whose members differ from the model. */
function mismatched(device: ScaleDevice, model: ClusterModel): string[] {
  const bad: string[] = [];
  for (const m of device.mappings) {
    const want = model.members(m);
    const entry = device.sim.state.get('firewall/addrgrp', m.group);
    const have = ((entry?.member as { name: string }[] | undefined) ?? [])
      .map((x) => x.name)
      .filter((n) => n !== 'none');
    if (!entry || have.length !== want.size || have.some((n) => !want.has(n))) bad.push(m.group);
  }
  return bad;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function requestsSince(devices: ScaleDevice[], since: number, until = Infinity): Req[] {
  return devices.flatMap((d) => {
    d.requests.drain();
    return d.requests.since(since, until);
  });
}

/** Every device listed its addresses (a full read: start-up or drift check) since `since`. */
function readEveryDevice(devices: ScaleDevice[], since: number): boolean {
  return devices.every((d) => {
    d.requests.drain();
    return d.requests.since(since).some((r) => !r.write && r.path.endsWith('/firewall/address'));
  });
}

/** The device's status.lastDriftCheckTime (when it last read and repaired the whole FortiGate). */
async function lastDriftCheck(env: ScaleEnv, device: string): Promise<string | undefined> {
  const d = (await env.custom.getClusterCustomObject({
    group: 'fortisync.io',
    version: 'v1alpha1',
    plural: 'fortigatedevices',
    name: device,
  })) as { status?: { lastDriftCheckTime?: string } };
  return d.status?.lastDriftCheckTime;
}

interface HeapSample {
  atMs: number;
  used: number;
  total: number;
  external: number;
}

/** The operator's V8 heap (used and committed) and external memory as prom-client reports them. */
async function heapSample(metricsUrl: string): Promise<HeapSample | undefined> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    const value = (name: string): number =>
      Number(new RegExp(`^${name}\\s+([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
    const s = {
      atMs: Date.now(),
      used: value('nodejs_heap_size_used_bytes'),
      total: value('nodejs_heap_size_total_bytes'),
      external: value('nodejs_external_memory_bytes'),
    };
    return Number.isNaN(s.used) ? undefined : s;
  } catch {
    return undefined;
  }
}

class ScaleRun {
  readonly model: ClusterModel;
  readonly driver: ClusterDriver;
  operator: OperatorProc | undefined;
  metricsUrl = '';
  private starts = 0;
  private readonly t0 = Date.now();

  constructor(
    readonly env: ScaleEnv,
    readonly opts: ScenarioOptions,
  ) {
    this.model = new ClusterModel(Array.from({ length: NAMESPACES }, (_, i) => namespaceName(i)));
    this.driver = new ClusterDriver(env, this.model, podLabels);
  }

  log(msg: string): void {
    this.opts.log?.(`[${((Date.now() - this.t0) / 1000).toFixed(1)}s] ${msg}`);
  }

  async createNodes(names: string[]): Promise<void> {
    await inPool([...names.keys()], 48, async (i) => {
      const name = names[i] as string;
      const labels = {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm6i.2xlarge',
        'topology.kubernetes.io/region': 'eu-west-1',
        'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3] ?? 'a'}`,
      };
      await registerNode(this.env.core, name, labels, [
        { type: 'InternalIP', address: `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` },
        { type: 'Hostname', address: name },
      ]);
    });
    this.model.nodes.push(...names);
  }

  async createMapping(m: BenchMapping, device: string): Promise<void> {
    await createMappingObject(this.env.custom, m, { devices: [device] });
  }

  /** Pods in batches, like kubelets: created bound to their node, then Running with an IP. */
  async createPods(pods: BenchPod[]): Promise<void> {
    for (let i = 0; i < pods.length; i += BATCH) {
      const started = Date.now();
      await this.driver.createPods(pods.slice(i, i + BATCH), true, 64);
      const n = Math.min(pods.length, i + BATCH);
      this.log(`${n} pods Running (${Math.round(BATCH / ((Date.now() - started) / 1000))} pods/s)`);
    }
  }

  async startOperator(): Promise<OperatorProc> {
    this.starts++;
    const port = await freePort();
    this.metricsUrl = `http://127.0.0.1:${port}/metrics`;
    this.operator = OperatorProc.start(this.env, {
      name: `operator-${this.starts}`,
      metricsAddr: `127.0.0.1:${port}`,
      ...(this.opts.profileDir ? { cpuProfDir: this.opts.profileDir, heapSnapshot: true } : {}),
    });
    return this.operator;
  }

  /** Every group as the model says, no write for QUIET_MS, and (`ready`) whatever else must hold. */
  async converge(
    since: number,
    timeoutMs: number,
    ready: () => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<{ atMs: number; lastRequestMs: number }> {
    const deadline = Date.now() + timeoutMs;
    let lastReport = 0;
    for (;;) {
      const reqs = requestsSince(this.env.devices, since).sort((a, b) => a.t - b.t);
      const lastWrite = reqs.filter((r) => r.write).pop()?.t ?? since;
      const bad = this.env.devices.flatMap((d) => mismatched(d, this.model));
      if (bad.length === 0 && Date.now() - lastWrite >= QUIET_MS && (await ready())) {
        return { atMs: lastWrite, lastRequestMs: reqs[reqs.length - 1]?.t ?? since };
      }
      if (this.operator?.proc.hasExited()) throw new Error(`operator exited: ${this.warnings().join(' | ')}`);
      if (Date.now() > deadline)
        throw new Error(`not converged after ${timeoutMs} ms: ${bad.length} group(s) differ`);
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        const rss = this.operator?.resources();
        this.log(
          `converging: ${bad.length} group(s) differ, ${reqs.length} requests, operator RSS ${rss?.lastRssMB ?? '?'} MB (peak ${rss?.peakRssMB ?? '?'})`,
        );
      }
      await sleep(1000);
    }
  }

  warnings(): string[] {
    return (this.operator?.logLines() ?? [])
      .filter((l) => l.level === 'warn' || l.level === 'error')
      .map((l) => `${String(l.level)} ${String(l.message ?? '')} ${String(l.error ?? '')}`.trim())
      .slice(-20);
  }

  /** Waits for every device's lastDriftCheckTime to move past `before` (device name → old value). */
  async driftChecked(before: Map<string, string | undefined>): Promise<boolean> {
    for (const d of this.env.devices) {
      const now = await lastDriftCheck(this.env, d.name);
      if (now === undefined || now === before.get(d.name)) return false;
    }
    return true;
  }

  async driftTimes(): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    for (const d of this.env.devices) out.set(d.name, await lastDriftCheck(this.env, d.name));
    return out;
  }
}

/** Sends SIGUSR2 (the operator runs with --heapsnapshot-signal) and waits for the file to be complete. */
export async function heapSnapshot(op: OperatorProc, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(op.proc.pid, 'SIGUSR2');
  const deadline = Date.now() + 300_000;
  let last = -1;
  for (;;) {
    await sleep(2000);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    const size = file ? statSync(join(dir, file)).size : -1;
    if (file && size > 0 && size === last) return join(dir, file);
    if (Date.now() > deadline) throw new Error('no heap snapshot after 300 s');
    last = size;
  }
}

function split(reqs: Req[]): { reads: number; writes: number } {
  const writes = reqs.filter((r) => r.write).length;
  return { reads: reqs.length - writes, writes };
}

export async function scale(opts: ScenarioOptions): Promise<ScenarioResult[]> {
  const nodeCount = opts.nodes ?? 5000;
  const podCount = opts.pods ?? 150_000;
  const mappingCount = opts.mappings ?? 1000;
  const drift = opts.driftSeconds ?? 60;
  const scrapeSeconds = opts.scrapeSeconds ?? 30;
  const wall = Date.now();
  const names = [...Array.from({ length: NODE_DEVICES }, (_, k) => `scale-fw-node-${k}`), 'scale-fw-pod'];
  const env = await startScaleEnv(opts.latencyMs, drift, names);
  try {
    const run = new ScaleRun(env, opts);
    const nodes = Array.from({ length: nodeCount }, (_, i) => scaleNodeName(i));
    const layout = layoutScale(run.model, nodes, podCount, mappingCount);
    for (const m of run.model.mappings) {
      env.devices.find((d) => d.name === layout.deviceOf[m.index])?.mappings.push(m);
    }
    await run.driver.createNamespaces();
    await run.createNodes(nodes);
    await inPool(run.model.mappings, 16, (m) => run.createMapping(m, layout.deviceOf[m.index] as string));
    run.log(`${nodeCount} nodes, ${mappingCount} mappings; creating ${podCount} pods`);
    const podsStarted = Date.now();
    await run.createPods(layout.pods);
    const podsSeconds = round((Date.now() - podsStarted) / 1000, 1);
    run.log(`${podCount} pods in ${podsSeconds} s`);

    // Cold start: the FortiGates are empty.
    const spawned = Date.now();
    const benchCpu = process.cpuUsage();
    const machineBusy = machineBusySeconds();
    const controlPlaneCpu = cpuSecondsOf(CONTROL_PLANE);
    await run.startOperator();
    const cold = await run.converge(spawned, 900_000);
    // The simulators share this process with the driver: their CPU says what else the cold start waited on.
    const coldBenchCpu = ownCpuSeconds(benchCpu);
    const coldMachineBusy = machineBusySeconds() - machineBusy;
    const coldControlPlaneCpu = cpuSecondsOf(CONTROL_PLANE) - controlPlaneCpu;
    const coldReqs = requestsSince(env.devices, spawned, cold.atMs);
    // When each FortiGate was worked on: with two device workers, five devices take turns.
    const perDevice = env.devices.map((d) => {
      const reqs = d.requests.since(spawned, cold.atMs);
      const at = (t: number): number => round((t - spawned) / 1000, 1);
      return {
        name: d.name,
        from: at(Math.min(...reqs.map((r) => r.t))),
        to: at(Math.max(...reqs.filter((r) => r.write).map((r) => r.t))),
      };
    });
    run.log(`per device, s after spawn: ${perDevice.map((d) => `${d.name} ${d.from}→${d.to}`).join('; ')}`);
    const cs = split(coldReqs);
    const firstRequest = Math.min(...coldReqs.map((r) => r.t));
    const coldRes = run.operator?.resources() ?? { peakRssMB: 0, cpuSeconds: 0, lastRssMB: 0 };
    const addresses = env.devices.map(
      (d) =>
        d.sim.state.list('firewall/address').filter((a) => String(a.comment ?? '').includes('[fortisync:'))
          .length,
    );
    run.log(
      `converged in ${cold.atMs - spawned} ms; addresses ${addresses.join('/')}; peak ${coldRes.peakRssMB} MB`,
    );

    // Steady state and a drift check: nothing changes; every device re-reads its FortiGate once.
    const before = await run.driftTimes();
    const steadyFrom = Date.now();
    const heap: HeapSample[] = [];
    // As often as Prometheus would (the chart's ServiceMonitor: 30 s) unless asked: a scrape renders
    // every series (~2 MB at 1,000 mappings). Every 2 s, as before, measured the same steady RSS.
    const scrape = (): void => {
      void heapSample(run.metricsUrl).then((h) => h !== undefined && heap.push(h));
    };
    scrape();
    const heapTimer = setInterval(scrape, scrapeSeconds * 1000);
    let checked: { atMs: number };
    try {
      checked = await run.converge(steadyFrom, (drift + 120) * 1000, async () => {
        return readEveryDevice(env.devices, steadyFrom) && (await run.driftChecked(before));
      });
    } finally {
      clearInterval(heapTimer);
    }
    const driftEnd = Date.now();
    const driftReqs = requestsSince(env.devices, steadyFrom, driftEnd);
    const ds = split(driftReqs);
    const steadySamples = (run.operator?.samples ?? []).filter((s) => s.atMs >= steadyFrom);
    const mb = (b: number): number => round(b / 1024 / 1024, 1);
    const steadyMB = (bytes: (s: ResourceSample) => number): number => mb(median(steadySamples.map(bytes)));
    const steadyRssMB = steadyMB((s) => s.rssBytes);
    const steadyRes = run.operator?.resources() ?? { peakRssMB: 0, cpuSeconds: 0, lastRssMB: 0 };
    const minHeapMB = heap.length > 0 ? mb(Math.min(...heap.map((h) => h.used))) : null;
    const heapTotalMB = heap.length > 0 ? mb(median(heap.map((h) => h.total))) : null;
    const externalMB = heap.length > 0 ? mb(median(heap.map((h) => h.external))) : null;
    run.log(`drift check seen on every device; ${ds.writes} writes; steady RSS ${steadyRssMB} MB`);
    const timeline = run.operator?.rssTimeline(2000) ?? [];
    // With --profile DIR: a heap snapshot of the converged operator, after every figure above was taken.
    if (opts.profileDir && run.operator) {
      const file = await heapSnapshot(run.operator, opts.profileDir);
      run.log(`heap snapshot ${file} (node dist/bench/heap-summary.js ${file})`);
    }
    await run.operator?.stop();

    // Restart on FortiGates that hold the right state.
    await sleep(1000);
    const beforeRestart = await run.driftTimes();
    const respawned = Date.now();
    await run.startOperator();
    const warm = await run.converge(respawned, 600_000, async () => {
      return readEveryDevice(env.devices, respawned) && (await run.driftChecked(beforeRestart));
    });
    const warmReqs = requestsSince(env.devices, respawned, Date.now());
    const ws = split(warmReqs);
    const warmRes = run.operator?.resources() ?? { peakRssMB: 0, cpuSeconds: 0, lastRssMB: 0 };
    const warnings = run.warnings();
    await run.operator?.stop();

    const params = {
      nodes: nodeCount,
      pods: podCount,
      mappings: mappingCount,
      namespaces: NAMESPACES,
      devices: env.devices.length,
      podModePods: layout.podModePods,
      driftSeconds: drift,
      scrapeSeconds,
    };
    const coldSeconds = (cold.atMs - spawned) / 1000;
    const result: ScenarioResult = {
      scenario: 'scale',
      latencyMs: opts.latencyMs,
      params,
      figures: [
        figure('pods created and Running (driver)', 's', podsSeconds, null),
        figure('cold start: spawn → first FortiOS request', 'ms', firstRequest - spawned, null),
        figure('cold start: spawn → converged (last write)', 'ms', cold.atMs - spawned, null, {
          text: '< 60000 ms',
          ok: (v) => v < 60_000,
        }),
        figure('cold-start writes', 'req', cs.writes, addresses.reduce((a, b) => a + b, 0) + mappingCount),
        figure('cold-start reads', 'req', cs.reads, null),
        figure('operator CPU to convergence', 's', coldRes.cpuSeconds, null),
        figure('operator CPU / wall at start', 'cores', coldRes.cpuSeconds / coldSeconds, null),
        figure('bench process CPU to convergence (simulators, driver)', 's', coldBenchCpu, null),
        figure('control plane CPU to convergence (kube-apiserver, etcd…)', 's', coldControlPlaneCpu, null),
        figure(
          'machine CPU busy / wall at start (every process)',
          'cores',
          coldMachineBusy / coldSeconds,
          null,
        ),
        figure('peak RSS (cold start, VmHWM)', 'MB', coldRes.peakRssMB, null, {
          text: '< 300 MB',
          ok: (v) => v < 300,
        }),
        figure('steady RSS (median, converged → drift check)', 'MB', steadyRssMB, null, {
          text: '< 250 MB',
          ok: (v) => v < 250,
        }),
        figure(
          'steady RSS anonymous: heap, malloc, stacks (median)',
          'MB',
          steadyMB((s) => s.anonBytes),
          null,
        ),
        figure(
          'steady RSS file-backed: node binary (median)',
          'MB',
          steadyMB((s) => s.fileBytes),
          null,
        ),
        figure('peak RSS to the end of the drift check', 'MB', steadyRes.peakRssMB, null),
        figure('heap used, lowest in the steady window', 'MB', minHeapMB, null),
        figure('V8 heap committed (median, steady window)', 'MB', heapTotalMB, null),
        figure('external memory (median, steady window)', 'MB', externalMB, null),
        figure('drift check writes', 'req', ds.writes, 0, { text: '0', ok: (v) => v === 0 }),
        figure('drift check reads', 'req', ds.reads, null),
        figure('restart: spawn → every device re-read', 'ms', warm.lastRequestMs - respawned, null),
        figure('restart writes', 'req', ws.writes, 0, { text: '0', ok: (v) => v === 0 }),
        figure('restart reads', 'req', ws.reads, null),
        figure('restart peak RSS', 'MB', warmRes.peakRssMB, null),
      ],
      distributions: {},
      counts: {
        addresses: addresses.reduce((a, b) => a + b, 0),
        ...Object.fromEntries(env.devices.map((d, k) => [`addresses:${d.name}`, addresses[k] ?? 0])),
        groups: mappingCount,
        coldRequests: coldReqs.length,
        driftWindowSeconds: round((driftEnd - steadyFrom) / 1000, 1),
        driftCheckSeenMs: checked.atMs,
        heapSamples: heap.length,
        ...Object.fromEntries(
          perDevice.flatMap((d) => [
            [`coldFromS:${d.name}`, d.from],
            [`coldToS:${d.name}`, d.to],
          ]),
        ),
        steadyRssSamples: steadySamples.length,
      },
      resources: {
        peakRssMB: Math.max(coldRes.peakRssMB, steadyRes.peakRssMB),
        cpuSeconds: coldRes.cpuSeconds,
        rssPer1000PodsMB: round(coldRes.peakRssMB / (podCount / 1000), 2),
        rssTimeline: timeline,
        heapTimeline: heap.map((h) => [round((h.atMs - spawned) / 1000, 1), mb(h.used), mb(h.total)]),
      },
      operatorWarnings: warnings,
      wallSeconds: round((Date.now() - wall) / 1000),
    };
    return [result];
  } finally {
    await env.stop();
  }
}
