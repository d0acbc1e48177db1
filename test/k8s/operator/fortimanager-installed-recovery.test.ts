import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import { call } from '../../fortimanager/helpers.js';
import {
  createFortiManagerTarget,
  dropFinalizers,
  removeFortiManagerTarget,
} from '../../support/fortimanager-target.js';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import { spawnOperator, type OperatorProcess } from '../../support/operator-process.js';
import { serviceAccountKubeConfig } from '../../support/service-account.js';
import { repoRoot } from '../../support/testenv-binaries.js';
import { kubectlOk } from '../install/kubectl.js';

// Issue 16: Session-mode crash recovery in the INSTALLED operator. The operator process runs as a
// ServiceAccount holding exactly the RBAC of config/rbac (renamed by an overlay, as the helm-install
// test does) with the pre-created session Secret of config/manager, and the Deployment's flag. It is
// killed with its FortiManager session open; that session then locks the ADOM and writes half a
// change (a crash between lock and commit); the restarted process logs it out at start-up, so the
// lock and the half-written change go at once, not after FMG's 15-minute idle timeout.

const PASSWORD = 'rec-Secret-1';

describe('installed operator, Session login: a crashed session is logged out at start-up', () => {
  const h = new Harness({ name: 'frec', clusterName: 'frec', startOperator: false });
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-frec-'));
  const prefix = () => `frec${h.id}-`;
  const secret = () => `${prefix()}fmg-sessions`;
  const target = () => `frec-${h.id}`;
  const node = (n: string) => `k8s-frec-node-${h.nodeName(n)}`;
  let fmg: FortiManagerSimulatorHandle;
  let kubeconfig = '';
  let op: OperatorProcess | undefined;
  const installed: string[] = [];

  const members = (group: string) =>
    (fmg.adom('root').get('firewall/addrgrp', group)?.member as string[] | undefined)?.slice().sort();
  const keptSession = async (): Promise<string | undefined> => {
    const s = await h.core.readNamespacedSecret({ namespace: h.ns, name: secret() });
    const b64 = s.data?.[target()];
    return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
  };
  const start = () =>
    spawnOperator([
      ...h.processArgs(kubeconfig),
      '--credentials-namespaces',
      h.ns,
      // As config/manager/manager.yaml passes it (the name carries this overlay's prefix).
      `--fortimanager-session-secret=${secret()}`,
    ]);

  /** config/rbac and the session Secret, renamed into the test namespace; a kubeconfig of its ServiceAccount. */
  async function install(): Promise<void> {
    const overlay = join(dir, 'overlay');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(overlay);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `namespace: ${h.ns}`,
        `namePrefix: ${prefix()}`,
        'resources:',
        `  - ${relative(overlay, join(repoRoot(), 'config/rbac'))}`,
        `  - ${relative(overlay, join(repoRoot(), 'config/manager'))}`,
      ].join('\n'),
    );
    const rendered = parseAllDocuments(await kubectlOk(['kustomize', overlay]))
      .map((d) => d.toJS() as { kind: string; metadata: { name: string } })
      // The operator runs here as a process, not as the Deployment.
      .filter((o) => !['Deployment', 'Service', 'PodDisruptionBudget'].includes(o.kind));
    expect(rendered.find((o) => o.kind === 'Secret')?.metadata.name).toBe(secret());
    await kubectlOk(['apply', '-f', '-'], rendered.map((o) => JSON.stringify(o)).join('\n'));
    for (const o of rendered) installed.push(`${o.kind.toLowerCase()}/${o.metadata.name}`);
    const sa = `${prefix()}controller-manager`;
    const kc = await serviceAccountKubeConfig(h, sa);
    kubeconfig = join(dir, 'operator.kubeconfig');
    writeFileSync(kubeconfig, kc.exportConfig());
    // The ServiceAccount may not write any Secret but that one.
    const sac = kc.makeApiClient(CoreV1Api);
    await expect(
      sac.createNamespacedSecret({ namespace: h.ns, body: { metadata: { name: 'x' } } }),
    ).rejects.toMatchObject({ code: 403 });
  }

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [{ name: 'fortisync', password: PASSWORD }],
      adoms: ['root'],
      workspaceMode: 'normal',
      devices: [{ name: 'fgt-r' }],
    });
    await h.start();
    await install();
    await h.setSecret({ username: 'fortisync', password: PASSWORD }, 'fmg-login');
    await createFortiManagerTarget(h, fmg, {
      name: target(),
      clusterName: 'frec',
      secret: 'fmg-login',
      labels: h.labels,
      spec: { auth: 'Session' },
    });
    await h.createNode('n1', '192.0.2.91');
    await h.createNode('n2', '192.0.2.92');
    await h.runPod('web-1', { app: 'web' }, 'n1', ['10.6.1.1']);
    await h.applyMapping('web', {
      podSelector: { matchLabels: { app: 'web' } },
      addressGroup: 'K8S-REC',
      devices: undefined,
      fortiManagerTargets: [target()],
    } as never);
  }, 120_000);

  afterAll(async () => {
    op?.kill('SIGKILL');
    await op?.exitCode();
    await dropFinalizers(h, 'fortigateendpointmappings', 'web', h.ns);
    await removeFortiManagerTarget(h, target());
    for (const o of installed.filter((x) => x.startsWith('cluster')))
      await kubectlOk(['delete', o, '--ignore-not-found']).catch(() => undefined);
    await h.stop();
    await fmg.close();
    rmSync(dir, { recursive: true, force: true });
  }, 90_000);

  it('keeps the session id in the pre-created Secret; after SIGKILL mid-change the restart logs it out at once', async () => {
    op = await start();
    await eventually(
      () => (JSON.stringify(members('K8S-REC')) === JSON.stringify([node('n1')]) ? true : undefined),
      {
        timeoutMs: 30_000,
        what: 'K8S-REC in the ADOM',
      },
    );
    const session = await eventually(keptSession, { timeoutMs: 15_000, what: 'the session id kept' });
    op.kill('SIGKILL');
    await op.exitCode();
    op = undefined;
    // The killed process's session, still open on FMG, takes the lock and writes half a change.
    expect((await call(fmg, session, 'exec', { url: '/dvmdb/adom/root/workspace/lock' })).status.code).toBe(
      0,
    );
    const add = await call(fmg, session, 'add', {
      url: '/pm/config/adom/root/obj/firewall/address',
      data: { name: 'half-done', subnet: '192.0.2.99/32' },
    });
    expect(add.status.code).toBe(0);
    expect(fmg.adom('root').lockInfo()?.user).toBe('fortisync');
    await h.runPod('web-2', { app: 'web' }, 'n2', ['10.6.2.1']);

    const restarted = Date.now();
    op = await start();
    await eventually(
      () =>
        JSON.stringify(members('K8S-REC')) === JSON.stringify([node('n1'), node('n2')].sort())
          ? true
          : undefined,
      { timeoutMs: 30_000, what: 'K8S-REC with n2 after the restart' },
    );
    // Far sooner than FMG's idle timeout (900 s): the restart logged the old session out.
    expect(Date.now() - restarted).toBeLessThan(60_000);
    // The member shows as soon as the new process wrote it, which may be before its own commit and
    // unlock: wait for those, not for an idle timeout.
    await eventually(() => (fmg.adom('root').lockInfo() === undefined ? true : undefined), {
      timeoutMs: 10_000,
      what: "the new process's own lock released",
    });
    expect(fmg.adom('root').get('firewall/address', 'half-done')).toBeUndefined();
    expect(fmg.sessions.list().filter((s) => s.user === 'fortisync')).toHaveLength(1);
    const events = await eventually(
      async () => {
        const e = await h.events('FortiManagerTarget', target());
        return e.some((x) => x.reason === 'StaleLockReleased') ? e : undefined;
      },
      { what: 'StaleLockReleased event' },
    );
    expect(events.find((x) => x.reason === 'StaleLockReleased')?.note).toContain(
      'session an earlier process left open',
    );
    // The new session replaced the old one in the Secret; the operator never failed to keep it.
    expect(await keptSession()).not.toBe(session);
    expect(op.logs.filter((l) => String(l.message).includes('cannot keep the session id'))).toEqual([]);
  }, 120_000);
});
