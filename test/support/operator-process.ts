import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from './kube.js';

/** The compiled CLI (tests run from test/support; `npm run build` produced dist/). */
const CLI = fileURLToPath(new URL('../../dist/src/cmd/fortisync.js', import.meta.url));

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

/** Runs `fortisync operator` as a separate process (as in production) on free loopback ports. */
export async function spawnOperator(args: string[], env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, 'operator', '--health-addr', '127.0.0.1:0', '--metrics-addr', '127.0.0.1:0', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
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
