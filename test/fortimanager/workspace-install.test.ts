import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { workspaceInstalls } from '../../src/controllers/fortimanager/installer.js';
import { FortiManagerClient, isFortiManagerError } from '../../src/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, startFmg } from './helpers.js';

// An install in workspace mode normal needs the ADOM lock (FMG answers -10147 without it): the
// operator's installs go through the workspace and leave no lock behind.
describe('workspaceInstalls', () => {
  let sim: FortiManagerSimulatorHandle;
  let client: FortiManagerClient;

  beforeAll(async () => {
    sim = await startFmg({ workspaceMode: 'normal', installDurationMs: 100 });
    sim.adom('root').seedPackage({ name: 'pkg', scope: [{ name: 'fgt-edge', vdom: 'root' }] });
    client = new FortiManagerClient({
      baseUrl: sim.url,
      ca: sim.caCertPem,
      adom: 'root',
      auth: { apiKey: API_KEY },
    });
  });

  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('a bare install in workspace mode normal is refused (what the wrapper is for)', async () => {
    const err = await client.installPackage('pkg').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isFortiManagerError(err)).toBe(true);
    expect(sim.tasks.list()).toEqual([]);
  });

  it('lock → install → commit → unlock: the task runs to the end, the ADOM is left unlocked', async () => {
    const installs = workspaceInstalls(client, 'normal');
    const task = await installs.installPackage('pkg');
    expect(sim.adom('root').lockInfo()).toBeUndefined();
    const status = await installs.waitForTask(task, { timeoutMs: 10_000, pollMs: 50, maxPollMs: 100 });
    expect(status).toMatchObject({ finished: true, succeeded: true });
    const calls = sim.requestLog
      .entries({})
      .map((e) => e.path.replace(/^\//, ''))
      .filter((p) => /workspace\/(lock|commit|unlock)$|install\/package$/.test(p));
    expect(calls.slice(-4)).toEqual([
      'dvmdb/adom/root/workspace/lock',
      'securityconsole/install/package',
      'dvmdb/adom/root/workspace/commit',
      'dvmdb/adom/root/workspace/unlock',
    ]);
  });

  it('workspace mode disabled: the install goes straight, no lock', async () => {
    sim.settings.workspaceMode = 'disabled';
    const before = sim.requestLog.entries({}).length;
    await workspaceInstalls(client, 'disabled').installPackage('pkg');
    const paths = sim.requestLog
      .entries({})
      .slice(before)
      .map((e) => e.path);
    expect(paths.some((p) => p.includes('/workspace/'))).toBe(false);
    expect(paths.some((p) => p.endsWith('install/package'))).toBe(true);
  });
});
