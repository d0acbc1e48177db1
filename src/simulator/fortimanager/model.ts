import type { JsonObject, JsonValue } from '../model/json.js';
import type { Adom, GlobalWorkspaceMode, WorkspaceMode } from './adoms.js';
import { FMG, fail } from './codes.js';
import type { SessionRegistry, Session } from './sessions.js';
import type { ManagedDevice, TaskRegistry } from './tasks.js';

export interface FmgIdentity {
  hostname: string;
  serial: string;
  version: readonly [number, number, number];
  build: number;
  platform: string;
}

export interface FmgSettings {
  workspaceMode: GlobalWorkspaceMode;
  /** `lock-preempt`: an admin may unlock someone else's lock (their changes are discarded). */
  lockPreempt: boolean;
  installDurationMs: number;
}

/** Everything the JSON-RPC handlers work on. */
export interface FmgModel {
  identity: FmgIdentity;
  settings: FmgSettings;
  adoms: Map<string, Adom>;
  sessions: SessionRegistry;
  tasks: TaskRegistry;
  devices: Map<string, ManagedDevice>;
  now: () => number;
  nextWorkflowId: () => number;
  whereUsed: Map<number, JsonObject>;
  nextToken: () => number;
}

/** One `params` entry of a request, with who sends it. */
export interface RpcCall {
  method: string;
  url: string;
  segments: string[];
  params: JsonObject;
  session: Session;
  verbose: boolean;
}

export type RpcResult = { data?: JsonValue };

export const WORKSPACE_MODE_NUMBERS: Record<GlobalWorkspaceMode, number> = {
  disabled: 0,
  normal: 1,
  workflow: 2,
  'per-adom': 3,
};

export function workspaceModeOf(model: FmgModel, adom: Adom): WorkspaceMode {
  return model.settings.workspaceMode === 'per-adom' ? adom.workspaceMode : model.settings.workspaceMode;
}

/** The ADOM by name (`global` included), -3 when missing and -11 when this admin may not use it. */
export function adomFor(model: FmgModel, call: RpcCall, name: string | undefined): Adom {
  const adom = name === undefined ? undefined : model.adoms.get(name);
  if (!adom) return fail(FMG.notFound, `adom ${name ?? ''}`);
  const allowed = call.session.admin.adoms;
  if (allowed && adom.name !== 'global' && !allowed.includes(adom.name)) fail(FMG.noPermission);
  return adom;
}

/** `rpc-permit read` admins can read only. */
export function requireWrite(call: RpcCall): void {
  if ((call.session.admin.permit ?? 'read-write') !== 'read-write') fail(FMG.noPermission);
}

/** Symbolic value with `verbose: 1`, FMG's number otherwise. */
export function enumOut(call: RpcCall, value: string, numbers: Record<string, number>): JsonValue {
  return call.verbose ? value : (numbers[value] ?? value);
}
