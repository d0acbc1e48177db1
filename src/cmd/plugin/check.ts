import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import { ownedCommentHead } from '../../domain/naming.js';
import type { FortiGateClient } from '../../fortigate/client.js';
import { isFortiOSError } from '../../fortigate/errors.js';
import { addressTable, groupTable, type CmdbTable, type SystemStatus } from '../../fortigate/types.js';
import { parseFortiOSVersion, versionAtLeast } from '../../fortigate/version.js';
import { action, addKubeFlags, readerFor, type KubeFlags } from './context.js';
import { deviceClient, deviceCredentials, describeDeviceError, fortiosNextStep } from './device-access.js';
import { deviceInput } from './domain-adapter.js';
import { PluginError } from './errors.js';
import { paint, parseFormat, table, withProgress, writeData, type Io } from './output.js';
import { fortiManagerTargetName, runTargetChecks } from './check-target.js';
import { Checks, Stop, tlsCheck, type CheckLine, type CheckResult } from './checks.js';

function features(c: Checks, s: SystemStatus): void {
  const v = parseFortiOSVersion(s.version);
  if (!v) {
    c.add('features', 'warn', `unknown version ${s.version}`);
    return;
  }
  const parts = [
    versionAtLeast(v, 6, 4) ? 'transactions (6.4+)' : 'no transactions (before 6.4)',
    versionAtLeast(v, 7, 0) ? 'cli_error texts in failures (7.x)' : 'numeric error codes only (6.x)',
    versionAtLeast(v, 7, 4, 5)
      ? 'access_token in the URL refused by default (7.4.5+): fortisync sends the Authorization header only'
      : 'access_token in the URL still accepted: fortisync never uses it',
  ];
  if (!versionAtLeast(v, 6, 4))
    parts.push('IPv6 policies live in firewall/policy6, which trace does not read');
  c.add('features', versionAtLeast(v, 6, 2) ? 'info' : 'warn', parts.join('; '));
}

const READS: [CmdbTable, string][] = [
  ['firewall/address', 'required'],
  ['firewall/address6', 'required'],
  ['firewall/addrgrp', 'required'],
  ['firewall/addrgrp6', 'required'],
  ['firewall/policy', 'optional: trace shows the policies using a group'],
];

/** Why a table read failed; a table that is "not found" means the VDOM is. */
function readFailure(err: unknown, spec: ValidDeviceSpec): string {
  if (isFortiOSError(err, 'not-found'))
    return `VDOM ${spec.vdom} does not exist on this device (${describeDeviceError(err)}); fix spec.vdom`;
  if (isFortiOSError(err, 'forbidden'))
    return `${describeDeviceError(err)}: the API admin may not use VDOM ${spec.vdom}, or its profile lacks read permission on firewall objects`;
  const next = fortiosNextStep(err);
  return `${describeDeviceError(err)}${next ? `: ${next}` : ''}`;
}

async function readRights(c: Checks, client: FortiGateClient, spec: ValidDeviceSpec): Promise<void> {
  for (const [t, need] of READS) {
    try {
      await client.list(t, { format: [t === 'firewall/policy' ? 'policyid' : 'name'], count: 1 });
      c.add(`read ${t}`, 'ok', `VDOM ${spec.vdom}`);
    } catch (err) {
      const detail = readFailure(err, spec);
      if (need === 'required') c.add(`read ${t}`, 'fail', detail);
      else c.add(`read ${t}`, 'warn', `${detail} (${need})`);
    }
  }
}

/** Creates a marked probe address and group and deletes them again: the only proof of write rights. */
async function writeRights(c: Checks, client: FortiGateClient, spec: ValidDeviceSpec): Promise<void> {
  const name = `fortisync-preflight-${randomBytes(4).toString('hex')}`;
  // Marked as the operator marks its own objects, so a probe left behind is the operator's to remove.
  const note = 'preflight probe of kubectl fortisync check; safe to delete';
  const comment = `${ownedCommentHead(spec.clusterName, name)} ${note}`;
  const groupComment = `${ownedCommentHead(spec.clusterName, `${name}-g`)} ${note}`;
  let step = 'create address';
  try {
    await client.create(addressTable('IPv4'), {
      name,
      type: 'ipmask',
      subnet: '192.0.2.1 255.255.255.255',
      comment,
    });
    step = 'create group';
    await client.create(groupTable('IPv4'), { name: `${name}-g`, member: [{ name }], comment: groupComment });
    step = 'delete group';
    await client.delete(groupTable('IPv4'), `${name}-g`);
    step = 'delete address';
    await client.delete(addressTable('IPv4'), name);
    c.add('write address+addrgrp', 'ok', `created and deleted ${name} and ${name}-g`);
  } catch (err) {
    const hint = isFortiOSError(err, 'forbidden')
      ? ': the admin profile needs read-write on firewall address (Policy & Objects)'
      : '';
    c.add(
      'write address+addrgrp',
      'fail',
      `${step} failed: ${describeDeviceError(err)}${hint}; if a probe object was left, delete ${name}*`,
    );
  }
}

async function apiChecks(
  c: Checks,
  client: FortiGateClient,
  spec: ValidDeviceSpec,
  writeTest: boolean,
): Promise<void> {
  let s: SystemStatus;
  try {
    s = await client.systemStatus();
  } catch (err) {
    if (isFortiOSError(err, 'unauthorized'))
      c.fail(
        'api token',
        "refused (401): a wrong or expired token, or this machine is not among the API admin's trusted hosts. Each refusal counts toward FortiOS' lockout (3 in 60 s), so this check stopped after one",
      );
    c.fail(
      'api token',
      `${describeDeviceError(err)}${fortiosNextStep(err) ? `: ${fortiosNextStep(err)}` : ''}`,
    );
  }
  c.add(
    'api token',
    'ok',
    `accepted; ${s.modelName || s.model} ${s.hostname}, serial ${s.serial}, FortiOS ${s.version} build ${s.build}`,
  );
  c.add(
    'trusted hosts',
    'info',
    "this machine is trusted; the operator connects from its pods' egress address, which must be trusted too",
  );
  features(c, s);
  await readRights(c, client, spec);
  if (writeTest) await writeRights(c, client, spec);
  else
    c.add(
      'write address+addrgrp',
      'skipped',
      'needs a write to prove: pass --write-test to create and delete a marked probe object',
    );
}

async function runChecks(
  reader: ReturnType<typeof readerFor>,
  name: string,
  writeTest: boolean,
): Promise<CheckLine[]> {
  const c: Checks = new Checks();
  try {
    const d = await reader.device(name);
    const checked = deviceInput(d);
    if ('problem' in checked) c.fail('spec', checked.problem);
    const spec = checked.input.spec;
    c.add('spec', 'ok', `${spec.url}, VDOM ${spec.vdom}, cluster ${spec.clusterName}`);
    let creds: { token: string; ca?: string };
    try {
      creds = await deviceCredentials(reader, spec);
    } catch (err) {
      c.fail(
        'credentials',
        `${describeDeviceError(err)}${err instanceof PluginError && err.next ? `: ${err.next}` : ''} (read with your permissions, not the operator's)`,
      );
    }
    c.add(
      'credentials',
      'ok',
      `secret ${spec.credentialsSecretRef.namespace}/${spec.credentialsSecretRef.name} (read with your permissions)`,
    );
    await tlsCheck(c, spec, creds.ca);
    const client = deviceClient(spec, creds);
    try {
      await apiChecks(c, client, spec, writeTest);
    } finally {
      client.close();
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  return c.lines;
}

const STYLE: Record<CheckResult, 'green' | 'red' | 'yellow' | 'dim' | 'cyan'> = {
  ok: 'green',
  fail: 'red',
  warn: 'yellow',
  info: 'cyan',
  skipped: 'dim',
};

type CheckFlags = KubeFlags & { output?: string; writeTest?: boolean };

export function registerCheck(program: Command, io: Io): void {
  const cmd = new Command('check')
    .description(
      "Preflight of a FortiGateDevice from this machine: spec, token Secret, TLS chain and name, token and trusted hosts, FortiOS version and what it implies, VDOM, read rights on address/addrgrp (and policy); --write-test proves write rights with a marked probe object. For fortimanagertarget/NAME: spec, credentials, TLS, API key or login, the ADOM, its workspace mode and lock, read rights on the ADOM tables, the install policy's packages",
    )
    .argument('<device>', 'FortiGateDevice name, or fortimanagertarget/NAME')
    .option('--write-test', 'create and delete a marked probe address and group')
    .option('-o, --output <format>', 'json or yaml (default: table)');
  addKubeFlags(cmd).action(
    action(io, async (name: string, flags: CheckFlags) => {
      const format = parseFormat(flags.output);
      const reader = readerFor(flags);
      const target = fortiManagerTargetName(name);
      const lines = await withProgress(io, `checking ${name}…`, () =>
        target !== undefined
          ? runTargetChecks(reader, target)
          : runChecks(reader, name, Boolean(flags.writeTest)),
      );
      if (format === 'text')
        io.out.write(
          table(
            ['check', 'result', 'detail'],
            lines.map((l) => [l.check, paint(io, STYLE[l.result], l.result), l.detail]),
          ),
        );
      else
        writeData(
          io,
          format,
          target !== undefined ? { target, checks: lines } : { device: name, checks: lines },
        );
      return lines.some((l) => l.result === 'fail') ? 1 : 0;
    }),
  );
  program.addCommand(cmd);
}
