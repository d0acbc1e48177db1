import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from './kube.js';
import type { ProcessSupervisor, SupervisedProcess } from './supervisor.js';
import { repoRoot } from './testenv-binaries.js';

/**
 * How production runs the operator, in one place for the tests, the demo and the bench: the node
 * flags and the script of the image's ENTRYPOINT (Dockerfile; V8 flags Node refuses in
 * NODE_OPTIONS; the bundle `npm run build` writes, hack/bundle.ts), and the NODE_OPTIONS and
 * malloc settings of the manager Deployment (config/manager/manager.yaml).
 * test/unit/production-flags.test.ts fails when either file says otherwise.
 */
export const PRODUCTION = {
  entrypointFlags: ['--heap-growing-percent=10'],
  script: 'dist/bundle/fortisync.mjs',
  nodeOptions: ['--max-old-space-size=192', '--max-semi-space-size=2'],
  env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' },
} as const;

/** The bundled CLI the image runs (`npm run build` produced it). */
const CLI = join(repoRoot(), PRODUCTION.script);

/**
 * Copies the bundle (with its package list and notices) and package.json into `dir` as the image
 * lays them out (Dockerfile), with no node_modules anywhere above them; returns the CLI's path there.
 */
export function stageImageLayout(dir: string): string {
  cpSync(join(repoRoot(), 'dist/bundle'), join(dir, 'dist/bundle'), { recursive: true });
  cpSync(join(repoRoot(), 'package.json'), join(dir, 'package.json'));
  return join(dir, PRODUCTION.script);
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Another copy of the CLI to run (the bundle staged as the image lays it out). */
  cli?: string;
  /** More node flags (profiling…, or one overriding a production flag), after the production ones. */
  nodeFlags?: string[];
}

/** Started under a ProcessSupervisor (the bench, the demo): its own process group, a log file. */
export interface SupervisedSpawnOptions extends SpawnOptions {
  supervisor: ProcessSupervisor;
  /** Names the log file (default `operator`). */
  name?: string;
}

/** `node <production flags> fortisync.js operator <args>` and its environment. */
function operatorCommand(args: string[], opts: SpawnOptions): { argv: string[]; env: NodeJS.ProcessEnv } {
  return {
    // The extra flags come last: V8 takes the last of a repeated flag, so a bench can measure a
    // larger heap cap (--max-old-space-size) than the manifest's.
    argv: [
      ...PRODUCTION.nodeOptions,
      ...PRODUCTION.entrypointFlags,
      ...(opts.nodeFlags ?? []),
      opts.cli ?? CLI,
      'operator',
      ...args,
    ],
    env: { ...process.env, ...PRODUCTION.env, ...opts.env },
  };
}

export interface OperatorProcess {
  proc: ChildProcess;
  /** Every JSON log line, parsed. */
  logs: Record<string, unknown>[];
  healthUrl: string;
  metricsUrl: string;
  exitCode(): Promise<number | null>;
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs `fortisync operator` as a separate process with the production flags. Under a supervisor
 * (bench, demo) it returns at once and logs to a file; otherwise (tests) it listens on free
 * loopback ports and resolves once the operator logged its start, with its logs parsed.
 */
export function spawnOperator(args: string[], opts: SupervisedSpawnOptions): SupervisedProcess;
export function spawnOperator(args: string[], opts?: SpawnOptions): Promise<OperatorProcess>;
export function spawnOperator(
  args: string[],
  opts: SpawnOptions | SupervisedSpawnOptions = {},
): SupervisedProcess | Promise<OperatorProcess> {
  if ('supervisor' in opts) {
    const { argv, env } = operatorCommand(args, opts);
    return opts.supervisor.start(opts.name ?? 'operator', process.execPath, argv, env);
  }
  return spawnPiped(args, opts);
}

async function spawnPiped(args: string[], opts: SpawnOptions): Promise<OperatorProcess> {
  const { argv, env } = operatorCommand(
    ['--health-addr', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0', ...args],
    opts,
  );
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const logs: Record<string, unknown>[] = [];
  let buffer = '';
  const onData = (chunk: Buffer): void => {
    buffer += chunk.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line, raw: true });
      }
    }
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const waitForLog = (match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000) =>
    eventually(() => logs.find(match), {
      timeoutMs,
      what: `${what}; logs so far:\n${logs
        .slice(-15)
        .map((l) => JSON.stringify(l))
        .join('\n')}`,
    });
  const start = await waitForLog((l) => l.message === 'fortisync operator starting', 'operator start');
  return {
    proc,
    logs,
    healthUrl: `http://${String(start.health)}`,
    metricsUrl: `http://${String(start.metrics)}`,
    exitCode: () => exit,
    waitForLog,
    kill: (signal) => proc.kill(signal),
  };
}
