import type { FortiGateDevice, FortiOSIdentity } from '../../api/v1alpha1/fortigate-device.js';
import { checkDeviceSpec } from '../../api/v1alpha1/validation.js';

/**
 * What a FortiGateDevice writes to, as the FortiGate itself says it (serial number and the VDOM that
 * answered), not as the URL spells it: two URLs can name one box. Objects are owned per cluster
 * name, so two devices with different cluster names share a VDOM without touching each other.
 */
export interface DeviceScope {
  serial: string;
  vdom: string;
  clusterName: string;
}

/** A device that claims a scope, as the device cache and the sessions know it. */
export interface ScopeClaimant {
  name: string;
  /** RFC 3339, second precision (metadata.creationTimestamp). */
  creationTimestamp?: string;
  /** Undefined while the device has never answered: it claims nothing yet. */
  scope?: DeviceScope;
  /**
   * Set while the device has no scope yet but is about to find it out (valid, not suspended, not
   * yet tried): an older one may turn out to own the scope, so younger devices wait for its answer.
   */
  identifying?: { clusterName: string };
}

/** What a device may do with its scope. */
export type ScopeDecision =
  | { kind: 'owner' }
  | { kind: 'conflict'; owner: string }
  /** An older device with this clusterName has not said which FortiGate it is: wait for it. */
  | { kind: 'wait'; for: string };

/** A younger device waits this long for an older one to identify its FortiGate (it is being tried). */
export const IDENTIFY_WAIT_MS = 2_000;

/** While another device owns the scope, this one re-checks this often (also sooner: see reconciler). */
export const CONFLICT_RECHECK_MS = 30_000;

export function sameScope(a: DeviceScope, b: DeviceScope): boolean {
  return a.serial === b.serial && a.vdom === b.vdom && a.clusterName === b.clusterName;
}

/**
 * The one device that may write to `scope`: of the claimants on it, the oldest, then the first by
 * name. Pure and deterministic, so every replica and every reconcile picks the same one, and the
 * device that was there first keeps working when a duplicate appears.
 */
export function scopeOwner(scope: DeviceScope, claimants: readonly ScopeClaimant[]): string | undefined {
  const onScope = claimants.filter((c) => c.scope && sameScope(c.scope, scope));
  onScope.sort((a, b) => createdMs(a) - createdMs(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return onScope[0]?.name;
}

/**
 * The decision for device `me` on `scope`: another device owns it (Conflict), or an older device
 * with the same clusterName has not identified its FortiGate yet (wait: it could be this one), or
 * `me` owns it. Devices created together cannot both write before the older one has answered.
 */
export function scopeDecision(
  me: string,
  scope: DeviceScope,
  claimants: readonly ScopeClaimant[],
): ScopeDecision {
  const owner = scopeOwner(scope, claimants);
  if (owner && owner !== me) return { kind: 'conflict', owner };
  const self = claimants.find((c) => c.name === me);
  const older = claimants.find(
    (c) => c.name !== me && c.identifying?.clusterName === scope.clusterName && (!self || olderThan(c, self)),
  );
  return older ? { kind: 'wait', for: older.name } : { kind: 'owner' };
}

function olderThan(a: ScopeClaimant, b: ScopeClaimant): boolean {
  return createdMs(a) - createdMs(b) < 0 || (createdMs(a) === createdMs(b) && a.name < b.name);
}

function createdMs(c: ScopeClaimant): number {
  const t = c.creationTimestamp ? Date.parse(c.creationTimestamp) : NaN;
  // A claimant without a creation time (never from the API server) sorts last.
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

/** The condition message for a device that does not own its scope: who does, and what to do. */
export function conflictMessage(scope: DeviceScope, owner: string): string {
  return (
    `FortiGate ${scope.serial} VDOM ${scope.vdom} with clusterName ${scope.clusterName} is managed by ` +
    `FortiGateDevice ${owner} (the older device with this scope): this device writes and deletes nothing, ` +
    `also when it is deleted. Delete it, or point it at another VDOM or clusterName; to let more ` +
    `namespaces or groups in, change ${owner}'s spec.access instead.`
  );
}

/**
 * What a device claims: the identity this process probed, or else the one its status recorded (so a
 * restarted operator knows every device's scope before it writes anything).
 */
export function claimantOf(
  d: FortiGateDevice,
  probed: FortiOSIdentity | undefined,
  tried = false,
): ScopeClaimant {
  const created = d.metadata.creationTimestamp;
  const base = {
    name: d.metadata.name,
    ...(created ? { creationTimestamp: new Date(created).toISOString() } : {}),
  };
  const check = checkDeviceSpec(d.spec);
  if (!check.ok) return base;
  const identity = probed ?? d.status?.fortios;
  if (!identity?.serial) {
    const identifying = !tried && !check.spec.suspend && !d.metadata.deletionTimestamp;
    return identifying ? { ...base, identifying: { clusterName: check.spec.clusterName } } : base;
  }
  const vdom = identity.vdom ?? check.spec.vdom;
  return { ...base, scope: { serial: identity.serial, vdom, clusterName: check.spec.clusterName } };
}
