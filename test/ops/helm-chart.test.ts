import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART, helmTemplate, kustomize, NAMESPACE, objectKey, type K8sObject } from '../support/render.js';
import { repoRoot } from '../support/testenv-binaries.js';
import { toolPath } from '../support/tools.js';

// charts/fortisync renders the same objects as config/ (kubectl kustomize): RBAC, Deployment,
// Service, PDB, CRDs, and with its options the cluster-credentials overlay and config/prometheus.
// Only Helm's own labels differ; the CRDs also carry helm.sh/resource-policy: keep.

const root = repoRoot();
const HELM_LABELS = [
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'helm.sh/chart',
];

function withoutLabels(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!labels) return labels;
  const out = Object.fromEntries(Object.entries(labels).filter(([k]) => !HELM_LABELS.includes(k)));
  return Object.keys(out).length ? out : undefined;
}

/** The object without what only says which tool installed it. */
function normalize(o: K8sObject): K8sObject {
  const copy = structuredClone(o);
  const labels = withoutLabels(copy.metadata.labels);
  if (labels) copy.metadata.labels = labels;
  else delete copy.metadata.labels;
  delete copy.metadata.annotations;
  const template = (
    copy.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined
  )?.template;
  if (template?.metadata?.labels) template.metadata.labels = withoutLabels(template.metadata.labels) ?? {};
  return copy;
}

function byKey(objects: K8sObject[]): Map<string, K8sObject> {
  return new Map(objects.map((o) => [objectKey(o), normalize(o)]));
}

function expectSameObjects(helm: K8sObject[], kustomized: K8sObject[]): void {
  const h = byKey(helm);
  const k = byKey(kustomized.filter((o) => o.kind !== 'Namespace'));
  expect([...h.keys()].sort()).toEqual([...k.keys()].sort());
  for (const [key, obj] of k) expect({ key, obj: h.get(key) }).toEqual({ key, obj });
}

const helm = (args: string[]): string =>
  execFileSync(toolPath('helm'), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('Helm chart', () => {
  it('passes helm lint, with the defaults and with every option on', () => {
    expect(helm(['lint', '--strict', CHART()])).toContain('0 chart(s) failed');
    const all = [
      'serviceMonitor.enabled=true',
      'prometheusRule.enabled=true',
      'dashboard.enabled=true',
      'credentials.scope=cluster',
      'leaderElection.enabled=false',
      'replicas=1',
    ];
    expect(helm(['lint', '--strict', CHART(), ...all.flatMap((s) => ['--set', s])])).toContain(
      '0 chart(s) failed',
    );
  });

  it('renders what config/default renders (the Namespace aside: helm install --create-namespace)', () => {
    expectSameObjects(helmTemplate(), kustomize('config/default'));
  });

  it('credentials.scope=cluster renders config/overlays/cluster-credentials', () => {
    expectSameObjects(
      helmTemplate(['credentials.scope=cluster']),
      kustomize('config/overlays/cluster-credentials'),
    );
  });

  it('by default reads credentials in the release namespace only, and tells the operator so', () => {
    const objects = helmTemplate();
    const bindings = objects.filter(
      (o) => (o as { roleRef?: { name?: string } }).roleRef?.name === 'fortisync-credentials-reader',
    );
    expect(bindings.map((b) => [b.kind, b.metadata.namespace])).toEqual([['RoleBinding', NAMESPACE]]);
    const env = (
      objects.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      }
    ).spec.template.spec.containers[0]!.env;
    expect(env.find((e) => e.name === 'FORTISYNC_CREDENTIALS_NAMESPACES')?.value).toBe('$(POD_NAMESPACE)');
    const elsewhere = helmTemplate(['credentials.namespace=fortigate-secrets']);
    expect(
      elsewhere.find(
        (o) => (o as { roleRef?: { name?: string } }).roleRef?.name === 'fortisync-credentials-reader',
      )?.metadata.namespace,
    ).toBe('fortigate-secrets');
  });

  it('serviceMonitor and prometheusRule render config/prometheus', () => {
    const rendered = helmTemplate(['serviceMonitor.enabled=true', 'prometheusRule.enabled=true']).filter(
      (o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind),
    );
    expectSameObjects(rendered, kustomize('config/prometheus'));
  });

  it('keeps the CRDs on uninstall', () => {
    const crds = helmTemplate().filter((o) => o.kind === 'CustomResourceDefinition');
    const generated = readdirSync(join(repoRoot(), 'crds')).filter((f) => f.endsWith('.yaml'));
    const spec = (c: K8sObject): { group?: string; names?: { plural?: string } } =>
      (c.spec ?? {}) as { group?: string; names?: { plural?: string } };
    expect(crds.map((c) => `${spec(c).group}_${spec(c).names?.plural}.yaml`).sort()).toEqual(
      generated.sort(),
    );
    for (const crd of crds) expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(helmTemplate(['crds.install=false']).some((o) => o.kind === 'CustomResourceDefinition')).toBe(
      false,
    );
  });

  it('values set image, replicas, resources, leader election, log format and extra args', () => {
    const objects = helmTemplate([
      'image.repository=registry.example.net/fortisync',
      'image.tag=1.2.3',
      'replicas=1',
      'leaderElection.enabled=false',
      'logFormat=text',
      'logLevel=debug',
      'resources.limits.memory=512Mi',
      'extraArgs[0]=--watch-selector=shard=a',
    ]);
    const deployment = objects.find((o) => o.kind === 'Deployment') as K8sObject & {
      spec: {
        replicas: number;
        template: {
          spec: { containers: { image: string; args: string[]; resources: { limits: object } }[] };
        };
      };
    };
    const container = deployment.spec.template.spec.containers[0]!;
    expect(deployment.spec.replicas).toBe(1);
    expect(container.image).toBe('registry.example.net/fortisync:1.2.3');
    expect(container.args).toEqual([
      'operator',
      '--no-leader-elect',
      '--health-addr=:8081',
      '--metrics-addr=:8080',
      '--log-level=debug',
      '--log-format=text',
      '--shutdown-timeout-seconds=20',
      '--fortimanager-session-secret=fortisync-fmg-sessions',
      '--watch-selector=shard=a',
    ]);
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '512Mi' });
    // No Lease without leader election (the FortiManager session Secret's Role stays).
    expect(objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.name)).toEqual([
      'fortisync-fmg-session-role',
    ]);
  });

  it('fortimanager.sessionSecret: one pre-created Secret the operator may only get and update by name, or none', () => {
    const named = helmTemplate(['fortimanager.sessionSecret.name=fmg-ids']);
    expect(named.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).toEqual(['fmg-ids']);
    const role = named.find((o) => o.metadata.name === 'fortisync-fmg-session-role') as K8sObject & {
      rules: unknown[];
    };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['fmg-ids'], verbs: ['get', 'update'] },
    ]);
    const args = (d: K8sObject[]) =>
      (
        d.find((o) => o.kind === 'Deployment') as unknown as {
          spec: { template: { spec: { containers: { args: string[] }[] } } };
        }
      ).spec.template.spec.containers[0]!.args;
    expect(args(named)).toContain('--fortimanager-session-secret=fmg-ids');
    const off = helmTemplate(['fortimanager.sessionSecret.enabled=false']);
    expect(off.some((o) => o.kind === 'Secret' || o.metadata.name.includes('fmg-session'))).toBe(false);
    expect(args(off).some((a) => a.startsWith('--fortimanager-session-secret'))).toBe(false);
  });

  it('the dashboard ConfigMap holds config/grafana/fortisync.json', () => {
    const cm = helmTemplate(['dashboard.enabled=true']).find((o) => o.kind === 'ConfigMap') as K8sObject & {
      data: Record<string, string>;
    };
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['fortisync.json'] ?? '')).toEqual(
      JSON.parse(readFileSync(join(root, 'config/grafana/fortisync.json'), 'utf8')),
    );
  });

  it("the chart's copies of the CRDs, alert rules and dashboard equal config/ (make chart-files)", () => {
    const files = join(root, 'charts/fortisync/files');
    const same = (a: string, b: string): void =>
      expect({ file: b, text: readFileSync(join(files, a), 'utf8') }).toEqual({
        file: b,
        text: readFileSync(join(root, b), 'utf8'),
      });
    const crds = readdirSync(join(root, 'crds')).filter((f) => f.endsWith('.yaml'));
    expect(readdirSync(join(files, 'crds')).sort()).toEqual(crds.sort());
    for (const f of crds) same(`crds/${f}`, `crds/${f}`);
    same('prometheus-rules.yaml', 'config/prometheus/rules.yaml');
    same('grafana-dashboard.json', 'config/grafana/fortisync.json');
  });

  it('renders in the namespace it is installed in', () => {
    const objects = helmTemplate();
    for (const o of objects.filter((x) => x.metadata.namespace))
      expect({ key: objectKey(o), ns: o.metadata.namespace }).toEqual({ key: objectKey(o), ns: NAMESPACE });
  });
});
