import type { JsonObject } from '../model/json.js';
import type { SimulatorStateApi } from '../state-api.js';
import { deploy, NOTHING_INSTALLED } from './deploy.js';
import type { InstalledSet } from './deploy.js';
import type { AdomDb, PolicyPackage } from './objects.js';

/** FMG task states, in the order of their numbers (a get without verbose answers the number). */
export const TASK_STATES = [
  'pending',
  'running',
  'cancelling',
  'cancelled',
  'done',
  'error',
  'aborting',
  'aborted',
  'warning',
  'to_continue',
  'unknown',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface ManagedDevice {
  name: string;
  serial: string;
  vdoms: readonly string[];
  state: SimulatorStateApi;
}

interface TaskLine {
  name: string;
  vdom: string;
  oid: number;
  state: TaskState;
  err: number;
  detail: string;
  percent: number;
  start_tm: number;
  end_tm: number;
}

interface Task {
  id: number;
  title: string;
  adom: string;
  pkg: string;
  user: string;
  startedMs: number;
  durationMs: number;
  state: TaskState;
  endMs?: number;
  lines: TaskLine[];
  /** The ADOM as committed when the install started: later changes go in the next install. */
  db: AdomDb;
  package: PolicyPackage;
}

export interface TaskDeps {
  now: () => number;
  device: (name: string) => ManagedDevice | undefined;
  /** A fault for this device's line, if one is set: the line fails with this detail. */
  installFault: (pkg: string, device: string) => string | undefined;
}

/** Install tasks: progress follows the clock; the devices change when a task reaches 100 %. */
export class TaskRegistry {
  private readonly tasks = new Map<number, Task>();
  private readonly installed = new Map<string, InstalledSet>();
  private nextId = 1;

  constructor(private readonly deps: TaskDeps) {}

  startInstall(input: {
    adom: string;
    db: AdomDb;
    pkg: PolicyPackage;
    scope: readonly { name: string; vdom: string }[];
    user: string;
    durationMs: number;
  }): number {
    const now = this.deps.now();
    const id = this.nextId++;
    const lines = input.scope.map((s, i) => ({
      name: s.name,
      vdom: s.vdom,
      oid: i + 1,
      state: 'pending' as TaskState,
      err: 0,
      detail: '',
      percent: 0,
      start_tm: seconds(now),
      end_tm: 0,
    }));
    this.tasks.set(id, {
      id,
      title: `Install Package(${input.pkg.name})`,
      adom: input.adom,
      pkg: input.pkg.name,
      user: input.user,
      startedMs: now,
      durationMs: input.durationMs,
      state: 'pending',
      lines,
      db: input.db,
      package: structuredClone(input.pkg),
    });
    return id;
  }

  has(id: number): boolean {
    return this.tasks.has(id);
  }

  /** Brings every task up to the clock (a timer calls this; so does every read). */
  advanceAll(): void {
    for (const task of this.tasks.values()) this.advance(task);
  }

  view(id: number): JsonObject | undefined {
    const task = this.tasks.get(id);
    if (!task) return undefined;
    this.advance(task);
    return render(task, this.percent(task));
  }

  list(): JsonObject[] {
    return [...this.tasks.keys()].map((id) => this.view(id) as JsonObject);
  }

  clear(): void {
    this.tasks.clear();
    this.installed.clear();
  }

  private percent(task: Task): number {
    if (task.endMs !== undefined) return 100;
    const elapsed = this.deps.now() - task.startedMs;
    return Math.min(99, Math.floor((elapsed / Math.max(1, task.durationMs)) * 100));
  }

  private advance(task: Task): void {
    if (task.endMs !== undefined) return;
    const now = this.deps.now();
    if (now - task.startedMs < task.durationMs) {
      task.state = 'running';
      const percent = this.percent(task);
      for (const line of task.lines) Object.assign(line, { state: 'running', percent });
      return;
    }
    for (const line of task.lines) this.installLine(task, line);
    task.endMs = now;
    task.state = task.lines.some((l) => l.state === 'error') ? 'error' : 'done';
  }

  private installLine(task: Task, line: TaskLine): void {
    const end = (state: TaskState, detail: string): void => {
      Object.assign(line, { state, detail, err: state === 'error' ? 1 : 0, percent: 100 });
      line.end_tm = seconds(this.deps.now());
    };
    const device = this.deps.device(line.name);
    if (!device) return end('error', `device ${line.name} is not managed by this FortiManager`);
    if (!device.vdoms.includes(line.vdom))
      return end('error', `device ${line.name} has no VDOM ${line.vdom}`);
    const injected = this.deps.installFault(task.pkg, line.name);
    if (injected !== undefined) return end('error', injected);
    const key = `${line.name}\u0000${line.vdom}`;
    try {
      const next = deploy(
        task.db,
        task.package,
        device,
        line.vdom,
        this.installed.get(key) ?? NOTHING_INSTALLED,
      );
      this.installed.set(key, next);
      end('done', 'install and save finished status=OK');
    } catch (err) {
      end('error', err instanceof Error ? err.message : String(err));
    }
  }
}

function render(task: Task, percent: number): JsonObject {
  const errors = task.lines.filter((l) => l.state === 'error').length;
  const done = task.lines.filter((l) => l.state === 'done').length;
  return {
    id: task.id,
    title: task.title,
    adom: task.adom,
    src: 'json',
    user: task.user,
    state: task.state,
    percent,
    tot_percent: percent,
    num_lines: task.lines.length,
    num_done: done,
    num_err: errors,
    num_warn: 0,
    start_tm: seconds(task.startedMs),
    end_tm: task.endMs === undefined ? 0 : seconds(task.endMs),
    line: task.lines.map((l) => ({ ...l })),
  };
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}
