import type { FortiGateDeviceSpec, FortiOSIdentity } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateClient } from '../../fortigate/client.js';
import type { ObservedDeviceState, PlanOp } from '../../domain/model.js';
import type { Problem } from '../../domain/problem.js';

export interface GroupSyncState {
  ok: boolean;
  problem?: Problem;
  /** When the group last matched its desired members. */
  lastSyncTime?: string;
  /** In dry-run: what a sync would do to this group. */
  plannedOps?: PlanOp[];
}

/** Everything the operator knows about one device between reconciles (in memory, rebuilt on restart). */
export interface DeviceSession {
  name: string;
  client?: FortiGateClient;
  /** Fingerprint of URL, VDOM, token and TLS settings the client was built with. */
  clientFingerprint?: string;
  spec?: FortiGateDeviceSpec;
  identity?: FortiOSIdentity;
  observed?: ObservedDeviceState;
  /** Our picture of the device may be wrong: read it again before planning. */
  stale: boolean;
  lastFullReadMs?: number;
  /** A problem with the device as a whole (unreachable, unauthorized, bad credentials, invalid spec…). */
  deviceProblem?: Problem;
  /** Results per group key (family/name). */
  groups: Map<string, GroupSyncState>;
  /** Mapping UIDs whose members have left this device while they were being deleted. */
  released: Set<string>;
  undeletable: Set<string>;
  lastSyncTime?: string;
}

export class DeviceSessions {
  private readonly sessions = new Map<string, DeviceSession>();

  get(name: string): DeviceSession | undefined {
    return this.sessions.get(name);
  }

  ensure(name: string): DeviceSession {
    let s = this.sessions.get(name);
    if (!s) {
      s = {
        name,
        stale: true,
        groups: new Map(),
        released: new Set(),
        undeletable: new Set(),
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

  names(): string[] {
    return [...this.sessions.keys()];
  }
}
