/**
 * `make demo FMG=1`: the storefront story through FortiManager. The operator writes ADOM `root`
 * (workspace mode normal: lock, write, commit, unlock) and installs policy package dmz-pkg, whose
 * policy uses K8S-DMZ, to the managed FortiGate fgt-dmz (a FortiOS simulator FortiManager installs to).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FortiManagerClient } from '../../src/fortimanager/index.js';
import {
  startFortiManagerSimulator,
  type FortiManagerSimulatorHandle,
} from '../../src/simulator/fortimanager/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { repoRoot } from '../../test/support/testenv-binaries.js';
import {
  GROUP,
  groupMembers,
  ownedAddresses,
  showFortiGate,
  type DemoFirewall,
  type DemoSide,
} from './firewall.js';
import { bold, dim, type Kubectl, step, until } from './kubectl.js';
import { applyStorefrontExample } from './storefront.js';

export const FMG_DEVICE = 'fgt-dmz';
export const PACKAGE = 'dmz-pkg';
const TARGET = 'fmg-dmz';
const API_ADMIN = 'fortisync-prod';
const API_KEY = 'demo-fmg-api-key-not-a-secret-0123';
const FMG_ADMIN = { name: 'admin', password: 'demo-admin-pw' };
/** Short enough for a demo; the task poll (after 0 s, then 2 s) sees it done at its second look. */
const INSTALL_MS = 1500;
/** The shortest window the CRD allows: at most one install of dmz-pkg per 5 s. */
const COALESCE_SECONDS = 5;
const root = repoRoot();

function device(fmg: FortiManagerSimulatorHandle): SimulatorHandle {
  const d = fmg.devices.get(FMG_DEVICE);
  if (!d) throw new Error(`the FortiManager simulator has no device ${FMG_DEVICE}`);
  return d;
}

/**
 * The FortiManager simulator with ADOM root in workspace mode normal, managing fgt-dmz. The FMG
 * admin has made K8S-DMZ (holding `none`) and package dmz-pkg, and installed it once.
 */
async function startFortiManager(dir: string): Promise<FortiManagerSimulatorHandle> {
  const fmg = await startFortiManagerSimulator({
    admins: [{ name: API_ADMIN, apiKey: API_KEY }, FMG_ADMIN],
    adoms: ['root'],
    workspaceMode: 'normal',
    devices: [{ name: FMG_DEVICE }],
    installDurationMs: INSTALL_MS,
  });
  writeFileSync(join(dir, 'fortimanager-ca.pem'), fmg.caCertPem ?? '');
  const adom = fmg.adom('root');
  adom.seed('firewall/address', {
    name: 'login.microsoft.com',
    type: 'fqdn',
    fqdn: 'login.microsoft.com',
    comment: 'Entra ID sign-in',
  });
  adom.seed('firewall/addrgrp', {
    name: GROUP,
    member: ['none'],
    comment: 'DMZ workloads (kept by fortisync)',
  });
  adom.seedPackage({
    name: PACKAGE,
    scope: [{ name: FMG_DEVICE, vdom: 'root' }],
    policies: [
      {
        policyid: 10,
        name: 'dmz-to-entra',
        srcaddr: [GROUP],
        dstaddr: ['login.microsoft.com'],
        action: 'accept',
      },
    ],
  });
  console.log(
    `FortiManager simulator at ${fmg.url} (${fmg.version}), ADOM root in workspace mode normal, managing ${FMG_DEVICE} (${device(fmg).url})`,
  );
  await adminInstall(fmg);
  return fmg;
}

/** What the FMG admin did before fortisync came: lock, install dmz-pkg, wait for the task, unlock. */
async function adminInstall(fmg: FortiManagerSimulatorHandle): Promise<void> {
  const client = new FortiManagerClient({
    baseUrl: fmg.url,
    adom: 'root',
    auth: { username: FMG_ADMIN.name, password: FMG_ADMIN.password },
    ...(fmg.caCertPem ? { ca: fmg.caCertPem } : {}),
  });
  try {
    await client.lock();
    const task = await client.installPackage(PACKAGE);
    const status = await client.waitForTask(task, { timeoutMs: 30_000, pollMs: 100, maxPollMs: 200 });
    await client.unlock();
    console.log(
      `the FMG admin installed ${PACKAGE} to ${FMG_DEVICE}: task ${task} ${status.succeeded ? 'done' : 'failed'}`,
    );
  } finally {
    await client.close();
  }
}

/** The storefront example with examples/storefront-fortimanager in place of the FortiGateDevice. */
async function applyStorefrontFmg(k: Kubectl, fmg: FortiManagerSimulatorHandle, dir: string): Promise<void> {
  const fmgEx = join(root, 'examples/storefront-fortimanager');
  await applyStorefrontExample(k, {
    secret: { name: 'fortimanager-api-key', literals: { apiKey: API_KEY, username: API_ADMIN } },
    ca: { configMap: 'fortimanager-ca', pemFile: join(dir, 'fortimanager-ca.pem') },
    object: {
      file: join(fmgEx, '20-fortimanagertarget.yaml'),
      resource: 'fortimanagertarget',
      name: TARGET,
      patch: { spec: { url: fmg.url, install: { coalesceSeconds: COALESCE_SECONDS } } },
    },
    mappingFile: join(fmgEx, '40-endpointmapping.yaml'),
  });
  await k.run(['wait', '--for=condition=Ready', `fortimanagertarget/${TARGET}`, '--timeout=60s']);
  await k.run(['get', 'fortimanagertargets']);
}

/** The latest install task has ended and the target's status reports it (the operator polls it). */
async function installReported(k: Kubectl, fmg: FortiManagerSimulatorHandle): Promise<void> {
  await until(
    'the target status to report the latest install',
    async () => {
      const latest = fmg.tasks.list().at(-1);
      if (!latest || Number(latest.percent) < 100) return undefined;
      const out = await k.run(
        [
          'get',
          'fortimanagertarget',
          TARGET,
          '-o',
          `jsonpath={.status.installs[?(@.package=="${PACKAGE}")]}`,
        ],
        { show: false },
      );
      const record = out.trim() ? (JSON.parse(out) as { taskId?: number; state?: string }) : undefined;
      return record?.taskId === Number(latest.id) && record.state !== 'running' ? true : undefined;
    },
    30_000,
    200,
  );
}

function adomOwned(fmg: FortiManagerSimulatorHandle): { name?: unknown }[] {
  return fmg
    .adom('root')
    .list('firewall/address')
    .filter((a) => String(a.comment ?? '').includes('[fortisync:'));
}

function showAdom(fmg: FortiManagerSimulatorHandle): void {
  const adom = fmg.adom('root');
  const members = ((adom.get('firewall/addrgrp', GROUP)?.member as string[] | undefined) ?? [])
    .slice()
    .sort();
  const owned = adomOwned(fmg);
  const lock = adom.lockInfo();
  console.log(bold('FortiManager side') + dim(` (ADOM root, ${fmg.url}/jsonrpc)`));
  console.log(`  address group ${GROUP}: ${members.length > 0 ? members.join(', ') : '(no members)'}`);
  console.log(`  address objects by fortisync: ${owned.map((a) => String(a.name)).join(', ') || '(none)'}`);
  console.log(
    `  workspace lock: ${lock ? `held by ${lock.user}` : 'free (fortisync unlocks after each commit)'}`,
  );
  for (const t of fmg.tasks.list().slice(-2)) {
    const lines = (t.line as { name: string; vdom: string; state: unknown }[] | undefined) ?? [];
    console.log(
      `  install task ${String(t.id)} "${String(t.title)}" by ${String(t.user)}: ${String(t.percent)} %, ` +
        lines.map((l) => `${l.name}/${l.vdom} ${String(l.state)}`).join(', '),
    );
  }
}

/** The FortiGate as FortiManager installs it: the ADOM, the install, then the device itself. */
function viaFortiManager(fmg: FortiManagerSimulatorHandle): DemoFirewall {
  const fgt = device(fmg);
  return {
    members: () => groupMembers(fgt),
    // Left anywhere is left: on the FortiGate, and in the ADOM.
    ownedAddresses: () => ownedAddresses(fgt) + adomOwned(fmg).length,
    show: async (k) => {
      await installReported(k, fmg);
      showAdom(fmg);
      await k.run(['get', 'fortimanagertargets']);
      await k.run([
        'get',
        'fortimanagertarget',
        TARGET,
        '-o',
        'jsonpath={range .status.installs[*]}install {.package}: task {.taskId} {.state} ({.startTime} → {.endTime}){range .devices[*]}; {.name}/{.vdom} {.state}{end}{"\\n"}{end}{range .status.conditions[?(@.type=="Installed")]}Installed={.status} {.reason}: {.message}{"\\n"}{end}',
      ]);
      showFortiGate(fgt, `FortiGate ${FMG_DEVICE} side (installed by FortiManager)`);
    },
    propagationNote: `scheduling, kwok starting the pod, the ADOM write (lock, write, commit, unlock), then the install of ${PACKAGE}: at most one per ${COALESCE_SECONDS} s window, ${INSTALL_MS / 1000} s each here`,
    releasedBy: `the install (FortiManager deletes from ${FMG_DEVICE} what no policy uses any more)`,
  };
}

/** The FortiManager side: started (and its first install done) before the operator. */
export async function startFortiManagerSide(dir: string): Promise<DemoSide> {
  step(
    `Starting the FortiManager simulator (HTTPS) and the FortiGate it manages; the FMG admin has package ${PACKAGE} with a policy on group K8S-DMZ`,
  );
  const fmg = await startFortiManager(dir);
  showFortiGate(device(fmg), `FortiGate ${FMG_DEVICE} side (installed by FortiManager)`);
  return {
    firewall: viaFortiManager(fmg),
    apply: async (k) => {
      step('Applying the storefront example through FortiManager (examples/storefront-fortimanager)');
      await applyStorefrontFmg(k, fmg, dir);
    },
    close: () => fmg.close(),
    hint: `FortiManager: curl --cacert ${join(dir, 'fortimanager-ca.pem')} -H 'Authorization: Bearer ${API_KEY}' -d '{"id":1,"method":"get","params":[{"url":"/pm/config/adom/root/obj/firewall/addrgrp/${GROUP}"}]}' ${fmg.url}/jsonrpc`,
  };
}
