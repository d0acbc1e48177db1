import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runMigrate, type MigrateOptions } from '../../../src/cmd/migrate-command.js';
import { readObjectsFromDir } from '../../../src/migrate/sources.js';
import { installCrds } from '../../support/crds.js';
import { createTestNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.js';
import { repoRoot } from '../../support/testenv-binaries.js';
import { kubectl } from '../install/kubectl.js';

/**
 * `fortisync migrate calico-enterprise` against the real API server: Tigera's ConfigMaps and
 * GlobalNetworkPolicies are seeded (Calico's CRDs from test/fixtures, in the documented shapes),
 * the command reads them the way it would read a Calico Enterprise cluster, and what it writes must
 * equal what it writes from the exported files, and pass the API server's validation of
 * fortisync's CRDs (server-side dry run).
 */

const FIXTURES = join(repoRoot(), 'test/fixtures/calico-enterprise');
const CRD_NAMES = ['globalnetworkpolicies.crd.projectcalico.org', 'globalnetworkpolicies.projectcalico.org'];
type Obj = Record<string, unknown> & {
  kind?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
};

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function estate(): { configMaps: Obj[]; policies: Obj[] } {
  const objects = readObjectsFromDir(join(FIXTURES, 'estate')).flatMap((o) => {
    const list = o as { items?: Obj[] };
    return list.items ?? [o as Obj];
  });
  return {
    configMaps: objects.filter((o) => o.kind === 'ConfigMap'),
    policies: objects.filter((o) => o.kind === 'GlobalNetworkPolicy'),
  };
}

describe('migrate calico-enterprise from a cluster', () => {
  let kc: KubeConfig;
  let tigeraNamespace: string;
  let mappingNamespace: string;
  let dir: string;
  const lines: string[] = [];
  const custom = () => kc.makeApiClient(CustomObjectsApi);

  const options = (output: string, extra: Partial<MigrateOptions> = {}): MigrateOptions => ({
    clusterName: 'prod',
    namespace: mappingNamespace,
    secretNamespace: 'fortisync-system',
    tigeraNamespace,
    kubeconfig: process.env.FORTISYNC_TEST_KUBECONFIG as string,
    output: join(dir, output),
    dryRun: false,
    ...extra,
  });

  async function createPolicies(group: string, version: string, policies: Obj[]): Promise<void> {
    for (const p of policies) {
      await custom().createClusterCustomObject({
        group,
        version,
        plural: 'globalnetworkpolicies',
        body: { ...p, apiVersion: `${group}/${version}` },
      });
    }
  }

  beforeAll(async () => {
    kc = testKubeConfig();
    dir = mkdtempSync(join(tmpdir(), 'fortisync-migrate-k8s-'));
    tigeraNamespace = await createTestNamespace(kc, 'tigera');
    mappingNamespace = await createTestNamespace(kc, 'migrate');
    const core = kc.makeApiClient(CoreV1Api);
    for (const cm of estate().configMaps) {
      await core.createNamespacedConfigMap({
        namespace: tigeraNamespace,
        body: { ...cm, metadata: { ...cm.metadata, namespace: tigeraNamespace } },
      });
    }
    // Calico's CRD storage first: a cluster without Calico's API server.
    const crdOnly = join(dir, 'crd-v1');
    cpSync(
      join(FIXTURES, 'crds/crd.projectcalico.org_globalnetworkpolicies.yaml'),
      join(crdOnly, 'gnp.yaml'),
    );
    await installCrds(kc, 30_000, crdOnly);
    await createPolicies('crd.projectcalico.org', 'v1', estate().policies);
  });

  afterAll(async () => {
    const api = kc.makeApiClient(ApiextensionsV1Api);
    for (const name of CRD_NAMES) await api.deleteCustomResourceDefinition({ name }).catch(() => undefined);
    await deleteNamespace(kc, tigeraNamespace);
    await deleteNamespace(kc, mappingNamespace);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads crd.projectcalico.org/v1 when Calico’s API server is absent, and writes what the export gives', async () => {
    await runMigrate(options('from-crd'), (l) => lines.push(l));
    expect(lines).toContain('read: cluster, crd.projectcalico.org/v1');
    // The same estate as exported files (namespaced like the seeded ConfigMaps).
    const exported = join(dir, 'exported');
    cpSync(join(FIXTURES, 'estate'), exported, { recursive: true });
    const cms = join(exported, 'configmaps.yaml');
    writeFileSync(
      cms,
      readFileSync(cms, 'utf8').replaceAll(
        'namespace: tigera-firewall-controller',
        `namespace: ${tigeraNamespace}`,
      ),
    );
    await runMigrate({ ...options('from-files'), fromFiles: exported }, () => undefined);
    const fromCluster = filesUnder(join(dir, 'from-crd'));
    expect(fromCluster.size).toBe(8);
    expect(fromCluster).toEqual(filesUnder(join(dir, 'from-files')));
  });

  it('prefers projectcalico.org/v3 (what Tigera’s controller read) when it is served', async () => {
    // A stand-in for the aggregated API: same group, version and paths.
    const v3 = join(dir, 'v3');
    cpSync(join(FIXTURES, 'crds/projectcalico.org_globalnetworkpolicies.yaml'), join(v3, 'gnp.yaml'));
    await installCrds(kc, 30_000, v3);
    const policies = estate().policies;
    await createPolicies('projectcalico.org', 'v3', policies);
    // CRD storage now disagrees on one policy; the v3 view must win.
    const stale = (await custom().getClusterCustomObject({
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'globalnetworkpolicies',
      name: 'fortigate.shop',
    })) as Obj & { spec: Record<string, unknown> };
    await custom().replaceClusterCustomObject({
      group: 'crd.projectcalico.org',
      version: 'v1',
      plural: 'globalnetworkpolicies',
      name: 'fortigate.shop',
      body: { ...stale, spec: { ...stale.spec, selector: "app == 'stale'" } },
    });
    lines.length = 0;
    await runMigrate(options('from-v3'), (l) => lines.push(l));
    expect(lines).toContain('read: cluster, projectcalico.org/v3');
    expect(filesUnder(join(dir, 'from-v3'))).toEqual(filesUnder(join(dir, 'from-files')));
  });

  it('the generated manifests pass the API server’s validation (server-side dry run)', async () => {
    const out = join(dir, 'from-crd');
    const applied = await kubectl(['apply', '--dry-run=server', '-k', out]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain(
      `fortigateendpointmapping.fortisync.io/fortigate.payments created (server dry run)`,
    );
    expect(applied.stdout).toContain('fortigatedevice.fortisync.io/prod-east-1 created (server dry run)');
    expect(applied.stdout).toContain('fortimanagertarget.fortisync.io/fmg-east created (server dry run)');

    // The check can fail: the same manifests with a group name the CRD forbids are refused.
    const broken = join(dir, 'broken');
    cpSync(out, broken, { recursive: true });
    const file = join(broken, 'fortigateendpointmappings/fortigate.shop.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('addressGroup: fortigate.shop', 'addressGroup: none'),
    );
    const refused = await kubectl(['apply', '--dry-run=server', '-k', broken]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('spec.addressGroup');
  });
});
