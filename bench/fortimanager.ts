/**
 * `npm run bench -- fmg-churn --latency 25 --install-seconds 5 --install-window 10`: pod changes
 * through FortiManager. The operator writes ADOM root (workspace mode normal: lock, write, commit,
 * unlock) and installs package bench-pkg, whose policies use every group, to the managed FortiGate
 * fgt-1 (a FortiOS simulator inside the FortiManager simulator), each install taking
 * `--install-seconds`. Measures the time from a pod change to the FortiGate's group, how many
 * installs the changes cost (one per `--install-window` at most), and FortiManager writes in the
 * steady state after the operator provably re-read the ADOM (a drift check after the quiet mark).
 */
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { FortiManagerTarget } from '../src/api/v1alpha1/fortimanager-target.js';
import {
  startFortiManagerSimulator,
  type FortiManagerSimulatorHandle,
} from '../src/simulator/fortimanager/index.js';
import type { RequestLogEntry } from '../src/simulator/request-log.js';
import {
  ClusterDriver,
  ClusterModel,
  createMappingObject,
  nodeName,
  type BenchMapping,
  type BenchPod,
} from './lib/cluster.js';
import { CLUSTER, OperatorProc, SECRET_NS, startBenchCluster, type BenchEnv } from './lib/env.js';
import { distribution, median, round } from './lib/stats.js';
import { mismatchedGroups } from './lib/tracker.js';
import { figure, type ScenarioOptions, type ScenarioResult } from './scenarios.js';

export const FMG_SCENARIOS = ['fmg-churn'] as const;
export type FmgScenarioName = (typeof FMG_SCENARIOS)[number];

export interface FmgScenarioOptions extends ScenarioOptions {
  /** How long the simulated FortiManager install task takes. */
  installSeconds?: number;
  /** The target's install.coalesceSeconds: at most one install per package per window. */
  installWindow?: number;
}

export type FmgScenarioResult = Omit<ScenarioResult, 'scenario'> & { scenario: FmgScenarioName };

const API_KEY = 'bench-fmg-api-key-0123456789abcdef';
const API_ADMIN = 'fortisync-bench';
const TARGET = 'bench-fmg';
const DEVICE = 'fgt-1';
const PACKAGE = 'bench-pkg';
const GROUP_VERSION = { group: 'fortisync.io', version: 'v1alpha1' };
/** Writes to the ADOM and the workspace; exec calls that only read (where-used, login) are not. */
const WRITE_METHODS = new Set(['ADD', 'SET', 'UPDATE', 'REPLACE', 'DELETE', 'UNSET', 'MOVE', 'CLONE']);

const path = (e: RequestLogEntry): string => e.path.replace(/^\//, '');
const isInstall = (e: RequestLogEntry): boolean => path(e) === 'securityconsole/install/package';
export const isFmgWrite = (e: RequestLogEntry): boolean =>
  WRITE_METHODS.has(e.method) || isInstall(e) || /\/workspace\/(lock|commit|unlock)\/?$/.test(path(e));

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface FmgEnv extends BenchEnv {
  fmg: FortiManagerSimulatorHandle;
}

/** A control plane, the FortiManager simulator with its managed FortiGate, and the target. */
async function startFmgEnv(
  opts: Required<Pick<FmgScenarioOptions, 'installSeconds' | 'installWindow'>> & {
    latencyMs: number;
    drift: number;
    groups: string[];
  },
): Promise<FmgEnv> {
  const { cluster, setUp, stop } = await startBenchCluster(
    { controllers: [], maxLifetimeSeconds: 2 * 3600 },
    async ({ core, custom }, onStop) => {
      const fmg = await startFortiManagerSimulator({
        admins: [{ name: API_ADMIN, apiKey: API_KEY }],
        adoms: ['root'],
        workspaceMode: 'normal',
        devices: [{ name: DEVICE }],
        installDurationMs: opts.installSeconds * 1000,
        latencyMs: opts.latencyMs,
        requestLogCapacity: 500_000,
      });
      onStop(() => fmg.close());
      seedAdminObjects(fmg, opts.groups);
      await core.createNamespacedSecret({
        namespace: SECRET_NS,
        body: { metadata: { name: 'fmg-key' }, stringData: { apiKey: API_KEY, username: API_ADMIN } },
      });
      await createTarget(custom, fmg, opts);
      const sim = fmg.devices.get(DEVICE);
      if (!sim) throw new Error(`no managed device ${DEVICE}`);
      return { fmg, sim };
    },
  );
  return { ...cluster, ...setUp, latencyMs: opts.latencyMs, stop };
}

/** The FMG admin's groups and package: one policy per group, so every group reaches fgt-1. */
function seedAdminObjects(fmg: FortiManagerSimulatorHandle, groups: string[]): void {
  const adom = fmg.adom('root');
  for (const g of groups) adom.seed('firewall/addrgrp', { name: g, member: ['none'] });
  adom.seedPackage({
    name: PACKAGE,
    scope: [{ name: DEVICE, vdom: 'root' }],
    policies: groups.map((g, i) => ({
      policyid: i + 1,
      name: `bench-${i}`,
      srcaddr: [g],
      dstaddr: ['all'],
      action: 'accept',
    })),
  });
}

async function createTarget(
  custom: CustomObjectsApi,
  fmg: FortiManagerSimulatorHandle,
  opts: Required<Pick<FmgScenarioOptions, 'installWindow'>> & { drift: number },
): Promise<void> {
  await custom.createClusterCustomObject({
    ...GROUP_VERSION,
    plural: 'fortimanagertargets',
    body: {
      apiVersion: 'fortisync.io/v1alpha1',
      kind: 'FortiManagerTarget',
      metadata: { name: TARGET },
      spec: {
        url: fmg.url,
        adom: 'root',
        clusterName: CLUSTER,
        credentialsSecretRef: { name: 'fmg-key', namespace: SECRET_NS },
        tls: { caBundle: fmg.caCertPem ?? '' },
        driftCheckIntervalSeconds: opts.drift,
        access: { existingGroups: ['BENCH-G*'] },
        install: { policy: 'Packages', packages: [{ name: PACKAGE }], coalesceSeconds: opts.installWindow },
      },
    },
  });
}

interface Change {
  group: string;
  member: string;
  kind: 'add' | 'remove';
  t0: number;
  adomMs?: number;
  fortigateMs?: number;
}

/** Polls the ADOM and the managed FortiGate for each pending change (a handful of groups: cheap). */
class ChangeWatcher {
  readonly changes: Change[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly env: FmgEnv) {}

  start(): void {
    this.timer ??= setInterval(() => this.poll(), 10);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  pending(): Change[] {
    return this.changes.filter((c) => c.fortigateMs === undefined);
  }

  private poll(): void {
    const now = Date.now();
    const adom = new Map<string, Set<string>>();
    const fortigate = new Map<string, Set<string>>();
    const membersOf = (group: string): { adom: Set<string>; fortigate: Set<string> } => {
      if (!adom.has(group)) {
        const a = this.env.fmg.adom('root').get('firewall/addrgrp', group)?.member;
        adom.set(group, new Set(Array.isArray(a) ? a.map(String) : []));
        const f = this.env.sim.state.get('firewall/addrgrp', group)?.member as { name: string }[] | undefined;
        fortigate.set(group, new Set((f ?? []).map((m) => m.name)));
      }
      return { adom: adom.get(group) as Set<string>, fortigate: fortigate.get(group) as Set<string> };
    };
    for (const c of this.pending()) {
      const m = membersOf(c.group);
      const want = c.kind === 'add';
      if (c.adomMs === undefined && m.adom.has(c.member) === want) c.adomMs = now - c.t0;
      if (m.fortigate.has(c.member) === want) c.fortigateMs = now - c.t0;
    }
  }
}

async function createMappings(env: FmgEnv, model: ClusterModel): Promise<void> {
  for (const m of model.mappings) await createMappingObject(env.custom, m, { fortiManagerTargets: [TARGET] });
}

async function readTarget(env: FmgEnv): Promise<FortiManagerTarget> {
  return (await env.custom.getClusterCustomObject({
    ...GROUP_VERSION,
    plural: 'fortimanagertargets',
    name: TARGET,
  })) as FortiManagerTarget;
}

/** The FortiGate holds what the model says, no install runs, and FMG saw no write for `quietMs`. */
async function converge(env: FmgEnv, model: ClusterModel, timeoutMs: number, quietMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = env.fmg.requestLog.entries({});
    const lastWrite = [...log].reverse().find(isFmgWrite)?.timestampMs ?? 0;
    const running = env.fmg.tasks.list().some((t) => Number(t.percent) < 100);
    if (mismatchedGroups(env.sim, model).length === 0 && !running && Date.now() - lastWrite >= quietMs)
      return;
    if (Date.now() > deadline)
      throw new Error(`not converged after ${timeoutMs} ms: ${mismatchedGroups(env.sim, model).join(', ')}`);
    await sleep(200);
  }
}

/**
 * The most install starts in any sliding window of `windowMs`, and the smallest gap between two.
 * Starts are FortiManager's log times, after the lock the operator takes first: `toleranceMs`
 * absorbs that call's jitter (a start 3 ms early against the operator's own clock is not a second
 * install in the window).
 */
export function installWindows(
  starts: number[],
  windowMs: number,
  toleranceMs = 0,
): { maxPerWindow: number; minGapMs: number | null } {
  const sorted = [...starts].sort((a, b) => a - b);
  let maxPerWindow = 0;
  let minGapMs: number | null = null;
  for (let i = 0; i < sorted.length; i++) {
    const from = sorted[i] as number;
    let n = 0;
    for (let j = i; j < sorted.length && (sorted[j] as number) < from + windowMs - toleranceMs; j++) n++;
    maxPerWindow = Math.max(maxPerWindow, n);
    if (i > 0) {
      const gap = from - (sorted[i - 1] as number);
      minGapMs = minGapMs === null ? gap : Math.min(minGapMs, gap);
    }
  }
  return { maxPerWindow, minGapMs };
}

/**
 * The steady state: from the mark, wait for a drift check that started a whole drift interval
 * after it (the operator re-read the ADOM, so it saw that nothing changed, and every timer of the
 * quiet period has fired) and count FortiManager writes since the mark.
 */
async function steadyWindow(
  env: FmgEnv,
  drift: number,
): Promise<{ seconds: number; writes: number; installs: number; addressReads: number; nonGet: number }> {
  const mark = Date.now();
  const seq = env.fmg.requestLog.total;
  const deadline = mark + (drift * 4 + 30) * 1000;
  for (;;) {
    const checked = (await readTarget(env)).status?.lastDriftCheckTime;
    if (checked && Date.parse(checked) > mark + drift * 1000) break;
    if (Date.now() > deadline) throw new Error(`no drift check within ${drift * 4 + 30} s of the quiet mark`);
    await sleep(250);
  }
  const since = env.fmg.requestLog.entries({ since: seq });
  return {
    seconds: round((Date.now() - mark) / 1000, 1),
    writes: since.filter(isFmgWrite).length,
    installs: since.filter(isInstall).length,
    addressReads: since.filter((e) => e.method === 'GET' && path(e).endsWith('/obj/firewall/address')).length,
    nonGet: since.filter((e) => e.method !== 'GET').length,
  };
}

/** Pod changes through FortiManager: latency to the FortiGate, installs per window, steady writes. */
export async function fmgChurn(opts: FmgScenarioOptions): Promise<FmgScenarioResult> {
  const installSeconds = opts.installSeconds ?? 5;
  const installWindow = opts.installWindow ?? 10;
  const mappings = opts.mappings ?? 4;
  const nodes = opts.nodes ?? 10;
  const duration = opts.duration ?? 60;
  const rate = opts.rate ?? 1;
  const drift = opts.driftSeconds ?? 15;
  const events = Math.max(2, Math.round(duration * rate));
  const initialPods = opts.pods ?? Math.max(20, Math.ceil(events / 2) + mappings);
  const wall = Date.now();
  const log = (m: string): void => opts.log?.(`[${((Date.now() - wall) / 1000).toFixed(1)}s] ${m}`);
  const model = new ClusterModel(['bench-0']);
  for (let i = 0; i < mappings; i++) model.addMapping('Pod');
  const env = await startFmgEnv({
    installSeconds,
    installWindow,
    latencyMs: opts.latencyMs,
    drift,
    groups: model.mappings.map((m) => m.group),
  });
  try {
    const driver = new ClusterDriver(env, model);
    await driver.createNamespaces();
    await driver.createNodes(nodes);
    await createMappings(env, model);
    const initial = Array.from({ length: initialPods }, (_, j) =>
      model.newPod(j % mappings, nodeName(j % nodes)),
    );
    await driver.createPods(initial, true);
    const op = OperatorProc.start(env, { name: 'operator' });
    await converge(env, model, 300_000, 2000);
    log(`converged: ${initialPods} pods in ${mappings} groups on ${DEVICE}; churning ${events} changes`);

    const watcher = new ChangeWatcher(env);
    watcher.start();
    const churnStart = Date.now();
    const seq = env.fmg.requestLog.total;
    const removable = [...initial];
    for (let i = 0; i < events; i++) {
      const due = churnStart + (i * 1000) / rate;
      await sleep(Math.max(0, due - Date.now()));
      if (i % 2 === 0) {
        const p: BenchPod = model.newPod(i % mappings, nodeName(i % nodes), 'c');
        await driver.createPod(p);
        const t0 = await driver.runPod(p);
        watcher.changes.push({
          group: (model.mappings[p.mapping] as BenchMapping).group,
          member: model.podMember(p),
          kind: 'add',
          t0,
        });
      } else {
        const p = removable.shift() as BenchPod;
        const member = model.podMember(p);
        const t0 = await driver.deletePod(p);
        watcher.changes.push({
          group: (model.mappings[p.mapping] as BenchMapping).group,
          member,
          kind: 'remove',
          t0,
        });
      }
    }
    const lastChange = Date.now();
    const settleDeadline = lastChange + (installWindow + installSeconds + 60) * 1000;
    while (watcher.pending().length > 0 && Date.now() < settleDeadline) await sleep(100);
    watcher.stop();
    const unresolved = watcher.pending().length;
    const settled = Date.now();
    const churnLog = env.fmg.requestLog.entries({ since: seq });
    const starts = churnLog.filter(isInstall).map((e) => e.timestampMs);
    const callMs = median(churnLog.filter((e) => e.method !== 'GET').map((e) => e.durationMs));
    const toleranceMs = 100 + 2 * callMs;
    const windows = installWindows(starts, installWindow * 1000, toleranceMs);
    log(
      `${watcher.changes.length - unresolved}/${watcher.changes.length} changes reached ${DEVICE}; ${starts.length} installs`,
    );

    await converge(env, model, 120_000, 2000);
    const steady = await steadyWindow(env, drift);
    log(`steady: ${steady.seconds} s, ${steady.writes} writes, ${steady.installs} installs`);
    const res = op.resources();
    await op.stop();

    const toFortiGate = watcher.changes.flatMap((c) => (c.fortigateMs === undefined ? [] : [c.fortigateMs]));
    const toAdom = watcher.changes.flatMap((c) => (c.adomMs === undefined ? [] : [c.adomMs]));
    const installWait = watcher.changes.flatMap((c) =>
      c.adomMs === undefined || c.fortigateMs === undefined ? [] : [c.fortigateMs - c.adomMs],
    );
    const dFgt = distribution(toFortiGate);
    const dAdom = distribution(toAdom);
    // The ideal: the ADOM change (lock, address, member, commit, unlock) then one install.
    const writeFloor = 5 * callMs;
    const fgtFloor = writeFloor + installSeconds * 1000;
    // Installs start at most once per window, and never while one runs (a change made during an
    // install goes in the next): at best one every max(window, install).
    const cadence = Math.max(installWindow, installSeconds);
    // The worst a change should wait: the rest of that cadence, then its own install (+3 s slack).
    const bound = (cadence + installSeconds + 3) * 1000;
    const changes = watcher.changes.length;
    return {
      scenario: 'fmg-churn',
      latencyMs: opts.latencyMs,
      params: {
        mappings,
        nodes,
        pods: initialPods,
        changes,
        rate,
        installSeconds,
        installWindow,
        driftSeconds: drift,
      },
      figures: [
        figure('kubectl→FortiGate p50', 'ms', dFgt?.p50, fgtFloor),
        figure('kubectl→FortiGate p95', 'ms', dFgt?.p95, fgtFloor, {
          text: `≤ max(window, install) + install + 3 s (${bound / 1000} s)`,
          ok: (v) => v <= bound,
        }),
        figure('kubectl→FortiGate max', 'ms', dFgt?.max, fgtFloor),
        figure('kubectl→ADOM p50', 'ms', dAdom?.p50, writeFloor),
        figure('kubectl→ADOM p95', 'ms', dAdom?.p95, writeFloor),
        figure('changes not on the FortiGate', 'n', unresolved, 0, { text: '0', ok: (v) => v === 0 }),
        figure('installs', 'n', starts.length, Math.ceil((lastChange - churnStart) / (cadence * 1000))),
        figure(
          'FMG writes per change',
          'req',
          changes > 0 ? churnLog.filter(isFmgWrite).length / changes : null,
          5,
          undefined,
          'floor: lock, address, member, commit, unlock; installs and their locks are counted too',
        ),
        figure('installs per change', 'n', changes > 0 ? starts.length / changes : null, null),
        figure('max installs in any window', 'n', windows.maxPerWindow, 1, {
          text: '≤ 1',
          ok: (v) => v <= 1,
        }),
        figure(
          'min gap between installs',
          's',
          windows.minGapMs === null ? null : windows.minGapMs / 1000,
          cadence,
          {
            text: `≥ ${installWindow} s`,
            ok: (v) => v * 1000 >= installWindow * 1000 - toleranceMs,
          },
        ),
        figure('steady FMG writes', 'req', steady.writes, 0, { text: '0', ok: (v) => v === 0 }),
        figure('steady installs', 'n', steady.installs, 0, { text: '0', ok: (v) => v === 0 }),
        figure('steady ADOM re-reads (drift checks after the mark)', 'n', steady.addressReads, 1, {
          text: '≥ 1',
          ok: (v) => v >= 1,
        }),
        figure('steady window (to a drift check after the mark)', 's', steady.seconds, null),
        figure('operator peak RSS', 'MB', res.peakRssMB, null),
      ],
      distributions: {
        toFortiGate: dFgt,
        toAdom: dAdom,
        installWait: distribution(installWait),
      },
      counts: {
        changes,
        unresolved,
        installs: starts.length,
        fmgRequestsInChurn: churnLog.length,
        fmgWritesInChurn: churnLog.filter(isFmgWrite).length,
        steadyWrites: steady.writes,
        steadyInstalls: steady.installs,
        steadyNonGet: steady.nonGet,
        steadyAddressReads: steady.addressReads,
        writeCallMedianMs: round(callMs),
        settleMs: settled - lastChange,
        installToleranceMs: round(toleranceMs),
      },
      resources: { ...res, rssPer1000PodsMB: round(res.peakRssMB / (initialPods / 1000)) },
      operatorWarnings: op
        .logLines()
        .filter((l) => l.level === 'warn' || l.level === 'error')
        .map((l) => JSON.stringify(l).slice(0, 500)),
      wallSeconds: round((Date.now() - wall) / 1000),
    };
  } finally {
    await env.stop();
  }
}
