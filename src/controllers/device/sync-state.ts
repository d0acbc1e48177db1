import type { FortiOSIdentity } from '../../api/v1alpha1/fortigate-device.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import type { FortiOSApi } from './fortios-api.js';
import type { DesiredAddress, ObservedDeviceState, PlanOp } from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';
import type { AdoptionSession } from './adoption.js';
import type { DesiredBase } from '../../domain/desired-base.js';
import type { MappingInput } from '../../domain/selection.js';

export interface GroupSyncState {
  ok: boolean;
  problem?: Problem;
  /** When the group last matched its desired members. */
  lastSyncTime?: string;
  /** In dry-run: what a sync would do to this group, per dry-run mapping key (its own members only). */
  plannedOps?: ReadonlyMap<string, readonly PlanOp[]>;
}

/**
 * The per-group results of a device's syncs, which also know whether any group is failing without
 * a pass over every group: the device status and the schedule ask after every sync (issue 19).
 * A Map in every other respect; results are replaced, never changed in place.
 */
export class GroupSyncStates extends Map<string, GroupSyncState> {
  /**
   * Keys of the failing results, created on first use: Map's constructor calls `set` for the
   * entries it is given before a field initializer would run (hence `declare`: no initializer).
   */
  declare private failingKeys: Set<string> | undefined;

  override set(key: string, state: GroupSyncState): this {
    super.set(key, state);
    if (state.ok) this.failingKeys?.delete(key);
    else (this.failingKeys ??= new Set()).add(key);
    return this;
  }

  override delete(key: string): boolean {
    this.failingKeys?.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.failingKeys?.clear();
    super.clear();
  }

  /** Some group's last result is a failure. */
  anyFailing(): boolean {
    return (this.failingKeys?.size ?? 0) > 0;
  }
}

/** Whether any of these results is a failure: at once for GroupSyncStates, by a pass otherwise. */
export function anyGroupFailing(groups: ReadonlyMap<string, { ok: boolean }>): boolean {
  if (groups instanceof GroupSyncStates) return groups.anyFailing();
  for (const g of groups.values()) if (!g.ok) return true;
  return false;
}

/**
 * What the mapping controller may know of one device's last sync, and nothing else: read-only, so
 * the device reconciler stays the only writer of its session.
 */
export interface DeviceSyncReport {
  /** A problem with the device as a whole (unreachable, unauthorized, invalid spec…), if any. */
  readonly problem: Problem | undefined;
  /** The result for a group key (family/name), once a sync has dealt with that group. */
  group(key: string): Readonly<GroupSyncState> | undefined;
  /** Why the device refuses the mapping (by key), or a problem of its own (its namespace's quota). */
  mappingProblem(mappingKey: string): Problem | undefined;
  /** The mapping (by UID) was being deleted and its members have left this device. */
  released(mappingUid: string): boolean;
  /** The newest generation of the mapping (by UID) a finished sync of this device computed with. */
  generationSeen(mappingUid: string): number | undefined;
}

/** The device syncs' results, per device name. */
export interface SyncReports {
  report(device: string): DeviceSyncReport | undefined;
}

/** Everything the operator knows about one device between reconciles (in memory, rebuilt on restart). */
export interface DeviceSession {
  name: string;
  client?: FortiOSApi;
  /** Fingerprint of URL, VDOM, token and TLS settings the client was built with. */
  clientFingerprint?: string;
  spec?: ValidDeviceSpec;
  identity?: FortiOSIdentity;
  observed?: ObservedDeviceState;
  /** Our picture of the device may be wrong: read it again before planning. */
  stale: boolean;
  lastFullReadMs?: number;
  /** A problem with the device as a whole (unreachable, unauthorized, bad credentials, invalid spec…). */
  deviceProblem?: Problem;
  /** Results per group key (family/name). */
  groups: GroupSyncStates;
  /** Group keys whose result carries dry-run `plannedOps` (cleared without a pass over every group). */
  previewedGroups: Set<string>;
  /** Problems of single mappings, by mapping key, from the last sync (refusals, quotas). */
  mappingProblems: Map<string, Problem>;
  /**
   * Each mapping's contribution the last time it was live: what it holds while suspended or in dry
   * run. In memory only: after a restart a frozen mapping holds what its pods justify then.
   */
  contributions: Map<string, readonly DesiredAddress[]>;
  /** Mapping UIDs whose members have left this device while they were being deleted. */
  released: Set<string>;
  /** Mapping UID → the newest of its generations a finished sync applied. */
  seenGenerations: Map<string, number>;
  /** Mapping key → the UID `seenGenerations` holds it under (a scoped sync finds a gone one's UID). */
  seenUids: Map<string, string>;
  /**
   * Mappings being deleted whose members have not left yet (a group write failed), by key: the
   * syncs after look at them again though nothing changes them.
   */
  unreleased: Map<string, MappingInput>;
  undeletable: Set<string>;
  lastSyncTime?: string;
  /** spec.adoption's memory and status (ADR 0004); undefined without adoption. */
  adoption?: AdoptionSession;
  /** The desired state kept between syncs (issue 19); undefined: the next sync computes it whole. */
  desiredBase?: DesiredBase & { specKey: string };
  /** Mapping keys whose part may have changed since the last sync began ('all': anything may have). */
  dirty: Set<string> | 'all';
  /**
   * The last sync did everything it planned, except perhaps address deletions left for the next
   * one (`carriedAddresses`): what no mapping changed since is in sync.
   */
  inSync: boolean;
  /** Address keys whose deletion the last sync deferred: the next plan looks at them too. */
  carriedAddresses?: ReadonlySet<string>;
  /**
   * What a batch planned and then put back recomputed (ADR 0009): its changes are in the desired
   * state already, so the next plan looks at these groups and addresses too (a group a mapping
   * left, an address it no longer wants).
   */
  carriedScope?: { groups: ReadonlySet<string>; addresses: ReadonlySet<string> };
  /** Batches that did not do everything they planned, so far (a batch in flight counted on them). */
  failedBatches?: number;
  /** Told when a mapping's part may have changed (a sync in flight may start a batch beside it). */
  onChange?: (() => void) | undefined;
}

export class DeviceSessions implements SyncReports {
  private readonly sessions = new Map<string, DeviceSession>();

  get(name: string): DeviceSession | undefined {
    return this.sessions.get(name);
  }

  report(name: string): DeviceSyncReport | undefined {
    const s = this.sessions.get(name);
    if (!s) return undefined;
    return {
      get problem() {
        return s.deviceProblem;
      },
      group: (key) => s.groups.get(key),
      mappingProblem: (key) => s.mappingProblems.get(key),
      released: (uid) => s.released.has(uid),
      generationSeen: (uid) => s.seenGenerations.get(uid),
    };
  }

  ensure(name: string): DeviceSession {
    let s = this.sessions.get(name);
    if (!s) {
      s = {
        name,
        stale: true,
        groups: new GroupSyncStates(),
        previewedGroups: new Set(),
        mappingProblems: new Map(),
        contributions: new Map(),
        released: new Set(),
        seenGenerations: new Map(),
        seenUids: new Map(),
        unreleased: new Map(),
        undeletable: new Set(),
        dirty: 'all',
        inSync: false,
      };
      this.sessions.set(name, s);
    }
    return s;
  }

  close(name: string): void {
    this.sessions.get(name)?.client?.close();
    this.sessions.delete(name);
  }

  closeAll(): void {
    for (const name of [...this.sessions.keys()]) this.close(name);
  }

  /** The mapping's part of every target's desired state may have changed (a pod, the mapping). */
  mappingChanged(key: string): void {
    for (const s of this.sessions.values()) {
      if (s.dirty !== 'all') s.dirty.add(key);
      s.onChange?.();
    }
  }

  /** Any mapping's part may have changed (a node, a namespace). */
  everythingChanged(): void {
    for (const s of this.sessions.values()) {
      s.dirty = 'all';
      s.onChange?.();
    }
  }

  names(): string[] {
    return [...this.sessions.keys()];
  }
}
