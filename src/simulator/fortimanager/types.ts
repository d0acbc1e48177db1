import type { FaultRule, FaultSettings } from '../faults.js';
import type { JsonObject } from '../model/json.js';
import type { RequestLog } from '../request-log.js';
import type { SimulatorHandle } from '../server.js';
import type { GlobalWorkspaceMode, WorkspaceMode } from './adoms.js';
import type { FmgSettings } from './model.js';
import type { ObjTable } from './objects.js';
import type { AdminSpec } from './sessions.js';

export type FmgFaultAction =
  /** This params entry answers `{status: {code, message}}` (HTTP 200, as FMG fails). */
  | { type: 'status'; code: number; message?: string }
  /** The whole request answers this HTTP status without a JSON-RPC body. */
  | { type: 'http'; status: number }
  | { type: 'hang'; ms?: number }
  | { type: 'reset' }
  | { type: 'latency'; ms: number; jitterMs?: number }
  /** The request's login session expires just before it is served (→ -11). */
  | { type: 'expire-session' }
  /** Matched with `{method: 'install', mkey: device, table: package}`: that device's install line fails. */
  | { type: 'install-error'; detail?: string };

export type FmgFaultRule = FaultRule<FmgFaultAction>;

export interface ManagedDeviceSpec {
  name: string;
  vdoms?: readonly string[];
  fortiosVersion?: string;
  serial?: string;
}

export interface FortiManagerSimulatorOptions {
  host?: string;
  port?: number;
  http?: boolean;
  tls?: { certPem: string; keyPem: string; caCertPem?: string };
  admins: readonly AdminSpec[];
  /** Guards `/__sim`; when unset, any admin's API key opens it. */
  controlToken?: string;
  /** ADOMs besides `global`; a version (`7.0`) sets what the ADOM manages (default: FMG's own). */
  adoms?: readonly (string | { name: string; version?: string })[];
  fortimanagerVersion?: string;
  build?: number;
  serial?: string;
  hostname?: string;
  workspaceMode?: GlobalWorkspaceMode;
  lockPreempt?: boolean;
  /** `idle_timeout_api`; 900 s by default. */
  idleTimeoutMs?: number;
  /** `login-max`; 32 by default. */
  loginMax?: number;
  /** How long an install task takes (progress follows the clock). */
  installDurationMs?: number;
  /** Managed FortiGates: each is a FortiOS simulator started in this process. */
  devices?: readonly ManagedDeviceSpec[];
  /** API token of the managed FortiGates' REST API (random by default; see the handle). */
  deviceToken?: string;
  clock?: () => number;
  seed?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  requestLogCapacity?: number;
  maxBodyBytes?: number;
}

export interface AdomApi {
  /** The committed database (what other sessions and installs see). */
  list(table: ObjTable): JsonObject[];
  get(table: ObjTable, name: string): JsonObject | undefined;
  /** Creates an entry with every check an `add` makes, straight into the committed database. */
  seed(table: ObjTable, entry: JsonObject): void;
  seedPackage(pkg: {
    name: string;
    scope?: { name: string; vdom?: string }[];
    policies?: JsonObject[];
  }): void;
  policies(pkg: string): JsonObject[];
  lockInfo(): { user: string; sid: number; time: number; dirty: boolean } | undefined;
  /** The ADOM's own mode, used when the global mode is `per-adom`. */
  setWorkspaceMode(mode: WorkspaceMode): void;
}

export interface FmgFaults {
  add(rule: FmgFaultRule): string;
  remove(id: string): boolean;
  clear(): void;
  settings(): { requests: FaultSettings<FmgFaultAction>; installs: FaultSettings<FmgFaultAction> };
}

export interface FortiManagerSimulatorHandle {
  url: string;
  host: string;
  port: number;
  caCertPem: string | undefined;
  version: string;
  adom(name: string): AdomApi;
  /** Live settings: change `workspaceMode`, `lockPreempt` or `installDurationMs` at any time. */
  settings: FmgSettings;
  sessions: { list(): { sid: number; user: string }[]; expire(admin?: string): number };
  /** The managed FortiGates by name. */
  devices: ReadonlyMap<string, SimulatorHandle>;
  deviceToken: string;
  tasks: { list(): JsonObject[]; get(id: number): JsonObject | undefined };
  requestLog: RequestLog;
  faults: FmgFaults;
  /** Fresh ADOMs, no sessions, tasks, faults or log; managed devices reset too. */
  reset(): void;
  close(): Promise<void>;
}
