import type {
  AdomInfo,
  FmgSystemStatus,
  LockInfo,
  PolicyPackage,
  TaskLine,
  TaskState,
  TaskStatus,
  Usage,
  WorkspaceMode,
} from './types.js';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function int(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** `sys/status`: Hostname and integer Major/Minor/Patch (what Ansible relies on too). */
export function parseSystemStatus(data: unknown): FmgSystemStatus | undefined {
  if (!isObj(data)) return undefined;
  const major = int(data.Major);
  const minor = int(data.Minor);
  const patch = int(data.Patch);
  if (typeof data.Hostname !== 'string' || major === undefined || minor === undefined) return undefined;
  return {
    hostname: data.Hostname,
    version: { major, minor, patch: patch ?? 0 },
    build: int(data.Build),
    serial: typeof data['Serial Number'] === 'string' ? data['Serial Number'] : undefined,
    platform: typeof data['Platform Type'] === 'string' ? data['Platform Type'] : undefined,
  };
}

const MODE_NUMBERS: readonly string[] = ['disabled', 'normal', 'workflow', 'per-adom'];

/** `workspace-mode` (global) or `workspace_mode` (per ADOM), symbolic or numeric. */
export function parseWorkspaceMode(value: unknown): WorkspaceMode | 'per-adom' | undefined {
  const name = typeof value === 'number' ? MODE_NUMBERS[value] : value;
  return name === 'disabled' || name === 'normal' || name === 'workflow' || name === 'per-adom'
    ? name
    : undefined;
}

/** `dvmdb/adom/<a>`: `os_ver` "7.0" plus `mr` 2 means FortiOS 7.2. */
export function parseAdom(data: unknown): AdomInfo | undefined {
  if (!isObj(data) || typeof data.name !== 'string') return undefined;
  const major = int(String(data.os_ver ?? '').split('.')[0]);
  const minor = int(data.mr);
  return { name: data.name, version: major === undefined ? undefined : { major, minor: minor ?? 0 } };
}

/** `…/workspace/lockinfo`: no data means unlocked; otherwise the holder is the first entry. */
export function parseLockInfo(data: unknown): LockInfo | undefined {
  const first = Array.isArray(data) ? (data[0] as unknown) : data;
  if (!isObj(first) || typeof first.lock_user !== 'string') return undefined;
  const time = int(first.lock_time);
  return {
    user: first.lock_user,
    sid: int(first.lock_sid),
    since: time === undefined ? undefined : time * 1000,
    dirty: Boolean(int(first.dirty) ?? first.dirty),
  };
}

const TASK_STATES: readonly TaskState[] = [
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
];

function taskState(value: unknown): TaskState {
  if (typeof value === 'number') return TASK_STATES[value] ?? 'unknown';
  return TASK_STATES.includes(value as TaskState) ? (value as TaskState) : 'unknown';
}

export function parseTask(id: number, data: unknown): TaskStatus | undefined {
  if (!isObj(data)) return undefined;
  const percent = int(data.percent) ?? 0;
  const lines: TaskLine[] = (Array.isArray(data.line) ? data.line : []).filter(isObj).map((l) => ({
    name: String(l.name ?? ''),
    vdom: typeof l.vdom === 'string' ? l.vdom : undefined,
    state: taskState(l.state),
    err: int(l.err) ?? 0,
    detail: String(l.detail ?? ''),
  }));
  const numErrors = int(data.num_err) ?? lines.filter((l) => l.err !== 0 || l.state === 'error').length;
  const state = taskState(data.state);
  const finished = percent >= 100;
  return {
    id,
    percent,
    state,
    numErrors,
    numWarnings: int(data.num_warn) ?? 0,
    lines,
    finished,
    succeeded:
      finished && numErrors === 0 && state !== 'error' && state !== 'aborted' && state !== 'cancelled',
  };
}

/** `…/where/used/get/detail`: `where_used[].data[]`. */
export function parseWhereUsed(data: unknown): Usage[] {
  const groups = isObj(data) && Array.isArray(data.where_used) ? data.where_used : [];
  return groups.filter(isObj).flatMap((g) =>
    (Array.isArray(g.data) ? g.data : []).filter(isObj).map((u) => ({
      attr: String(u.attr ?? ''),
      mappingName: String(u.mapping_name ?? ''),
      mkey: typeof u.mkey === 'number' ? u.mkey : String(u.mkey ?? ''),
      pkg: isObj(u.pkg) && typeof u.pkg.name === 'string' ? u.pkg.name : undefined,
    })),
  );
}

export function parsePackage(data: unknown): PolicyPackage | undefined {
  if (!isObj(data) || typeof data.name !== 'string') return undefined;
  const scope = Array.isArray(data['scope member']) ? data['scope member'] : [];
  return {
    name: data.name,
    scope: scope.filter(isObj).map((s) => ({ name: String(s.name ?? ''), vdom: String(s.vdom ?? 'root') })),
  };
}

/** Members come back as names; tolerate `{name}` objects and a lone name. */
export function parseMembers(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items
    .map((m) => (typeof m === 'string' ? m : isObj(m) && typeof m.name === 'string' ? m.name : undefined))
    .filter((m): m is string => m !== undefined);
}
