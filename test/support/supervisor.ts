import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
}

/**
 * Starts processes in their own process groups and guarantees none outlives its owner: a detached
 * watchdog shell kills every group it was told about when the owning Node process dies (even by
 * SIGKILL) or when the deadline passes, and `stopAll` kills them on an orderly teardown.
 */
export class ProcessSupervisor {
  private readonly procs: { proc: ChildProcess; sp: SupervisedProcess }[] = [];
  private readonly pidFile: string;
  private watchdog: ChildProcess | undefined;
  private readonly onExit = (): void => this.killAllNow();

  constructor(
    private readonly dir: string,
    maxLifetimeSeconds: number,
  ) {
    this.pidFile = join(dir, 'supervised.pids');
    writeFileSync(this.pidFile, '');
    const deadline = Math.floor(Date.now() / 1000) + maxLifetimeSeconds;
    const script = [
      `while kill -0 ${process.pid} 2>/dev/null && [ "$(date +%s)" -lt ${deadline} ]; do sleep 1; done`,
      `for p in $(cat '${this.pidFile}'); do kill -TERM -$p 2>/dev/null; done`,
      'sleep 3',
      `for p in $(cat '${this.pidFile}'); do kill -KILL -$p 2>/dev/null; done`,
    ].join('; ');
    this.watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
    this.watchdog.unref();
    process.once('exit', this.onExit);
  }

  start(
    name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ): SupervisedProcess {
    const logFile = join(this.dir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    // Both streams share the log file: neither may end it while the other still writes.
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    proc.once('close', () => log.end());
    if (proc.pid === undefined) throw new Error(`failed to start ${command}`);
    appendFileSync(this.pidFile, `${proc.pid}\n`);
    let done = false;
    const exited = new Promise<number | string>((resolve) => {
      proc.once('exit', (code, signal) => {
        done = true;
        resolve(code ?? signal ?? 'unknown');
      });
      proc.once('error', (err) => {
        done = true;
        resolve(err.message);
      });
    });
    proc.unref();
    const sp: SupervisedProcess = { name, pid: proc.pid, logFile, exited, hasExited: () => done };
    this.procs.push({ proc, sp });
    return sp;
  }

  /** Stops processes in reverse start order: SIGTERM, then SIGKILL after the grace period. */
  async stopAll(graceMs = 10_000): Promise<void> {
    for (const { sp } of [...this.procs].reverse()) {
      await this.stopOne(sp, graceMs);
    }
    this.procs.length = 0;
    process.removeListener('exit', this.onExit);
    if (this.watchdog?.pid) signalGroup(this.watchdog.pid, 'SIGKILL');
    this.watchdog = undefined;
  }

  async stopOne(sp: SupervisedProcess, graceMs = 10_000): Promise<void> {
    if (sp.hasExited()) return;
    // Children are unref'd so they never keep their owner alive; while we wait for one to exit it
    // must hold the event loop, or the owner (Jest's teardown) ends before the wait does.
    this.procs.find((p) => p.sp === sp)?.proc.ref();
    signalGroup(sp.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), graceMs)));
    const outcome = await Promise.race([sp.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      signalGroup(sp.pid, 'SIGKILL');
      await sp.exited;
    }
    // Whatever the process left in its group goes too.
    signalGroup(sp.pid, 'SIGKILL');
  }

  private killAllNow(): void {
    for (const { sp } of this.procs) signalGroup(sp.pid, 'SIGKILL');
    if (this.watchdog?.pid) signalGroup(this.watchdog.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
