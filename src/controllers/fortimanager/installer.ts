import type { InstallRecord } from '../../api/v1alpha1/fortimanager-target.js';
import type { ValidFortiManagerTargetSpec } from '../../api/v1alpha1/validation.js';
import type { FortiManagerClient, TaskStatus } from '../../fortimanager/index.js';
import { formatTime } from '../../runtime/conditions.js';
import { errorMessage } from '../../runtime/errors.js';
import { nextInstallAt, type PackageInstallState } from './install-schedule.js';

type InstallClient = Pick<FortiManagerClient, 'installPackage' | 'waitForTask'>;

const DETAIL_LIMIT = 1024;

function linesOf(task: TaskStatus): NonNullable<InstallRecord['devices']> {
  return task.lines.slice(0, 256).map((l) => ({
    name: l.name,
    ...(l.vdom ? { vdom: l.vdom } : {}),
    state: l.err ? 'error' : l.state,
    ...(l.detail ? { detail: l.detail.slice(0, DETAIL_LIMIT) } : {}),
  }));
}

/**
 * The install policy of one target (ADR 0003 §6): after a sync changed objects, each listed
 * package is installed to its scope, coalesced per package, its task followed to the end in the
 * background; `onFinished` asks for a status write.
 */
export class PackageInstaller {
  private readonly states = new Map<string, PackageInstallState>();
  readonly records = new Map<string, InstallRecord>();

  constructor(
    private readonly now: () => number,
    private readonly onFinished: () => void,
  ) {}

  private state(pkg: string): PackageInstallState {
    let s = this.states.get(pkg);
    if (!s) {
      s = { pending: false, running: false, failures: 0 };
      this.states.set(pkg, s);
    }
    return s;
  }

  /** Objects changed: every listed package installs them at its next turn. */
  noteChange(spec: ValidFortiManagerTargetSpec): void {
    if (spec.install?.policy !== 'Packages') return;
    for (const p of spec.install.packages ?? []) this.state(p.name).pending = true;
  }

  /** Starts the installs that are due; answers ms until the next one is (undefined: none waits). */
  async startDue(client: InstallClient, spec: ValidFortiManagerTargetSpec): Promise<number | undefined> {
    if (spec.install?.policy !== 'Packages') return undefined;
    const coalesceMs = (spec.install.coalesceSeconds ?? 30) * 1000;
    let soonest: number | undefined;
    for (const pkg of spec.install.packages ?? []) {
      const s = this.state(pkg.name);
      const now = this.now();
      const at = nextInstallAt(s, coalesceMs, now);
      if (at === undefined) continue;
      if (at > now) {
        soonest = Math.min(soonest ?? Infinity, at - now);
        continue;
      }
      const scope = pkg.scope?.map((d) => ({ name: d.device, vdom: d.vdom ?? 'root' }));
      s.pending = false;
      s.running = true;
      s.lastStartMs = now;
      const record: InstallRecord = { package: pkg.name, state: 'starting', startTime: formatTime(now) };
      this.records.set(pkg.name, record);
      try {
        record.taskId = await client.installPackage(pkg.name, scope);
        record.state = 'running';
      } catch (err) {
        this.finish(s, record, false, errorMessage(err));
        continue;
      }
      void this.follow(client, s, record, (spec.install.timeoutSeconds ?? 900) * 1000);
    }
    return soonest;
  }

  /** Whether any install is running or waits for its window. */
  busy(): boolean {
    return [...this.states.values()].some((s) => s.running || s.pending);
  }

  private async follow(
    client: InstallClient,
    s: PackageInstallState,
    record: InstallRecord,
    timeoutMs: number,
  ): Promise<void> {
    try {
      const task = await client.waitForTask(record.taskId as number, { timeoutMs });
      record.devices = linesOf(task);
      this.finish(s, record, task.succeeded, task.succeeded ? undefined : `${task.numErrors} line(s) failed`);
    } catch (err) {
      this.finish(s, record, false, errorMessage(err));
    }
  }

  private finish(s: PackageInstallState, record: InstallRecord, ok: boolean, why: string | undefined): void {
    s.running = false;
    s.failures = ok ? 0 : s.failures + 1;
    record.state = ok ? 'done' : 'error';
    record.endTime = formatTime(this.now());
    if (why && !record.devices?.length)
      record.devices = [{ name: '-', state: 'error', detail: why.slice(0, DETAIL_LIMIT) }];
    this.onFinished();
  }
}
