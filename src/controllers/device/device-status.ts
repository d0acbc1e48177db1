import type {
  DeviceAdoptionStatus,
  FortiGateDeviceStatus,
  FortiOSIdentity,
} from '../../api/v1alpha1/fortigate-device.js';
import type { Problem } from '../../domain/problem.js';
import { formatTime, setCondition, type Condition } from '../../runtime/conditions.js';
import { withHealthConditions } from '../health-conditions.js';
import { anyGroupFailing } from './sync-state.js';

/** What the device status is computed from: a read-only snapshot of the device's session. */
export interface DeviceStatusInput {
  /** The last request to the device was answered (the sync went through). */
  connected: boolean;
  /** A problem with the device as a whole; undefined once a sync went through. */
  problem?: Problem;
  identity?: FortiOSIdentity;
  /** Per group key (family/name): its problem when it failed. */
  groups: ReadonlyMap<string, { ok: boolean; problem?: Problem }>;
  /** Addresses fortisync owns on the device, when it has been read. */
  managedAddresses?: number;
  lastSyncTime?: string;
  lastFullReadMs?: number;
  insecureSkipVerify: boolean;
  /** The url is http:// (spec.insecurePlainHTTP): the token travels in clear text. */
  plainHTTP?: boolean;
  /** spec.adoption's progress; null when the device has no adoption (the status field goes). */
  adoption?: DeviceAdoptionStatus | null;
}

/** Reasons that say nothing about reachability: Connected is Unknown, not False. */
const NOT_CONTACTED_REASONS = new Set(['InvalidSpec', 'Suspended']);
const READY_MESSAGE_LIMIT = 2000;
const PLAIN_HTTP_MESSAGE =
  'spec.insecurePlainHTTP is set and the url is http://: the API token and every object travel unencrypted; anyone on the path can read the token and use it';
const INSECURE_MESSAGE =
  'spec.tls.insecureSkipVerify is set: the FortiGate certificate is not verified and the token could be intercepted';

/**
 * The status a FortiGateDevice should show. Pure: conditions keep their transition times from
 * `previous`; the caller writes only a difference.
 */
export function deviceStatus(
  s: DeviceStatusInput,
  previous: FortiGateDeviceStatus | undefined,
  generation: number | undefined,
  now: number,
): FortiGateDeviceStatus {
  const prev = previous ?? {};
  const gen = generation !== undefined ? { observedGeneration: generation } : {};
  let conditions: Condition[] = (prev.conditions ?? []) as Condition[];
  conditions = setCondition(conditions, { type: 'Connected', ...connectedCondition(s), ...gen }, now);
  conditions = setCondition(conditions, { type: 'Ready', ...readyCondition(s), ...gen }, now);
  conditions = withHealthConditions(conditions, gen, now);
  conditions = s.insecureSkipVerify
    ? setCondition(
        conditions,
        { type: 'InsecureTLS', status: 'True', reason: 'CertificateNotVerified', message: INSECURE_MESSAGE },
        now,
      )
    : conditions.filter((c) => c.type !== 'InsecureTLS');
  conditions = s.plainHTTP
    ? setCondition(
        conditions,
        { type: 'InsecureTransport', status: 'True', reason: 'PlainHTTP', message: PLAIN_HTTP_MESSAGE },
        now,
      )
    : conditions.filter((c) => c.type !== 'InsecureTransport');
  const fortios = s.identity ?? prev.fortios;
  const lastSyncTime = s.lastSyncTime ?? prev.lastSyncTime;
  // Kept until a sync says otherwise: a Conflict in it survives a restart (ADR 0004).
  const adoption = s.adoption === null ? undefined : (s.adoption ?? prev.adoption);
  return {
    ...gen,
    conditions,
    ...(fortios ? { fortios } : {}),
    ...(s.managedAddresses !== undefined
      ? { managedAddresses: s.managedAddresses, managedGroups: s.groups.size }
      : {}),
    ...(lastSyncTime ? { lastSyncTime } : {}),
    ...(s.lastFullReadMs ? { lastDriftCheckTime: formatTime(s.lastFullReadMs) } : {}),
    ...(adoption ? { adoption } : {}),
  };
}

type ConditionBody = Pick<Condition, 'status' | 'reason' | 'message'>;

function connectedCondition(s: DeviceStatusInput): ConditionBody {
  if (s.connected) {
    return {
      status: 'True',
      reason: 'Connected',
      message: `FortiOS ${s.identity?.version ?? ''} answered`.trim(),
    };
  }
  return notConnected(s.problem);
}

/**
 * Connected when no answer came, for a device or a FortiManager target: why, and Unknown rather than
 * False when the reason says nothing about reachability (suspended, invalid spec).
 */
export function notConnected(p: Problem | undefined): ConditionBody {
  return {
    status: p && isPaused(p) ? 'Unknown' : 'False',
    reason: p?.reason ?? 'Connecting',
    message: p?.message ?? 'not contacted yet',
  };
}

/** The sync did not try (suspended, invalid spec): nothing is known of the device. */
export const isPaused = (p: Problem): boolean => NOT_CONTACTED_REASONS.has(p.reason);

function readyCondition(s: DeviceStatusInput): ConditionBody {
  return readyFromSync(s, `${s.groups.size} group(s) in sync`);
}

/**
 * Ready after a sync of a device or a FortiManager target: its own problem, else the first failing
 * group's reason with every failing group's message, else Synced with `inSync`.
 */
export function readyFromSync(
  s: {
    problem?: Problem | undefined;
    groups: ReadonlyMap<string, { ok: boolean; problem?: Problem | undefined }>;
  },
  inSync: string,
): ConditionBody {
  if (s.problem) return { status: 'False', reason: s.problem.reason, message: s.problem.message };
  // Asked after every sync: whether anything fails is known without a pass over every group.
  if (!anyGroupFailing(s.groups)) return { status: 'True', reason: 'Synced', message: inSync };
  const failing = [...s.groups.entries()].filter(([, g]) => !g.ok);
  if (failing.length === 0) return { status: 'True', reason: 'Synced', message: inSync };
  return {
    status: 'False',
    reason: failing[0]?.[1].problem?.reason ?? 'SyncFailed',
    message: failing
      .map(([k, g]) => `${k}: ${g.problem?.message ?? 'failed'}`)
      .join('; ')
      .slice(0, READY_MESSAGE_LIMIT),
  };
}
