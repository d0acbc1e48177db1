import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runMigrate } from '../../../src/cmd/migrate-command.js';
import { eventually } from '../../support/kube.js';
import { GROUP, TOKEN, VERSION, type Harness } from '../../support/operator-harness.js';

/**
 * The user's side of docs/migrate-from-calico-enterprise.md for the end-to-end tests: the exported
 * Tigera configuration and policies, `fortisync migrate calico-enterprise`, and applying what it
 * generated as a reviewer would.
 */

export interface ExportedPolicy {
  name: string;
  selector: string;
}

/** Tigera's FortiGate list: the harness's simulator, under the harness device's name. */
const harnessFortiGate = (h: Harness): Record<string, unknown[]> => ({
  'tigera.firewall.fortigate': [
    {
      name: h.deviceName,
      ip: new URL(h.sim.url).host,
      apikey: { secretKeyRef: { name: 'fortigate', key: 'apikey' } },
    },
  ],
});

/**
 * Writes what `kubectl get … -o yaml` exports of Tigera's controller: its two ConfigMaps and the
 * GNPs. `firewalls` is the configs ConfigMap's data (`tigera.firewall.fortigate` / `.fortimgr`).
 */
export function writeExport(
  h: Harness,
  dir: string,
  policies: ExportedPolicy[],
  addressSelection: 'node' | 'pod',
  firewalls: Record<string, unknown[]> = harnessFortiGate(h),
): void {
  const configMaps = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tigera-firewall-controller', namespace: 'tigera-firewall-controller' },
      data: {
        'tigera.firewall.policy.selector': "projectcalico.org/tier == 'fortigate'",
        'tigera.firewall.addressSelection': addressSelection,
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tigera-firewall-controller-configs', namespace: 'tigera-firewall-controller' },
      data: Object.fromEntries(Object.entries(firewalls).map(([key, list]) => [key, stringify(list)])),
    },
  ];
  const gnp = (p: ExportedPolicy) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'GlobalNetworkPolicy',
    metadata: { name: p.name, labels: { 'projectcalico.org/tier': 'fortigate' } },
    spec: { tier: 'fortigate', selector: p.selector, types: ['Egress'], egress: [{ action: 'Allow' }] },
  });
  writeFileSync(join(dir, 'configmaps.yaml'), configMaps.map((o) => stringify(o)).join('---\n'));
  writeFileSync(
    join(dir, 'policies.yaml'),
    stringify({ apiVersion: 'v1', kind: 'List', items: policies.map(gnp) }),
  );
}

/** Runs the generator on the export into `<dir>/out`; the harness's namespace holds the mappings. */
export async function generate(h: Harness, dir: string, clusterName: string): Promise<string> {
  const out = join(dir, 'out');
  const code = await runMigrate(
    {
      clusterName,
      namespace: h.ns,
      secretNamespace: h.ns,
      tigeraNamespace: 'tigera-firewall-controller',
      fromFiles: dir,
      output: out,
      dryRun: false,
    },
    () => undefined,
  );
  if (code !== 0) throw new Error(`migrate calico-enterprise exited ${code}`);
  await h.core.createNamespacedSecret({
    namespace: h.ns,
    body: { metadata: { name: `${h.deviceName}-fortigate-token` }, stringData: { token: TOKEN } },
  });
  return out;
}

const PLURAL_OF: Record<string, string> = {
  FortiGateDevice: 'fortigatedevices',
  FortiManagerTarget: 'fortimanagertargets',
};

/**
 * Applies the generated objects as a reviewer would: with the CA (runbook §3) and the test's label.
 * A FortiManagerTarget trusts `targetCa` (the FortiManager simulator's).
 */
export async function applyGenerated(
  h: Harness,
  outDir: string,
  editDevice: (device: { kind: string; spec: Record<string, unknown> }) => void = () => undefined,
  targetCa = '',
): Promise<Record<string, unknown>[]> {
  const kustomization = parse(readFileSync(join(outDir, 'kustomization.yaml'), 'utf8')) as {
    resources: string[];
  };
  const applied: Record<string, unknown>[] = [];
  for (const file of kustomization.resources) {
    const object = parse(readFileSync(join(outDir, file), 'utf8')) as {
      kind: string;
      metadata: { name: string; namespace?: string; labels?: Record<string, string> };
      spec: Record<string, unknown>;
    };
    object.metadata.labels = { ...object.metadata.labels, ...h.labels };
    const plural = PLURAL_OF[object.kind];
    if (plural) {
      object.spec.tls = { caBundle: object.kind === 'FortiGateDevice' ? h.sim.caCertPem : targetCa };
      editDevice(object);
      await h.custom.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body: object });
    } else {
      await h.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'fortigateendpointmappings',
        namespace: h.ns,
        body: object,
      });
    }
    applied.push(object);
  }
  return applied;
}

/** The migration brings its own device, under the name Tigera's configuration gives it: the harness's goes. */
export async function withoutHarnessDevice(h: Harness): Promise<void> {
  await h.deleteDevice();
  await eventually(async () => ((await h.device()) ? undefined : true), { what: 'harness device gone' });
}

/**
 * The node-mode estate's cluster: the nodes, two web pods on n1 and n2, a batch pod on n3.
 * Returns the web pods' `app` label.
 */
export async function nodeModeCluster(h: Harness, nodeIps: Record<string, string>): Promise<string> {
  await withoutHarnessDevice(h);
  for (const [n, ip] of Object.entries(nodeIps)) await h.createNode(n, ip);
  const app = `web-${h.id}`;
  await h.runPod('web-1', { app }, 'n1');
  await h.runPod('web-2', { app }, 'n2');
  await h.runPod('batch-1', { app: `batch-${h.id}` }, 'n3');
  return app;
}
