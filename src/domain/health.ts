/**
 * What a Ready reason means for the kstatus contract (Reconciling and Stalled, both abnormal-true),
 * which Flux, kpt, cli-utils and Helm's --wait read, and Argo CD's health check follows
 * (docs/operate.md has the table; test/k8s/ops checks it with the real libraries).
 */
export type Progress = 'current' | 'reconciling' | 'stalled' | 'paused';

/** Reasons only a person can get past: retrying alone will not. */
const STALLED_REASONS: ReadonlySet<string> = new Set([
  'InvalidSpec',
  'DeviceInvalid',
  'DeviceNotFound',
  'NamespaceNotAllowed',
  'GroupNotAllowed',
  'CrossNamespaceNotGranted',
  'GroupNotOwned',
  'GroupOwnedByAnotherNamespace',
  'Conflict',
  'NameConflict',
  'SecretNotAllowed',
  'ConfigMapNotAllowed',
  'SecretNotFound',
  'SecretKeyMissing',
  'SecretUnreadable',
  'ConfigMapUnreadable',
  'ConfigMapNotFound',
  'ConfigMapKeyMissing',
  'Unauthorized',
  'Forbidden',
  'TLSError',
  'NameTooLong',
  'TableFull',
  'AddressLimitReached',
  'MemberLimitReached',
  'NamespaceAddressLimitReached',
  'AdoptionConflict',
  // FortiManager (ADR 0003): a person must change the ADOM's mode, or spec.adom.
  'WorkflowModeUnsupported',
  'ADOMNotFound',
]);

/** Reasons of a spec that asks for nothing to be written: neither working nor stuck. */
const PAUSED_REASONS: ReadonlySet<string> = new Set(['DryRun', 'Suspended']);

/**
 * A mapping created this recently may name a device applied in the same `kubectl apply` or GitOps
 * sync: DeviceNotFound is reported as progress until then, and as stalled afterwards.
 */
export const DEVICE_NOT_FOUND_GRACE_MS = 60_000;

export interface ReadyState {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
}

/**
 * Where an object stands, from its Ready condition. `youngerThanGraceMs` says whether the object was
 * created within DEVICE_NOT_FOUND_GRACE_MS. Unknown reasons count as progress (retried), never as
 * done or stuck.
 */
export function progressOf(ready: ReadyState, youngerThanGrace = false): Progress {
  if (ready.status === 'True') return 'current';
  if (PAUSED_REASONS.has(ready.reason)) return 'paused';
  if (ready.reason === 'DeviceNotFound' && youngerThanGrace) return 'reconciling';
  return STALLED_REASONS.has(ready.reason) ? 'stalled' : 'reconciling';
}

/** Every reason progressOf treats as stalled (for docs and tests). */
export function stalledReasons(): readonly string[] {
  return [...STALLED_REASONS];
}
