/**
 * fortisync benchmarks: `npm run bench -- <scenario|all> [--latency 0,25] [--pods N] …`.
 * Starts a real control plane, the FortiGate simulator and the operator as a separate process per
 * scenario, prints a table of figures against their floors and writes JSON to bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  runScenario,
  SCENARIOS,
  type ScenarioName,
  type ScenarioOptions,
  type ScenarioResult,
} from './scenarios.js';
import { PRODUCTION } from '../test/support/operator-process.js';
import { FMG_SCENARIOS, fmgChurn, type FmgScenarioName, type FmgScenarioResult } from './fortimanager.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Args {
  scenarios: (ScenarioName | FmgScenarioName)[];
  latencies: number[];
  out: string;
  numbers: Partial<
    Record<
      | 'nodes'
      | 'pods'
      | 'mappings'
      | 'duration'
      | 'rate'
      | 'drift'
      | 'scrape'
      | 'installSeconds'
      | 'installWindow',
      number
    >
  >;
  profile?: string;
  tag?: string;
}

const USAGE = `usage: npm run bench -- <${[...SCENARIOS, ...FMG_SCENARIOS].join('|')}|all>[,…] [options]
  --latency 0,25     simulator latency per call in ms (each value is a separate run; default 0,25)
  --nodes N --pods N --mappings N   scale (defaults per scenario: churn 50/5000/100, burst 10/1000/1,
                     cold-start and restart 50/10000/200, steady 50/5000/100, scale 5000/150000/1000)
  --duration S       churn length (default 60) or steady window (default 600)
  --rate N           churn pod creations and deletions per second (default 20)
  --drift S          device driftCheckIntervalSeconds (steady default 30, others 300)
  --scrape S         scale: seconds between /metrics scrapes in the steady window (default 30,
                     the chart's ServiceMonitor interval; runs before 2026-12-03 evening used 2)
  --install-seconds N   fmg-churn: how long the simulated FortiManager install takes (default 5)
  --install-window S    fmg-churn: the target's install.coalesceSeconds (default 10)
  --out DIR          where JSON results go (default bench/results)
  --tag NAME         added to the result file names (e.g. before-fix)
  --profile DIR      run the operator with --cpu-prof into DIR (SIGUSR2 writes a heap snapshot)`;

function parseArgs(argv: string[]): Args {
  const args: Args = { scenarios: [], latencies: [0, 25], out: join(REPO, 'bench', 'results'), numbers: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const num = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    switch (a) {
      case '--latency':
        args.latencies = value().split(',').map(Number);
        break;
      case '--nodes':
      case '--pods':
      case '--mappings':
      case '--duration':
      case '--rate':
      case '--drift':
      case '--scrape':
        args.numbers[a.slice(2) as keyof Args['numbers']] = num();
        break;
      case '--install-seconds':
        args.numbers.installSeconds = num();
        break;
      case '--install-window':
        args.numbers.installWindow = num();
        break;
      case '--out':
        args.out = value();
        break;
      case '--tag':
        args.tag = value();
        break;
      case '--profile':
        args.profile = value();
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
        break;
      default: {
        if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
        for (const s of a.split(',')) {
          if (s === 'all')
            args.scenarios.push(...SCENARIOS.filter((x) => x !== 'cold-start' && x !== 'scale'));
          else if ((SCENARIOS as string[]).includes(s)) args.scenarios.push(s as ScenarioName);
          else if ((FMG_SCENARIOS as readonly string[]).includes(s))
            args.scenarios.push(s as FmgScenarioName);
          else throw new Error(`unknown scenario ${s}\n${USAGE}`);
        }
      }
    }
  }
  if (args.scenarios.length === 0) throw new Error(USAGE);
  return args;
}

export function machine(): Record<string, unknown> {
  const git = (...a: string[]): string => {
    try {
      return execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuMHz: cpus[0]?.speed ?? 0,
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    commit: git('rev-parse', 'HEAD'),
    dirty: git('status', '--porcelain', '--untracked-files=no', '--', 'src') !== '',
    // Operator node flags beyond the production ones (e.g. a larger heap cap for 150,000 pods).
    benchNodeFlags: process.env.FORTISYNC_BENCH_NODE_FLAGS ?? '',
    benchCli: process.env.FORTISYNC_BENCH_CLI ?? PRODUCTION.script,
  };
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : String(v);
}

export function table(r: Pick<ScenarioResult, 'figures'>): string {
  const rows = [['figure', 'observed', 'floor', 'obs/floor', 'target', 'met']];
  for (const f of r.figures) {
    rows.push([
      f.figure,
      `${fmt(f.observed)} ${f.unit}`,
      f.floor === null ? '–' : `${f.floor} ${f.unit}`,
      f.ratio === null ? '–' : `${f.ratio}×`,
      f.target ?? '',
      f.met === undefined ? '' : f.met ? 'yes' : 'NO',
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] as string).length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  // The supervised processes and their timers are unref'd: keep the loop alive while we wait on them.
  const keepAlive = setInterval(() => undefined, 1000);
  let failed = false;
  for (const latencyMs of args.latencies) {
    // cold-start and restart share one environment: restart starts from cold start's end state.
    const scenarios = [...new Set(args.scenarios)].filter(
      (s) => !(s === 'cold-start' && args.scenarios.includes('restart')),
    );
    for (const scenario of scenarios) {
      const env = machine();
      const opts: ScenarioOptions = {
        latencyMs,
        ...(args.numbers.nodes !== undefined ? { nodes: args.numbers.nodes } : {}),
        ...(args.numbers.pods !== undefined ? { pods: args.numbers.pods } : {}),
        ...(args.numbers.mappings !== undefined ? { mappings: args.numbers.mappings } : {}),
        ...(args.numbers.duration !== undefined ? { duration: args.numbers.duration } : {}),
        ...(args.numbers.rate !== undefined ? { rate: args.numbers.rate } : {}),
        ...(args.numbers.drift !== undefined ? { driftSeconds: args.numbers.drift } : {}),
        ...(args.numbers.scrape !== undefined ? { scrapeSeconds: args.numbers.scrape } : {}),
        ...(args.profile ? { profileDir: args.profile } : {}),
        log: (m) => console.error(`${scenario}@${latencyMs}ms ${m}`),
      };
      console.error(
        `== ${scenario} at ${latencyMs} ms latency (load ${(env.loadAverageAtStart as number[]).join(' ')})`,
      );
      try {
        const results: (ScenarioResult | FmgScenarioResult)[] =
          scenario === 'fmg-churn'
            ? [
                await fmgChurn({
                  ...opts,
                  ...(args.numbers.installSeconds !== undefined
                    ? { installSeconds: args.numbers.installSeconds }
                    : {}),
                  ...(args.numbers.installWindow !== undefined
                    ? { installWindow: args.numbers.installWindow }
                    : {}),
                }),
              ]
            : await runScenario(scenario, opts);
        for (const r of results) {
          const finishedLoad = os.loadavg().map((l) => Math.round(l * 100) / 100);
          const file = join(args.out, `${r.scenario}-${latencyMs}ms${args.tag ? `-${args.tag}` : ''}.json`);
          writeFileSync(
            file,
            `${JSON.stringify({ ...r, machine: { ...env, loadAverageAtEnd: finishedLoad }, date: new Date().toISOString() }, null, 2)}\n`,
          );
          console.log(
            `\n${r.scenario} — ${latencyMs} ms per FortiOS call (load ${(env.loadAverageAtStart as number[]).join(' ')}; ${r.wallSeconds} s)`,
          );
          console.log(table(r));
          if (r.operatorWarnings.length > 0)
            console.log(`operator warnings: ${r.operatorWarnings.length} (see ${file})`);
          console.log(`→ ${file}`);
        }
      } catch (err) {
        failed = true;
        console.error(`${scenario} at ${latencyMs} ms failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }
  clearInterval(keepAlive);
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(2);
});
