import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../support/testenv-binaries.js';
import { toolPath } from '../../support/tools.js';
import { kubectl, kubectlOk } from './kubectl.js';

// `helm install` of charts/fortisync into the test API server, beside the kustomize install renamed
// (an overlay of config/rbac and config/manager with its own prefix and namespace, so neither
// touches another test's objects): both service accounts must hold exactly the same permissions.

const run = promisify(execFile);
const id = randomBytes(3).toString('hex');
const release = `hx${id}`; // fullname hx<id>-fortisync
const helmNs = `helm-${id}`;
const kzNs = `kz-${id}`;
const helmSa = `system:serviceaccount:${helmNs}:${release}-fortisync-controller-manager`;
const kzSa = `system:serviceaccount:${kzNs}:kz${id}-controller-manager`;
const overlay = mkdtempSync(join(tmpdir(), 'fortisync-kz-'));

async function helm(args: string[]): Promise<string> {
  const kubeconfig = process.env.FORTISYNC_TEST_KUBECONFIG as string;
  try {
    const { stdout } = await run(toolPath('helm'), [...args, '--kubeconfig', kubeconfig], {
      maxBuffer: 16 << 20,
      timeout: 120_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: err });
  }
}

/**
 * What the API server says a service account may do in a namespace (kubectl auth can-i --list), the
 * session Secret's name (each install's own prefix) written as `<fmg-sessions>`.
 */
async function permissions(sa: string, namespace: string): Promise<string[]> {
  const out = await kubectlOk(['auth', 'can-i', '--list', `--as=${sa}`, '-n', namespace]);
  return out
    .split('\n')
    .slice(1)
    .map((l) =>
      l
        .trim()
        .replace(/\s+/g, ' ')
        .replace(/\[(kz[0-9a-f]+|hx[0-9a-f]+-fortisync)-fmg-sessions\]/, '[<fmg-sessions>]'),
    )
    .filter(Boolean)
    .sort();
}

describe('helm install', () => {
  afterAll(async () => {
    await helm(['uninstall', release, '-n', helmNs]).catch(() => undefined);
    await kubectl(['delete', '-k', overlay, '--ignore-not-found', '--wait=false']);
    await kubectl(['delete', 'namespace', helmNs, kzNs, '--ignore-not-found', '--wait=false']);
    rmSync(overlay, { recursive: true, force: true });
  });

  it('installs the chart, whose operator holds the same RBAC as the kustomize install', async () => {
    await kubectlOk(['create', 'namespace', kzNs]);
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        `namespace: ${kzNs}`,
        `namePrefix: kz${id}-`,
        'resources:',
        // kustomize takes bases by relative path only.
        `  - ${relative(overlay, join(repoRoot(), 'config/rbac'))}`,
        `  - ${relative(overlay, join(repoRoot(), 'config/manager'))}`,
      ].join('\n'),
    );
    await kubectlOk(['apply', '-k', overlay]);
    // The run's CRDs exist already (global setup): the release takes them over, as an upgrade
    // from a kustomize install would.
    const out = await helm([
      'install',
      release,
      join(repoRoot(), 'charts/fortisync'),
      '--namespace',
      helmNs,
      '--create-namespace',
      '--take-ownership',
      // kubectl apply (another test, or a user's earlier install) owns some CRD fields.
      '--force-conflicts',
    ]);
    expect(out).toContain('STATUS: deployed');
    const deployment = JSON.parse(
      await kubectlOk([
        '-n',
        helmNs,
        'get',
        'deployment',
        `${release}-fortisync-controller-manager`,
        '-o',
        'json',
      ]),
    ) as { spec: { template: { spec: { serviceAccountName: string } } } };
    expect(deployment.spec.template.spec.serviceAccountName).toBe(`${release}-fortisync-controller-manager`);

    // In its own namespace (the Lease), and in any other (cluster-wide rules).
    const helmOwn = await permissions(helmSa, helmNs);
    expect(helmOwn).toEqual(await permissions(kzSa, kzNs));
    expect(helmOwn.some((l) => l.startsWith('leases.coordination.k8s.io [] [] [get create update]'))).toBe(
      true,
    );
    const helmElsewhere = await permissions(helmSa, 'default');
    expect(helmElsewhere).toEqual(await permissions(kzSa, 'default'));
    // Credentials only in its own namespace (the default scope).
    expect(helmOwn.some((l) => l.startsWith('secrets [] [] [get watch]'))).toBe(true);
    // One more Secret, by name: the FortiManager session ids (get and update, never create or delete).
    expect(helmOwn.filter((l) => l.startsWith('secrets [] [<fmg-sessions>]'))).toEqual([
      'secrets [] [<fmg-sessions>] [get update]',
    ]);
    expect(helmElsewhere.some((l) => l.startsWith('secrets'))).toBe(false);
    expect(helmElsewhere.some((l) => l.startsWith('leases'))).toBe(false);
  });

  it('leaves the CRDs in place on helm uninstall', async () => {
    await helm(['uninstall', release, '-n', helmNs]);
    const crd = JSON.parse(
      await kubectlOk(['get', 'crd', 'fortigateendpointmappings.fortisync.io', '-o', 'json']),
    ) as { metadata: { annotations?: Record<string, string>; deletionTimestamp?: string } };
    expect(crd.metadata.deletionTimestamp).toBeUndefined();
    expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    const left = await kubectl([
      '-n',
      helmNs,
      'get',
      'deployment',
      `${release}-fortisync-controller-manager`,
    ]);
    expect(left.code).not.toBe(0);
  });
});
