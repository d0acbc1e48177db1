import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, PASSWORD, rpc, startFmg } from './helpers.js';

/**
 * Fortinet's own `fortinet.fortimanager` Ansible collection (Debian's `ansible` package carries
 * 2.2.0) against the simulator: login, the connect-time inspection, workspace lock, create,
 * idempotent re-apply, update, commit/unlock/logout at the end, install, delete.
 */
const PLAYBOOKS = join(dirname(fileURLToPath(import.meta.url)), 'ansible');
// About 70 s (each task starts Python), so it runs when asked for: FORTISYNC_ANSIBLE=1.
const wanted = process.env.FORTISYNC_ANSIBLE === '1';
const found = (command: string, args: string[]): boolean => spawnSync(command, args).status === 0;
const collectionFound =
  wanted &&
  found('ansible-playbook', ['--version']) &&
  found('ansible-doc', ['-t', 'httpapi', 'fortinet.fortimanager.fortimanager']);
const NAME = 'the fortinet.fortimanager Ansible collection against the simulator';
const title = !wanted
  ? `${NAME} (SKIPPED: takes about 70 s; run with FORTISYNC_ANSIBLE=1, needs Debian's ansible package)`
  : !collectionFound
    ? `${NAME} (SKIPPED: ansible-playbook or the fortinet.fortimanager collection is not installed; on Debian: apt-get install ansible)`
    : NAME;

let sim: FortiManagerSimulatorHandle;
let work: string;

interface PlaybookRun {
  code: number | null;
  output: string;
}

function playbook(name: string): Promise<PlaybookRun> {
  const caPath = join(work, 'ca.pem');
  const inventory = join(work, 'inventory.ini');
  const secrets = join(work, 'secrets.json');
  writeFileSync(caPath, sim.caCertPem ?? '');
  // The test admin's password, in a private file rather than on the command line.
  writeFileSync(secrets, JSON.stringify({ ansible_password: PASSWORD }), { mode: 0o600 });
  writeFileSync(
    inventory,
    [
      '[fmg]',
      `simulator ansible_host=127.0.0.1 ansible_httpapi_port=${sim.port}`,
      '[fmg:vars]',
      'ansible_connection=httpapi',
      'ansible_network_os=fortinet.fortimanager.fortimanager',
      'ansible_httpapi_use_ssl=true',
      'ansible_httpapi_validate_certs=true',
      'ansible_user=fortisync',
      '',
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-i', inventory, '-e', `@${secrets}`, join(PLAYBOOKS, name)], {
      cwd: work,
      env: {
        ...process.env,
        // The collection verifies the simulator's certificate against its CA, as against a real FMG.
        SSL_CERT_FILE: caPath,
        ANSIBLE_HOST_KEY_CHECKING: 'false',
        ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
        ANSIBLE_PERSISTENT_CONTROL_PATH_DIR: join(work, 'pc'),
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_RETRY_FILES_ENABLED: 'false',
      },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** A failed playbook fails the test with Ansible's own words. */
function succeeded(run: PlaybookRun): void {
  if (run.code !== 0) throw new Error(`ansible-playbook exited ${run.code}:\n${run.output.slice(-4000)}`);
}

async function waitFor<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

(collectionFound ? describe : describe.skip)(title, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'fortisync-ansible-'));
    sim = await startFmg({ workspaceMode: 'normal' });
  });
  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('create, idempotent re-apply, update, install and delete, each under lock → commit → unlock', async () => {
    const apply = await playbook('apply.yml');
    succeeded(apply);
    const root = sim.adom('root');
    expect(root.get('firewall/address', 'k8s-a')).toMatchObject({ subnet: ['10.0.0.1', '255.255.255.255'] });
    expect(root.get('firewall/address', 'k8s-b')).toMatchObject({
      subnet: ['10.0.0.3', '255.255.255.255'],
      comment: '[fortisync:ansible] node b moved',
    });
    expect(root.get('firewall/addrgrp', 'K8S-ANSIBLE')).toMatchObject({ member: ['k8s-a', 'k8s-b'] });
    // The collection committed and unlocked at disconnect, and logged out.
    expect(root.lockInfo()).toBeUndefined();
    expect(sim.sessions.list()).toEqual([]);
    const execs = sim.requestLog.entries({ method: 'exec' }).map((e) => e.path);
    expect(execs).toEqual([
      'sys/login/user',
      'dvmdb/adom/root/workspace/lock',
      'dvmdb/adom/root/workspace/commit',
      'dvmdb/adom/root/workspace/unlock',
      'sys/logout',
    ]);

    root.seedPackage({
      name: 'ansible-pkg',
      scope: [{ name: 'fgt-edge', vdom: 'root' }],
      policies: [{ policyid: 1, srcaddr: ['K8S-ANSIBLE'], dstaddr: ['all'], action: 'accept' }],
    });
    const install = await playbook('install.yml');
    succeeded(install);
    const task = await waitFor(() => sim.tasks.list().find((t) => t.percent === 100));
    expect(task).toMatchObject({ num_err: 0 });
    expect(sim.devices.get('fgt-edge')?.state.get('firewall/addrgrp', 'K8S-ANSIBLE')).toBeDefined();

    // The FMG admin drops the package (under their own lock) so the group is unused again.
    const headers = { authorization: `Bearer ${API_KEY}` };
    for (const [method, url] of [
      ['exec', 'dvmdb/adom/root/workspace/lock'],
      ['delete', 'pm/pkg/adom/root/ansible-pkg'],
      ['exec', 'dvmdb/adom/root/workspace/commit'],
      ['exec', 'dvmdb/adom/root/workspace/unlock'],
    ] as const) {
      expect((await rpc(sim, { method, params: [{ url }] }, headers)).result[0]?.status.code).toBe(0);
    }
    const del = await playbook('delete.yml');
    succeeded(del);
    expect(root.get('firewall/addrgrp', 'K8S-ANSIBLE')).toBeUndefined();
    expect(root.get('firewall/address', 'k8s-a')).toBeUndefined();
    expect(root.get('firewall/address', 'k8s-b')).toBeUndefined();
    expect(root.lockInfo()).toBeUndefined();
  }, 240_000);
});
