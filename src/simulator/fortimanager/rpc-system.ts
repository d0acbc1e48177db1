import { isJsonObject } from '../model/json.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import type { Adom, GlobalWorkspaceMode } from './adoms.js';
import { FMG, fail } from './codes.js';
import { WORKSPACE_MODE_NUMBERS, adomFor, enumOut, requireWrite, workspaceModeOf } from './model.js';
import type { FmgModel, RpcCall, RpcResult } from './model.js';
import { readEntry, readTable } from './query.js';

const identityHooks = { render: (e: JsonObject) => e };

/** `sys/status` and `cli/global/system/status`; Ansible needs integer Major/Minor/Patch and Hostname. */
export function systemStatus(model: FmgModel, call: RpcCall): RpcResult {
  if (call.method !== 'get') return fail(FMG.invalidUrl);
  const { identity } = model;
  const [major, minor, patch] = identity.version;
  const data: JsonObject = {
    'Admin Domain Configuration': 'Enabled',
    'BIOS version': '04000002',
    'Branch Point': String(identity.build),
    Build: identity.build,
    'Current Time': new Date(model.now()).toUTCString(),
    'FIPS Mode': 'Disabled',
    'HA Mode': 'Stand Alone',
    Hostname: identity.hostname,
    'License Status': 'Valid',
    Major: major,
    Minor: minor,
    Patch: patch,
    'Max Number of Admin Domains': 10000,
    'Offline mode': 'Disabled',
    'Platform Full Name': identity.platform,
    'Platform Type': identity.platform,
    'Release Version Information': ' (GA)',
    'Serial Number': identity.serial,
    Version: `v${major}.${minor}.${patch}-build${identity.build} (GA)`,
  };
  return { data: readEntry(data, call.params, identityHooks) };
}

/** `cli/global/system/global`: workspace mode, ADOMs, lock preemption (readable and settable). */
export function systemGlobal(model: FmgModel, call: RpcCall): RpcResult {
  if (call.method === 'get') {
    const data: JsonObject = {
      hostname: model.identity.hostname,
      'adom-status': enumOut(call, 'enable', { disable: 0, enable: 1 }),
      'adom-mode': enumOut(call, 'normal', { normal: 1, advanced: 2 }),
      'workspace-mode': enumOut(call, model.settings.workspaceMode, WORKSPACE_MODE_NUMBERS),
      'lock-preempt': enumOut(call, model.settings.lockPreempt ? 'enable' : 'disable', {
        disable: 0,
        enable: 1,
      }),
    };
    return { data: readEntry(data, call.params, identityHooks) };
  }
  if (call.method !== 'set' && call.method !== 'update') return fail(FMG.invalidUrl);
  requireWrite(call);
  const data = isJsonObject(call.params.data) ? call.params.data : fail(FMG.invalidData);
  if (data['workspace-mode'] !== undefined)
    model.settings.workspaceMode = workspaceMode(data['workspace-mode']);
  if (data['lock-preempt'] !== undefined)
    model.settings.lockPreempt = data['lock-preempt'] === 'enable' || data['lock-preempt'] === 1;
  return {};
}

function workspaceMode(value: JsonValue): GlobalWorkspaceMode {
  const entry = Object.entries(WORKSPACE_MODE_NUMBERS).find(([name, n]) => name === value || n === value);
  return (entry?.[0] as GlobalWorkspaceMode | undefined) ?? fail(FMG.invalidData, 'workspace-mode');
}

/** `dvmdb/…`: ADOMs, their workspace (lock, commit, unlock, lockinfo, dirty), workflow, devices. */
export function dvmdb(model: FmgModel, call: RpcCall, rest: string[]): RpcResult {
  const [head, ...tail] = rest;
  if (head === 'device' && tail.length === 0) return { data: deviceList(model, call) };
  if (head === 'global') return adomArea(model, call, adomFor(model, call, 'global'), tail);
  if (head !== 'adom') return fail(FMG.invalidUrl);
  if (tail.length === 0) {
    if (call.method !== 'get') return fail(FMG.invalidUrl);
    const visible = [...model.adoms.values()].filter((a) => a.name !== 'global');
    return {
      data: readTable(
        visible.map((a) => renderAdom(model, call, a)),
        call.params,
        identityHooks,
      ),
    };
  }
  const adom = adomFor(model, call, tail[0]);
  if (tail.length === 1) {
    if (call.method !== 'get') return fail(FMG.invalidUrl);
    return { data: readEntry(renderAdom(model, call, adom), call.params, identityHooks) };
  }
  return adomArea(model, call, adom, tail.slice(1));
}

function adomArea(model: FmgModel, call: RpcCall, adom: Adom, path: string[]): RpcResult {
  const [area, op, id, ...extra] = path;
  if (area === 'workspace' && op !== undefined && id === undefined) return workspace(model, call, adom, op);
  if (area === 'workflow' && op !== undefined && extra.length === 0)
    return workflow(model, call, adom, op, id);
  if (area === 'device' && op === undefined) return { data: deviceList(model, call) };
  return fail(FMG.invalidUrl);
}

function workspace(model: FmgModel, call: RpcCall, adom: Adom, op: string): RpcResult {
  const mode = workspaceModeOf(model, adom);
  const session = call.session;
  if (call.method === 'get' && op === 'lockinfo') {
    const lock = adom.lock;
    if (!lock) return {};
    const dirty = lock.dirty ? 1 : 0;
    return {
      data: [
        {
          lock_user: lock.user,
          lock_sid: lock.sid,
          lock_time: Math.floor(lock.time / 1000),
          dirty,
          adom_dirty: dirty,
        },
      ],
    };
  }
  if (call.method === 'get' && op === 'dirty')
    return { data: { dirty: adom.lock?.sid === session.sid && adom.lock.dirty ? 1 : 0 } };
  if (call.method !== 'exec') return fail(FMG.invalidUrl);
  requireWrite(call);
  // Without workspace mode there is nothing to lock; FMG answers OK [U].
  if (mode === 'disabled') return {};
  if (op === 'lock') adom.acquire(session, model.now());
  else if (op === 'unlock') adom.release(session, model.settings.lockPreempt);
  else if (op === 'commit') {
    if (mode === 'workflow') fail(FMG.noWritePermission, 'workflow mode: submit the session for approval');
    adom.commit(session);
  } else return fail(FMG.invalidUrl);
  return {};
}

function workflow(model: FmgModel, call: RpcCall, adom: Adom, op: string, id: string | undefined): RpcResult {
  if (call.method === 'get' && op === 'list') return { data: adom.workflowList() };
  if (call.method !== 'exec') return fail(FMG.invalidUrl);
  requireWrite(call);
  if (workspaceModeOf(model, adom) !== 'workflow')
    return fail(FMG.invalidData, 'the ADOM is not in workflow mode');
  const sessionId = id === undefined ? undefined : Number(id);
  if (op === 'start')
    return { data: { sessionid: adom.startWorkflow(call.session, model.nextWorkflowId()) } };
  if (sessionId === undefined || !Number.isInteger(sessionId)) return fail(FMG.invalidUrl);
  const data = isJsonObject(call.params.data) ? call.params.data : {};
  const wf = isJsonObject(data.workflow) ? data.workflow : {};
  if (op === 'save') return {};
  if (op === 'submit')
    adom.submitWorkflow(call.session, sessionId, typeof wf.desc === 'string' ? wf.desc : '');
  else if (op === 'approve') adom.approveWorkflow(sessionId);
  else if (op === 'reject') adom.rejectWorkflow(sessionId);
  else return fail(FMG.invalidUrl);
  return {};
}

function renderAdom(model: FmgModel, call: RpcCall, adom: Adom): JsonObject {
  const [major, minor] = adom.version;
  return {
    name: adom.name,
    oid: adom.oid,
    os_ver: `${major}.0`,
    mr: minor,
    state: 1,
    // Ansible skips ADOMs whose tab_status is empty.
    tab_status: 'enable',
    desc: '',
    workspace_mode: enumOut(call, workspaceModeOf(model, adom), WORKSPACE_MODE_NUMBERS),
  };
}

function deviceList(model: FmgModel, call: RpcCall): JsonValue {
  if (call.method !== 'get') return fail(FMG.invalidUrl);
  return [...model.devices.values()].map((d) => ({
    name: d.name,
    sn: d.serial,
    conn_status: enumOut(call, 'up', { unknown: 0, up: 1, down: 2 }),
    vdom: d.vdoms.map((v) => ({ name: v })),
  }));
}
