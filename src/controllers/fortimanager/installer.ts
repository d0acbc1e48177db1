import type { InstallRecord } from '../../api/v1alpha1/fortimanager-target.js';
import type { ValidFortiManagerTargetSpec } from '../../api/v1alpha1/validation.js';
import type { FortiManagerClient, TaskStatus, WorkspaceMode } from '../../fortimanager/index.js';
import { formatTime } from '../../runtime/conditions.js';
import { errorMessage } from '../../runtime/errors.js';
import { nextInstallAt, type PackageInstallState } from './install-schedule.js';

export type InstallClient = Pick<FortiManagerClient, 'installPackage' | 'waitForTask' | 'whereUsed'>;

/**
 * In workspace mode `normal` FortiManager starts an install only for the session that holds the
 * ADOM lock (-10147 otherwise), so the start goes through the workspace: lock → install → commit
 * (nothing) → unlock. The task runs on after the unlock and is polled without the lock, so the
 * ADOM is never held for the length of an install.
 */
export function workspaceInstalls(
  client: FortiManagerClient,
  mode: WorkspaceMode | undefined,
): InstallClient {
  return {
    installPackage: (pkg, scope, flags) =>
      client.withWorkspace(() => client.installPackage(pkg, scope, flags), mode),
    waitForTask: (id, options) => client.waitForTask(id, options),
    whereUsed: (table, name, pollMs, attempts) => client.whereUsed(table, name, pollMs, attempts),
  };
}

/** A group as the sync keys it (`IPv4/NAME`), and its ADOM table. */
function groupRef(key: string): { table: 'firewall/addrgrp' | 'firewall/addrgrp6'; name: string } {
  const slash = key.indexOf('/');
  const family = key.slice(0, slash);
  return { table: family === 'IPv6' ? 'firewall/addrgrp6' : 'firewall/addrgrp', name: key.slice(slash + 1) };
}

const DETAIL_LIMIT = 1024;

/**
 * How often a running install task is polled. The next install of the package waits for this one's
 * end as seen here, so the client's doubling poll (0, 2, 6, 14, 24, 34 s) made a 27 s install
 * look 34 s long and pushed every later install back by up to 7 s (bench fmg-churn).
 */
export const INSTALL_POLL_MS = 2_000;

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
  /** Packages whose policies use each group (by group key), as FMG's where-used last said. */
  private readonly usage = new Map<string, string[]>();
  /** Groups no listed package uses: FortiManager would not install them. */
  readonly unused = new Set<string>();

  constructor(
    private readonly now: () => number,
    private readonly onFinished: () => void,
    /** Each install's end, for metrics: the package, whether it succeeded, and how long it took. */
    private readonly onResult?: (pkg: string, ok: boolean, durationMs: number) => void,
  ) {}

  private state(pkg: string): PackageInstallState {
    let s = this.states.get(pkg);
    if (!s) {
      s = { pending: false, running: false, failures: 0 };
      this.states.set(pkg, s);
    }
    return s;
  }

  /** The drift check: policies may have changed on FortiManager; ask where-used again. */
  forgetUsage(): void {
    this.usage.clear();
  }

  /**
   * Objects changed: the listed packages whose policies use one of the groups the sync wrote
   * (`touched`) install them at their next turn. Only those groups are looked up (FMG's where-used,
   * remembered until the drift check); `current` (the target's groups now) drops the unused-group
   * notes of groups that are gone.
   */
  async noteChange(
    client: InstallClient,
    spec: ValidFortiManagerTargetSpec,
    touched: Iterable<string>,
    current: ReadonlyMap<string, unknown>,
  ): Promise<void> {
    if (spec.install?.policy !== 'Packages') return;
    const listed = new Set((spec.install.packages ?? []).map((p) => p.name));
    for (const name of [...this.unused]) if (!this.groupStillThere(name, current)) this.unused.delete(name);
    for (const key of touched) {
      let pkgs = this.usage.get(key);
      if (!pkgs) {
        const { table, name } = groupRef(key);
        // Unknown usage (the group is gone, where-used failed): every listed package, the safe side.
        const uses = await client.whereUsed(table, name).catch(() => undefined);
        pkgs = uses
          ? [...new Set(uses.map((u) => u.pkg).filter((p): p is string => typeof p === 'string'))]
          : [...listed];
        if (uses) this.usage.set(key, pkgs);
      }
      const mine = pkgs.filter((p) => listed.has(p));
      const name = groupRef(key).name;
      if (mine.length === 0 && current.has(key)) this.unused.add(name);
      else this.unused.delete(name);
      for (const p of mine) this.state(p).pending = true;
    }
  }

  private groupStillThere(name: string, current: ReadonlyMap<string, unknown>): boolean {
    return current.has(`IPv4/${name}`) || current.has(`IPv6/${name}`);
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

  /**
   * ADR 0004 on FortiManager: a settled group's drain waits until every listed package that uses
   * the group (where-used; unknown: every listed package) has finished an install that started
   * after `since`, when fortisync's members were complete in the ADOM, so the FortiGates hold
   * them before anything of Tigera's leaves. A package it waits for is asked to install (after a
   * restart nothing else would ask). Answers why it waits, or undefined.
   */
  drainHold(spec: ValidFortiManagerTargetSpec, groupKey: string, since: number): string | undefined {
    if (spec.install?.policy !== 'Packages') return undefined;
    const listed = new Set((spec.install.packages ?? []).map((p) => p.name));
    const pkgs = (this.usage.get(groupKey) ?? [...listed]).filter((p) => listed.has(p));
    const waiting = pkgs.filter((p) => (this.state(p).lastDoneStartMs ?? -Infinity) < since);
    if (waiting.length === 0) return undefined;
    for (const p of waiting) this.state(p).pending = true;
    const failed = waiting.filter((p) => this.records.get(p)?.state === 'error');
    return `fortisync's members are complete in the ADOM and have settled; Calico Enterprise's leave once package(s) ${waiting.join(', ')} have installed them to the FortiGates (an install started after ${formatTime(since)} that succeeds)${failed.length ? `; the last install of ${failed.join(', ')} failed (see condition Installed)` : ''}`;
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
      const task = await client.waitForTask(record.taskId as number, {
        timeoutMs,
        pollMs: INSTALL_POLL_MS,
        maxPollMs: INSTALL_POLL_MS,
      });
      record.devices = linesOf(task);
      this.finish(s, record, task.succeeded, task.succeeded ? undefined : `${task.numErrors} line(s) failed`);
    } catch (err) {
      this.finish(s, record, false, errorMessage(err));
    }
  }

  private finish(s: PackageInstallState, record: InstallRecord, ok: boolean, why: string | undefined): void {
    s.running = false;
    s.failures = ok ? 0 : s.failures + 1;
    if (ok) s.lastDoneStartMs = s.lastStartMs;
    record.state = ok ? 'done' : 'error';
    const end = this.now();
    record.endTime = formatTime(end);
    this.onResult?.(record.package, ok, end - (s.lastStartMs ?? end));
    if (why && !record.devices?.length)
      record.devices = [{ name: '-', state: 'error', detail: why.slice(0, DETAIL_LIMIT) }];
    this.onFinished();
  }
}
