import { reuseApiServerAgents } from '../../src/operator/kube-agents.js';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { readFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../../test/support/control-plane.js';
import { installCrds } from '../../test/support/crds.js';
import { freePort } from '../../test/support/free-port.js';
import { parseProcStat } from './machine-cpu.js';
import { spawnOperator } from '../../test/support/operator-process.js';
import { ProcessSupervisor, type SupervisedProcess } from '../../test/support/supervisor.js';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.js';

export const TOKEN = 'bench-token-0123456789abcdef';
export const CLUSTER = 'bench';
export const DEVICE = 'bench-fw';
export const SECRET_NS = 'fortisync-bench';

export interface BenchEnv {
  cp: ControlPlane;
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  sim: SimulatorHandle;
  latencyMs: number;
  supervisor: ProcessSupervisor;
  dir: string;
  /** Where the operator serves /metrics (the bench reads its own-latency histogram there). */
  metricsPort: number;
  stop(): Promise<void>;
}

/** The control plane with the CRDs and the secrets' namespace: what every scenario starts from. */
export type BenchCluster = Pick<
  BenchEnv,
  'cp' | 'kc' | 'core' | 'custom' | 'supervisor' | 'dir' | 'metricsPort'
>;

/**
 * Starts the control plane, then `setup` (the scenario's simulators and objects). Whatever setup
 * registers with `onStop` closes after the operator processes, and also when setup fails.
 */
export async function startBenchCluster<T>(
  options: ControlPlaneOptions & { maxLifetimeSeconds: number },
  setup: (cluster: BenchCluster, onStop: (close: () => Promise<void>) => void) => Promise<T>,
): Promise<{ cluster: BenchCluster; setUp: T; stop(): Promise<void> }> {
  const cp = await startControlPlane(options);
  const dir = join(cp.dir, 'bench');
  mkdirSync(dir, { recursive: true });
  const supervisor = new ProcessSupervisor(dir, options.maxLifetimeSeconds);
  const closers: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    await supervisor.stopAll();
    for (const close of closers) await close();
    await cp.stop();
  };
  try {
    // Like a kubelet, the driver keeps its connections (client-node alone opens one per call).
    const kc = reuseApiServerAgents(cp.kubeConfig());
    await installCrds(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: SECRET_NS } } });
    const cluster = { cp, kc, core, custom, supervisor, dir, metricsPort: await freePort() };
    const setUp = await setup(cluster, (close) => closers.push(close));
    return { cluster, setUp, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The FortiGate API token secret every FortiGateDevice of the bench refers to. */
export async function createTokenSecret(core: CoreV1Api): Promise<void> {
  await core.createNamespacedSecret({
    namespace: SECRET_NS,
    body: { metadata: { name: 'fw-token' }, stringData: { token: TOKEN } },
  });
}

/** A FortiGateDevice for one simulator, with the bench's token and cluster name. */
export async function createDeviceObject(
  custom: CustomObjectsApi,
  name: string,
  sim: SimulatorHandle,
  driftCheckIntervalSeconds: number,
): Promise<void> {
  await custom.createClusterCustomObject({
    group: 'fortisync.io',
    version: 'v1alpha1',
    plural: 'fortigatedevices',
    body: {
      apiVersion: 'fortisync.io/v1alpha1',
      kind: 'FortiGateDevice',
      metadata: { name },
      spec: {
        url: sim.url,
        credentialsSecretRef: { name: 'fw-token', namespace: SECRET_NS },
        clusterName: CLUSTER,
        tls: { caBundle: sim.caCertPem ?? '' },
        driftCheckIntervalSeconds,
      },
    },
  });
}

export async function startEnv(latencyMs: number, driftCheckIntervalSeconds: number): Promise<BenchEnv> {
  const { cluster, setUp, stop } = await startBenchCluster(
    { controllers: [], maxLifetimeSeconds: 2 * 3600 },
    async ({ core, custom }, onStop) => {
      const sim = await startSimulator({
        tokens: [TOKEN],
        latencyMs,
        requestLogCapacity: 2_000_000,
        // Large clusters on a large FortiGate: the table limits are not what this measures.
        limits: { addresses: 100_000, groups: 10_000, membersPerGroup: 20_000 },
      });
      onStop(() => sim.close());
      await createTokenSecret(core);
      await createDeviceObject(custom, DEVICE, sim, driftCheckIntervalSeconds);
      return sim;
    },
  );
  return { ...cluster, sim: setUp, latencyMs, stop };
}

export interface ResourceSample {
  atMs: number;
  rssBytes: number;
  hwmBytes: number;
  /** RSS split: anonymous (heap, malloc, stacks) and file-backed (the node binary, mapped files). */
  anonBytes: number;
  fileBytes: number;
  cpuSeconds: number;
}

/** The operator as a separate process, sampled from /proc every 500 ms. */
export class OperatorProc {
  readonly samples: ResourceSample[] = [];
  readonly startedMs: number;
  private timer: NodeJS.Timeout | undefined;
  private constructor(
    private readonly env: BenchEnv,
    readonly proc: SupervisedProcess,
  ) {
    this.startedMs = Date.now();
    this.timer = setInterval(() => this.sample(), 500);
    this.timer.unref();
  }

  static start(
    env: BenchEnv,
    opts: { cpuProfDir?: string; heapSnapshot?: boolean; name?: string; metricsAddr?: string } = {},
  ): OperatorProc {
    const nodeFlags: string[] = [];
    if (opts.cpuProfDir) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
    if (opts.heapSnapshot)
      nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${opts.cpuProfDir ?? env.dir}`);
    // Extra Node/V8 flags for measuring a trade-off (e.g. FORTISYNC_BENCH_NODE_FLAGS='--single-threaded-gc').
    nodeFlags.push(...(process.env.FORTISYNC_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean));
    // As production runs it (the flags of the Dockerfile and config/manager: test/support).
    const proc = spawnOperator(
      [
        '--kubeconfig',
        env.cp.kubeconfigPath,
        '--no-leader-elect',
        '--log-format',
        'json',
        '--log-level',
        process.env.FORTISYNC_BENCH_LOG_LEVEL ?? 'warn',
        '--metrics-addr',
        opts.metricsAddr ?? `127.0.0.1:${env.metricsPort}`,
        '--health-addr',
        '127.0.0.1:0',
        // Operator flags for measuring a trade-off (e.g. FORTISYNC_BENCH_OPERATOR_ARGS='--device-workers 5').
        ...(process.env.FORTISYNC_BENCH_OPERATOR_ARGS ?? '').split(/\s+/).filter(Boolean),
      ],
      {
        supervisor: env.supervisor,
        name: opts.name ?? 'operator',
        nodeFlags,
        // Another build of the CLI to compare (e.g. FORTISYNC_BENCH_CLI=dist/src/cmd/fortisync.js, unbundled).
        ...(process.env.FORTISYNC_BENCH_CLI ? { cli: resolve(process.env.FORTISYNC_BENCH_CLI) } : {}),
        // Environment for the operator alone (e.g. FORTISYNC_BENCH_OPERATOR_ENV='LD_PRELOAD=… MALLOC_CONF=…').
        env: Object.fromEntries(
          (process.env.FORTISYNC_BENCH_OPERATOR_ENV ?? '')
            .split(/\s+/)
            .filter(Boolean)
            .map((kv) => {
              const at = kv.indexOf('=');
              if (at <= 0) throw new Error(`FORTISYNC_BENCH_OPERATOR_ENV: ${kv} is not NAME=VALUE`);
              return [kv.slice(0, at), kv.slice(at + 1)];
            }),
        ),
      },
    );
    return new OperatorProc(env, proc);
  }

  sample(): ResourceSample | undefined {
    if (this.proc.hasExited()) return undefined;
    try {
      const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
      const kb = (field: string): number =>
        Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
      const { cpuSeconds } = parseProcStat(readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8'));
      const s = {
        atMs: Date.now(),
        rssBytes: kb('VmRSS'),
        hwmBytes: kb('VmHWM'),
        anonBytes: kb('RssAnon'),
        fileBytes: kb('RssFile'),
        cpuSeconds,
      };
      this.samples.push(s);
      return s;
    } catch {
      return undefined;
    }
  }

  /** Warnings and errors the operator logged (JSON lines). */
  logLines(): Record<string, unknown>[] {
    try {
      return readFileSync(this.proc.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return { message: l };
          }
        });
    } catch {
      return [];
    }
  }

  /** RSS samples at least `everyMs` apart: [seconds since start, MB]. */
  rssTimeline(everyMs: number): [number, number][] {
    const out: [number, number][] = [];
    let last = -Infinity;
    for (const s of this.samples) {
      if (s.atMs - last < everyMs) continue;
      last = s.atMs;
      out.push([
        Math.round((s.atMs - this.startedMs) / 100) / 10,
        Math.round((s.rssBytes / 1024 / 1024) * 10) / 10,
      ]);
    }
    return out;
  }

  /** CPU seconds the operator used between two moments (the samples nearest to each). */
  cpuBetween(fromMs: number, toMs: number): number {
    this.sample();
    const at = (t: number): number =>
      this.samples.reduce(
        (best, s) => (Math.abs(s.atMs - t) < Math.abs(best.atMs - t) ? s : best),
        this.samples[0] as ResourceSample,
      ).cpuSeconds;
    return this.samples.length === 0 ? 0 : at(toMs) - at(fromMs);
  }

  resources(): { peakRssMB: number; cpuSeconds: number; lastRssMB: number } {
    this.sample();
    const last = this.samples[this.samples.length - 1];
    const peak = Math.max(0, ...this.samples.map((s) => Math.max(s.hwmBytes, s.rssBytes)));
    return {
      peakRssMB: Math.round((peak / 1024 / 1024) * 10) / 10,
      lastRssMB: Math.round(((last?.rssBytes ?? 0) / 1024 / 1024) * 10) / 10,
      cpuSeconds: last?.cpuSeconds ?? 0,
    };
  }

  async stop(): Promise<void> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.env.supervisor.stopOne(this.proc, 30_000);
  }
}
