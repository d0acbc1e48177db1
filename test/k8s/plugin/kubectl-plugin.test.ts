import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Harness } from '../../support/operator-harness.js';
import { repoRoot } from '../../support/testenv-binaries.js';

/** Runs the run's real kubectl with a PATH holding the plugin shim (as krew or a user would set it up). */
function kubectl(args: string[], path: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.env.FORTISYNC_TEST_KUBECTL as string,
      args,
      {
        env: { ...process.env, PATH: path, KUBECONFIG: process.env.FORTISYNC_TEST_KUBECONFIG as string },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// kubectl finds `kubectl-fortisync` on PATH and runs it: the shim in plugins/ (what the krew archive
// installs) runs the compiled program of dist/ (npm run build) with the user's kubeconfig.
describe('kubectl finds and runs the fortisync plugin', () => {
  const h = new Harness({ name: 'kplugin', clusterName: 'kp', startOperator: false });
  const bin = mkdtempSync(join(tmpdir(), 'fortisync-krew-bin-'));
  const path = `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

  beforeAll(async () => {
    // krew links the plugin into its bin directory; the shim resolves the link to find the program.
    symlinkSync(join(repoRoot(), 'plugins/kubectl-fortisync'), join(bin, 'kubectl-fortisync'));
    await h.start();
  });
  afterAll(async () => {
    await h.stop();
    rmSync(bin, { recursive: true, force: true });
  });

  it('kubectl plugin list shows it', async () => {
    const r = await kubectl(['plugin', 'list'], path);
    expect(r.stdout).toContain(join(bin, 'kubectl-fortisync'));
  });

  it('kubectl fortisync --help names the verbs, as kubectl fortisync', async () => {
    const r = await kubectl(['fortisync', '--help'], path);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: kubectl fortisync');
    for (const verb of ['trace', 'status', 'plan', 'orphans', 'check'])
      expect(r.stdout).toMatch(new RegExp(`\\n  ${verb} `));
  });

  it('kubectl fortisync status -o json reads the cluster with the kubeconfig kubectl uses', async () => {
    const r = await kubectl(['fortisync', 'status', '-o', 'json'], path);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { devices: { name: string; ready: string; reason: string }[] };
    // No operator runs in this test: the device is there, not observed.
    expect(report.devices.find((d) => d.name === h.deviceName)).toMatchObject({
      ready: 'Unknown',
      reason: 'NotObserved',
    });
  });

  it('a failing verb exits non-zero with the error on stderr', async () => {
    const r = await kubectl(['fortisync', 'trace', 'pod', `${h.ns}/nope`], path);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: pod ${h.ns}/nope not found\n`);
  });
});
