import type { ValidFortiManagerTargetSpec } from '../../api/v1alpha1/validation.js';
import {
  isFortiManagerError,
  type FortiManagerClient,
  type FmgSystemStatus,
  type ObjectTable,
} from '../../fortimanager/index.js';
import { Checks, Stop, tlsCheck, type CheckLine } from './checks.js';
import { errorText, PluginError } from './errors.js';
import type { KubeReader } from './kube.js';
import { fortiManagerNextStep, targetClient, targetCredentials } from './target-access.js';
import { targetInput } from './target-views.js';

const PREFIXES = ['fortimanagertarget/', 'fortimanagertargets/', 'fortimanagertarget.fortisync.io/'];

/** The target's name when `arg` names a FortiManagerTarget (`fortimanagertarget/NAME`), else undefined. */
export function fortiManagerTargetName(arg: string): string | undefined {
  const prefix = PREFIXES.find((p) => arg.toLowerCase().startsWith(p));
  return prefix ? arg.slice(prefix.length) : undefined;
}

const TABLES: ObjectTable[] = [
  'firewall/address',
  'firewall/address6',
  'firewall/addrgrp',
  'firewall/addrgrp6',
];

const why = (err: unknown, spec: ValidFortiManagerTargetSpec): string => {
  const next = fortiManagerNextStep(err, spec);
  return `${errorText(err)}${next ? `: ${next}` : ''}`;
};

async function login(c: Checks, fmg: FortiManagerClient, spec: ValidFortiManagerTargetSpec): Promise<void> {
  const what = spec.auth === 'Session' ? 'login' : 'api key';
  let s: FmgSystemStatus;
  try {
    s = await fmg.systemStatus();
  } catch (err) {
    if (isFortiManagerError(err, 'unauthorized') || isFortiManagerError(err, 'login-failed'))
      c.fail(
        what,
        `refused: a wrong or expired ${spec.auth === 'Session' ? 'password' : 'API key'}, an admin without JSON-RPC access (rpc-permit), or this machine is not among the admin's trusted hosts. Each refusal counts toward FortiManager's admin lockout, so this check stopped after one`,
      );
    c.fail(what, why(err, spec));
  }
  const v = s.version;
  c.add(
    what,
    'ok',
    `accepted; FortiManager ${s.hostname} ${v.major}.${v.minor}.${v.patch}${s.serial ? `, serial ${s.serial}` : ''}`,
  );
  if (
    spec.auth !== 'Session' &&
    !(v.major > 7 || (v.major === 7 && (v.minor > 2 || (v.minor === 2 && v.patch >= 2))))
  )
    c.add(
      'api key',
      'warn',
      'API keys as Bearer tokens need FortiManager 7.2.2 or later; use auth: Session before',
    );
}

async function adom(c: Checks, fmg: FortiManagerClient, spec: ValidFortiManagerTargetSpec): Promise<void> {
  try {
    const info = await fmg.adomInfo();
    const v = info.version;
    c.add(
      'adom',
      'ok',
      `ADOM ${info.name} exists${v ? ` (FortiOS ${v.major}.${v.minor}${v.major < 7 || (v.major === 7 && v.minor < 2) ? ': an empty group needs the placeholder none' : ''})` : ''}`,
    );
  } catch (err) {
    c.fail(
      'adom',
      `ADOM ${spec.adom}: ${errorText(err)}: it does not exist, or this admin may not use it; fix spec.adom or the admin's ADOM list`,
    );
  }
}

async function workspace(c: Checks, fmg: FortiManagerClient): Promise<void> {
  const mode = await fmg.workspaceMode();
  if (mode === 'workflow') {
    c.add(
      'workspace mode',
      'fail',
      'workflow: fortisync does not start workflow sessions; the target will be Stalled (WorkflowModeUnsupported). Use normal or disabled for this ADOM',
    );
    return;
  }
  c.add(
    'workspace mode',
    'ok',
    mode === 'normal'
      ? 'normal: each sync that writes locks the ADOM, writes, commits and unlocks'
      : 'disabled: fortisync writes directly',
  );
  if (mode !== 'normal') return;
  const lock = await fmg.lockInfo();
  if (!lock) c.add('adom lock', 'ok', 'not locked');
  else
    c.add(
      'adom lock',
      'warn',
      `locked by ${lock.user}${lock.since ? ` since ${new Date(lock.since).toISOString()}` : ''}: fortisync waits (ADOMLocked) until it is released, and never breaks it`,
    );
}

async function readRights(
  c: Checks,
  fmg: FortiManagerClient,
  spec: ValidFortiManagerTargetSpec,
): Promise<void> {
  for (const table of TABLES) {
    try {
      await fmg.list(table, { fields: ['name'], range: [0, 1] });
      c.add(`read ${table}`, 'ok', `ADOM ${spec.adom}`);
    } catch (err) {
      c.add(`read ${table}`, 'fail', why(err, spec));
    }
  }
}

async function packages(
  c: Checks,
  fmg: FortiManagerClient,
  spec: ValidFortiManagerTargetSpec,
): Promise<void> {
  if (spec.install?.policy !== 'Packages') {
    c.add('install policy', 'info', 'None: the FortiManager admins install the changes fortisync writes');
    return;
  }
  let existing: Set<string>;
  try {
    existing = new Set((await fmg.packages()).map((p) => p.name));
  } catch (err) {
    c.add('packages', 'fail', `cannot list the ADOM's policy packages: ${why(err, spec)}`);
    return;
  }
  for (const p of spec.install.packages ?? []) {
    if (existing.has(p.name))
      c.add(`package ${p.name}`, 'ok', 'exists; installed after each change that a policy of it uses');
    else
      c.add(
        `package ${p.name}`,
        'fail',
        `no such policy package in ADOM ${spec.adom}; fix spec.install.packages`,
      );
  }
}

/** The preflight of a FortiManagerTarget, from this machine, with the user's permissions. Read-only. */
export async function runTargetChecks(reader: KubeReader, name: string): Promise<CheckLine[]> {
  const c: Checks = new Checks();
  try {
    const checked = targetInput(await reader.target(name));
    if ('problem' in checked) c.fail('spec', checked.problem);
    const spec = checked.input.spec;
    c.add('spec', 'ok', `${spec.url}, ADOM ${spec.adom}, auth ${spec.auth}, cluster ${spec.clusterName}`);
    let creds: Awaited<ReturnType<typeof targetCredentials>>;
    try {
      creds = await targetCredentials(reader, spec);
    } catch (err) {
      c.fail(
        'credentials',
        `${errorText(err)}${err instanceof PluginError && err.next ? `: ${err.next}` : ''} (read with your permissions, not the operator's)`,
      );
    }
    const ref = spec.credentialsSecretRef;
    c.add('credentials', 'ok', `secret ${ref.namespace}/${ref.name} (read with your permissions)`);
    await tlsCheck(c, spec, creds.ca);
    const fmg = targetClient(spec, creds);
    try {
      await login(c, fmg, spec);
      await adom(c, fmg, spec);
      await workspace(c, fmg);
      await readRights(c, fmg, spec);
      await packages(c, fmg, spec);
    } finally {
      await fmg.close().catch(() => undefined);
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  return c.lines;
}
