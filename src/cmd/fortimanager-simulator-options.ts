import { readFileSync } from 'node:fs';
import type {
  AdminSpec,
  FortiManagerSimulatorHandle,
  FortiManagerSimulatorOptions,
  GlobalWorkspaceMode,
} from '../simulator/fortimanager/index.js';
import { parseListen } from './simulator-command.js';

/** The flags of `fortisync simulator --fortimanager` (shared ones come from the FortiGate mode). */
export interface FortiManagerFlags {
  listen: string;
  token: string[];
  apiUser?: string;
  admin?: string[];
  adom?: string[];
  device?: string[];
  deviceToken?: string;
  workspaceMode?: string;
  lockPreempt?: boolean;
  fortimanagerVersion?: string;
  installMs?: number;
  idleTimeoutS?: number;
  loginMax?: number;
  controlToken?: string;
  http?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  latencyMs?: number;
  latencyJitterMs?: number;
}

const MODES: readonly GlobalWorkspaceMode[] = ['disabled', 'normal', 'workflow', 'per-adom'];

/** `user:password[:read|none]` → a session admin. */
export function parseAdmin(text: string): AdminSpec {
  const [name, password, permit, ...rest] = text.split(':');
  if (
    !name ||
    !password ||
    rest.length > 0 ||
    (permit !== undefined && permit !== 'read' && permit !== 'none')
  )
    throw new Error(`--admin expects user:password[:read|none], got ${text.replace(/:.*/, ':…')}`);
  return { name, password, permit: permit === undefined ? 'read-write' : permit };
}

/** `fgt-dmz` or `fgt-dmz:root,dmz` → a managed FortiGate with its VDOMs. */
export function parseDevice(text: string): { name: string; vdoms: string[] } {
  const [name, vdoms, ...rest] = text.split(':');
  if (!name || rest.length > 0) throw new Error(`--device expects NAME[:vdom,vdom], got ${text}`);
  return { name, vdoms: vdoms ? vdoms.split(',').filter((v) => v !== '') : ['root'] };
}

export function fortiManagerOptionsFrom(
  flags: FortiManagerFlags,
  env: NodeJS.ProcessEnv = process.env,
): FortiManagerSimulatorOptions {
  const keys = [...flags.token, ...(env.FORTISYNC_SIMULATOR_TOKEN ? [env.FORTISYNC_SIMULATOR_TOKEN] : [])];
  const admins: AdminSpec[] = (flags.admin ?? []).map(parseAdmin);
  const apiUser = flags.apiUser ?? 'fortisync';
  // FMG ties a key to one API admin, so each extra key is one more admin.
  keys.forEach((apiKey, i) => admins.push({ name: i === 0 ? apiUser : `${apiUser}${i + 1}`, apiKey }));
  if (admins.length === 0) throw new Error('give at least one --token (API key) or --admin user:password');
  const workspaceMode = flags.workspaceMode ?? 'disabled';
  if (!MODES.includes(workspaceMode as GlobalWorkspaceMode))
    throw new Error(`--workspace-mode is one of ${MODES.join(', ')}`);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
    throw new Error('--tls-cert and --tls-key go together');
  const { host, port } = parseListen(flags.listen);
  return {
    host,
    port,
    admins,
    controlToken: flags.controlToken ?? env.FORTISYNC_SIMULATOR_CONTROL_TOKEN,
    http: flags.http === true,
    tls:
      flags.tlsCert && flags.tlsKey
        ? { certPem: readFileSync(flags.tlsCert, 'utf8'), keyPem: readFileSync(flags.tlsKey, 'utf8') }
        : undefined,
    adoms: flags.adom && flags.adom.length > 0 ? flags.adom : ['root'],
    devices: (flags.device ?? []).map(parseDevice),
    // The managed FortiGates' REST API answers the first API key unless told otherwise.
    deviceToken: flags.deviceToken ?? keys[0],
    workspaceMode: workspaceMode as GlobalWorkspaceMode,
    lockPreempt: flags.lockPreempt === true,
    fortimanagerVersion: flags.fortimanagerVersion ?? '7.4.5',
    installDurationMs: flags.installMs ?? 3_000,
    idleTimeoutMs: (flags.idleTimeoutS ?? 900) * 1000,
    loginMax: flags.loginMax ?? 32,
    latencyMs: flags.latencyMs,
    latencyJitterMs: flags.latencyJitterMs,
  };
}

/** The lines a user (or a script waiting for readiness) looks for; the first one is the ready line. */
export function fortiManagerReadyLines(
  sim: FortiManagerSimulatorHandle,
  caPath: string | undefined,
): string[] {
  const ca = caPath ? ` CA: ${caPath}` : '';
  return [
    `fortisync simulator listening on ${sim.url} (FortiManager ${sim.version.replace(/^v/, '')}, workspace ${sim.settings.workspaceMode})${ca}`,
    ...[...sim.devices].map(
      ([name, d]) => `  managed FortiGate ${name}: ${d.url} (vdoms ${d.vdoms.join(',')})`,
    ),
  ];
}
