import type { Condition } from '../../api/v1alpha1/common.js';
import type { FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import { age, paint, table, type Io } from './output.js';

/** One package's latest install, as the target's status reports it. */
export interface InstallRow {
  package: string;
  state: string;
  taskId?: number;
  startTime?: string;
  endTime?: string;
  /** Device lines that did not succeed, `name[/vdom]: detail`. */
  failures: string[];
  devices: number;
}

export interface TargetStatusRow {
  name: string;
  ready: string;
  reason: string;
  message: string;
  adom: string;
  version?: string;
  workspaceMode?: string;
  /** Who held the ADOM lock when fortisync last needed it (ADOMLocked). */
  lockedBy?: { user: string; since?: string };
  addresses?: number;
  groups?: number;
  lastSyncTime?: string;
  /** The Installed condition: where the ADOM's changes stand on the way to the FortiGates. */
  installed?: { status: string; reason: string; message: string };
  installs: InstallRow[];
  /** With --live: operations the operator's plan would perform now (0: in sync), or why unread. */
  drift?: { pendingOperations: number } | { error: string };
}

const condition = (conds: Condition[] | undefined, type: string): Condition | undefined =>
  conds?.find((c) => c.type === type);

export function targetRow(t: FortiManagerTarget): TargetStatusRow {
  const s = t.status;
  const ready = condition(s?.conditions, 'Ready');
  const installed = condition(s?.conditions, 'Installed');
  return {
    name: t.metadata.name,
    ready: ready?.status ?? 'Unknown',
    reason: ready?.reason ?? 'NotObserved',
    message: ready?.message ?? 'the operator has not reported on this target (is it running?)',
    adom: t.spec?.adom ?? 'root',
    ...(s?.fortimanager?.version ? { version: s.fortimanager.version } : {}),
    ...(s?.workspaceMode ? { workspaceMode: s.workspaceMode } : {}),
    ...(s?.lockedBy ? { lockedBy: s.lockedBy } : {}),
    ...(s?.managedAddresses !== undefined ? { addresses: s.managedAddresses } : {}),
    ...(s?.managedGroups !== undefined ? { groups: s.managedGroups } : {}),
    ...(s?.lastSyncTime ? { lastSyncTime: s.lastSyncTime } : {}),
    ...(installed
      ? { installed: { status: installed.status, reason: installed.reason, message: installed.message } }
      : {}),
    installs: (s?.installs ?? []).map((r) => ({
      package: r.package,
      state: r.state,
      ...(r.taskId !== undefined ? { taskId: r.taskId } : {}),
      ...(r.startTime ? { startTime: r.startTime } : {}),
      ...(r.endTime ? { endTime: r.endTime } : {}),
      devices: r.devices?.length ?? 0,
      failures: (r.devices ?? [])
        .filter((d) => d.state === 'error')
        .map((d) => `${d.name}${d.vdom ? `/${d.vdom}` : ''}: ${d.detail ?? 'error'}`),
    })),
  };
}

function colour(io: Io, v: string): string {
  return paint(io, v === 'True' ? 'green' : v === 'False' ? 'red' : 'yellow', v);
}

function driftText(io: Io, d: TargetStatusRow['drift']): string {
  if (!d) return '-';
  if ('error' in d) return paint(io, 'red', 'unreadable');
  return d.pendingOperations === 0
    ? paint(io, 'green', 'in sync')
    : paint(io, 'yellow', `${d.pendingOperations} op(s)`);
}

function lockText(io: Io, t: TargetStatusRow, now: number): string {
  if (!t.lockedBy) return '-';
  return paint(
    io,
    'yellow',
    `${t.lockedBy.user}${t.lockedBy.since ? ` (${age(t.lockedBy.since, now)})` : ''}`,
  );
}

/** The FORTIMANAGER TARGETS and INSTALLS sections of `status`. */
export function renderTargets(io: Io, targets: readonly TargetStatusRow[], now: number): string {
  if (targets.length === 0) return '';
  let out = '\n' + paint(io, 'bold', 'FORTIMANAGER TARGETS') + '\n';
  out += table(
    [
      'name',
      'ready',
      'reason',
      'adom',
      'mode',
      'locked by',
      'addresses',
      'groups',
      'last sync',
      'installed',
      'drift',
    ],
    targets.map((t) => [
      t.name,
      colour(io, t.ready),
      t.reason,
      t.adom,
      t.workspaceMode ?? '-',
      lockText(io, t, now),
      String(t.addresses ?? '-'),
      String(t.groups ?? '-'),
      age(t.lastSyncTime, now),
      t.installed ? `${colour(io, t.installed.status)} ${t.installed.reason}` : '-',
      driftText(io, t.drift),
    ]),
  );
  const installs = targets.flatMap((t) => t.installs.map((i) => ({ target: t.name, ...i })));
  if (installs.length) {
    out += '\n' + paint(io, 'bold', 'INSTALLS') + '\n';
    out += table(
      ['target', 'package', 'state', 'task', 'ended', 'devices', 'failed lines'],
      installs.map((i) => [
        i.target,
        i.package,
        paint(io, i.state === 'done' ? 'green' : i.state === 'error' ? 'red' : 'yellow', i.state),
        i.taskId !== undefined ? String(i.taskId) : '-',
        age(i.endTime, now),
        String(i.devices),
        i.failures.join('; ') || '-',
      ]),
    );
  }
  return out;
}

/** Lines for the NOT READY section: targets not Ready, installs that failed, unread ADOMs. */
export function targetProblems(targets: readonly TargetStatusRow[]): string[] {
  return targets.flatMap((t) => [
    ...(t.ready !== 'True' ? [`fortimanagertarget ${t.name}: ${t.reason}: ${t.message}`] : []),
    ...(t.installed?.status === 'False' && t.installed.reason !== 'Installing'
      ? [`fortimanagertarget ${t.name}: ${t.installed.reason}: ${t.installed.message}`]
      : []),
    ...(t.drift && 'error' in t.drift ? [`fortimanagertarget ${t.name} not read: ${t.drift.error}`] : []),
  ]);
}
