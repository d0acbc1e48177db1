import type { DeviceAdoptionStatus } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiManagerTargetStatus, InstallRecord } from '../../api/v1alpha1/fortimanager-target.js';
import type { Problem } from '../../domain/problem.js';
import type { FmgSystemStatus, LockHolder, WorkspaceMode } from '../../fortimanager/index.js';
import { formatTime, setCondition, type Condition } from '../../runtime/conditions.js';
import { isPaused, notConnected, readyFromSync } from '../device/device-status.js';
import { withHealthConditions } from '../health-conditions.js';

/** What a FortiManagerTarget's status is computed from: a snapshot of its session. */
export interface TargetStatusInput {
  /** The last call to FortiManager was answered. */
  connected: boolean;
  problem?: Problem;
  identity?: FmgSystemStatus;
  workspaceMode?: WorkspaceMode;
  /** Who held the ADOM lock when fortisync last needed it (ADOMLocked). */
  lockedBy?: LockHolder;
  groups: ReadonlyMap<string, { ok: boolean; problem?: Problem }>;
  managedAddresses?: number;
  lastSyncTime?: string;
  lastFullReadMs?: number;
  /** The install policy and the latest install of each package. */
  install?: {
    policy: 'None' | 'Packages';
    records: readonly InstallRecord[];
    busy: boolean;
    /** Groups no listed package uses (FortiManager would not install them). */
    unused?: readonly string[];
  };
  /** spec.adoption's progress (ADR 0004); null when the target has no adoption (the field goes). */
  adoption?: DeviceAdoptionStatus | null;
}

const UNUSED_NOTE =
  'FortiManager installs only objects a policy of the package uses: a group no policy of the package uses stays in the ADOM and does not reach the FortiGate';

/** Installed: where the ADOM's changes stand on the way to the FortiGates (ADR 0003 §6). */
export function installedCondition(install: NonNullable<TargetStatusInput['install']>): Body {
  if (install.policy === 'None')
    return {
      status: 'Unknown',
      reason: 'InstallPolicyNone',
      message:
        'install.policy is None: changes are written to the ADOM; the FortiManager admins install them',
    };
  const failed = install.records.filter((r) => r.state === 'error');
  if (failed.length > 0)
    return {
      status: 'False',
      reason: 'InstallFailed',
      message: failed
        .map(
          (r) =>
            `install of ${r.package}${r.taskId !== undefined ? ` (task ${r.taskId})` : ''} failed: ${(
              r.devices ?? []
            )
              .filter((d) => d.state === 'error')
              .map((d) => `${d.name}${d.vdom ? `/${d.vdom}` : ''}: ${d.detail ?? 'error'}`)
              .join('; ')}`,
        )
        .join('; ')
        .slice(0, MESSAGE_LIMIT),
    };
  if (install.unused?.length)
    return {
      status: 'False',
      reason: 'NotUsedByPackage',
      message:
        `group(s) ${install.unused.join(', ')} are in the ADOM but no policy of the listed package(s) uses them; FortiManager does not install unused objects`.slice(
          0,
          MESSAGE_LIMIT,
        ),
    };
  if (install.busy)
    return {
      status: 'False',
      reason: 'Installing',
      message: `changes wait for or are in an install; ${UNUSED_NOTE}`,
    };
  return {
    status: 'True',
    reason: 'Installed',
    message: `${install.records.length ? `installed: ${install.records.map((r) => r.package).join(', ')}` : 'nothing to install yet'}; ${UNUSED_NOTE}`,
  };
}

const MESSAGE_LIMIT = 2000;

type Body = Pick<Condition, 'status' | 'reason' | 'message'>;

function versionText(identity: FmgSystemStatus | undefined): string | undefined {
  const v = identity?.version;
  return v && `${v.major}.${v.minor}.${v.patch}`;
}

function connected(s: TargetStatusInput): Body {
  if (s.connected)
    return {
      status: 'True',
      reason: 'Connected',
      message: `FortiManager ${versionText(s.identity) ?? ''} answered`.replace('  ', ' '),
    };
  return notConnected(s.problem);
}

function ready(s: TargetStatusInput): Body {
  return readyFromSync(s, `${s.groups.size} group(s) in sync in the ADOM`);
}

/** Synced: the last sync went through (the ADOM holds what the mappings want), else why not. */
function synced(s: TargetStatusInput, r: Body): Body {
  if (r.status === 'True')
    return { status: 'True', reason: 'Synced', message: 'the last sync of the ADOM succeeded' };
  return {
    status: s.problem && isPaused(s.problem) ? 'Unknown' : 'False',
    reason: r.reason,
    message: r.message,
  };
}

/**
 * The status a FortiManagerTarget should show. Pure: conditions keep their transition times from
 * `previous`; the caller writes only a difference.
 */
export function targetStatus(
  s: TargetStatusInput,
  previous: FortiManagerTargetStatus | undefined,
  generation: number | undefined,
  now: number,
): FortiManagerTargetStatus {
  const prev = previous ?? {};
  const gen = generation !== undefined ? { observedGeneration: generation } : {};
  const r = ready(s);
  let conditions = (prev.conditions ?? []) as Condition[];
  conditions = setCondition(conditions, { type: 'Connected', ...connected(s), ...gen }, now);
  conditions = setCondition(conditions, { type: 'Ready', ...r, ...gen }, now);
  conditions = setCondition(conditions, { type: 'Synced', ...synced(s, r), ...gen }, now);
  conditions = withHealthConditions(conditions, gen, now);
  conditions = s.install
    ? setCondition(conditions, { type: 'Installed', ...installedCondition(s.install), ...gen }, now)
    : conditions.filter((c) => c.type !== 'Installed');
  const version = versionText(s.identity);
  const fortimanager = s.identity
    ? {
        ...(version ? { version } : {}),
        hostname: s.identity.hostname,
        ...(s.identity.serial ? { serial: s.identity.serial } : {}),
      }
    : prev.fortimanager;
  const lastSyncTime = s.lastSyncTime ?? prev.lastSyncTime;
  // Kept until a sync says otherwise: a Conflict in it survives a restart (ADR 0004).
  const adoption = s.adoption === null ? undefined : (s.adoption ?? prev.adoption);
  const lockedBy = s.lockedBy && {
    user: s.lockedBy.user,
    ...(s.lockedBy.since ? { since: formatTime(s.lockedBy.since) } : {}),
  };
  return {
    ...gen,
    conditions,
    ...(fortimanager ? { fortimanager } : {}),
    ...(s.workspaceMode ? { workspaceMode: s.workspaceMode } : {}),
    ...(lockedBy ? { lockedBy } : {}),
    ...(s.managedAddresses !== undefined
      ? { managedAddresses: s.managedAddresses, managedGroups: s.groups.size }
      : {}),
    ...(lastSyncTime ? { lastSyncTime } : {}),
    ...(s.lastFullReadMs ? { lastDriftCheckTime: formatTime(s.lastFullReadMs) } : {}),
    ...(s.install?.records.length
      ? { installs: [...s.install.records] }
      : prev.installs
        ? { installs: prev.installs }
        : {}),
    ...(adoption ? { adoption } : {}),
  };
}
