import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../support/testenv-binaries.js';
import { kubectl, kubectlOk, readManifests, type Manifest } from './kubectl.js';

const NS = 'fortisync-system';
const SA = `system:serviceaccount:${NS}:fortisync-controller-manager`;

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Deployment {
  spec: {
    replicas: number;
    template: {
      spec: {
        serviceAccountName: string;
        automountServiceAccountToken?: boolean;
        terminationGracePeriodSeconds?: number;
        securityContext?: Record<string, unknown>;
        containers: Container[];
        volumes?: { name: string; emptyDir?: object }[];
      };
    };
  };
}

/** Example files: every *.yaml under examples/ (recursively). */
function exampleFiles(dir = 'examples'): string[] {
  return readdirSync(join(repoRoot(), dir), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? exampleFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
    )
    .sort();
}

/** Namespaces the examples put objects in (created up front: a server-side dry run creates nothing). */
const EXAMPLE_NAMESPACES = [
  ...new Set(
    exampleFiles()
      .flatMap(readManifests)
      .flatMap((m) => [m.metadata.namespace, m.kind === 'Namespace' ? m.metadata.name : undefined])
      .filter((n): n is string => n !== undefined && n !== NS),
  ),
].sort();

describe('kubectl apply -k config/default', () => {
  beforeAll(async () => {
    // The CRDs are already installed by the global setup: applying them again must be fine.
    const out = await kubectlOk(['apply', '-k', 'config/default']);
    expect(out).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/fortigatedevices\.fortisync\.io/);
    for (const ns of EXAMPLE_NAMESPACES) {
      const r = await kubectl(['create', 'namespace', ns]);
      if (r.code !== 0 && !/AlreadyExists/.test(r.stderr)) throw new Error(r.stderr);
    }
    await kubectlOk(['label', '--overwrite', 'namespace', 'storefront', 'fortisync.io/firewall-zone=dmz']);
  }, 120_000);

  afterAll(async () => {
    // The cluster-scoped objects and fortisync-system stay: other tests do not collide with them.
    for (const ns of EXAMPLE_NAMESPACES) await kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('is idempotent: a second apply changes nothing', async () => {
    const versions = async () => {
      const list = JSON.parse(await kubectlOk(['get', '-k', 'config/default', '-o', 'json'])) as {
        items: (Manifest & { metadata: { resourceVersion: string } })[];
      };
      return Object.fromEntries(
        list.items.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
      );
    };
    const before = await versions();
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(15);
    const out = await kubectlOk(['apply', '-k', 'config/default']);
    // kubectl prints "configured" for a PodDisruptionBudget even when its patch is a no-op (the
    // selector is patched with replace semantics); what counts is that no object changed.
    for (const line of out.trim().split('\n')) expect(line).toMatch(/ (unchanged|configured)$/);
    expect(await versions()).toEqual(before);
  });

  it('creates the CRDs, established', async () => {
    for (const crd of ['fortigatedevices.fortisync.io', 'fortigateendpointmappings.fortisync.io']) {
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]);
    }
    const out = await kubectlOk(['api-resources', '--api-group=fortisync.io', '-o', 'name']);
    expect(out.split('\n').filter(Boolean).sort()).toEqual([
      'fortigatedevices.fortisync.io',
      'fortigateendpointmappings.fortisync.io',
      'fortimanagertargets.fortisync.io',
    ]);
  });

  it('creates the namespace with the restricted Pod Security profile', async () => {
    const ns = JSON.parse(await kubectlOk(['get', 'namespace', NS, '-o', 'json'])) as Manifest;
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('creates the ServiceAccount, roles and bindings with the fortisync- prefix', async () => {
    await kubectlOk(['get', '-n', NS, 'serviceaccount/fortisync-controller-manager']);
    await kubectlOk([
      'get',
      '-n',
      NS,
      'role/fortisync-leader-election-role',
      'rolebinding/fortisync-leader-election-rolebinding',
      'rolebinding/fortisync-credentials-reader',
    ]);
    await kubectlOk([
      'get',
      'clusterrole/fortisync-manager-role',
      'clusterrole/fortisync-credentials-reader',
      'clusterrole/fortisync-view',
      'clusterrole/fortisync-edit',
      'clusterrolebinding/fortisync-manager-rolebinding',
    ]);
    // The credentials reader is bound in fortisync-system only (least privilege by default).
    expect(
      (await kubectl(['get', 'clusterrolebinding/fortisync-credentials-reader-rolebinding'])).code,
    ).not.toBe(0);
    const labels = async (name: string) =>
      (JSON.parse(await kubectlOk(['get', 'clusterrole', name, '-o', 'json'])) as Manifest).metadata.labels ??
      {};
    expect(await labels('fortisync-view')).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(await labels('fortisync-edit')).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(await labels('fortisync-edit')).not.toHaveProperty([
      'rbac.authorization.k8s.io/aggregate-to-view',
    ]);
  });

  it('creates the Deployment as specified (leader election, probes, restricted security)', async () => {
    const d = JSON.parse(
      await kubectlOk(['get', '-n', NS, 'deployment/fortisync-controller-manager', '-o', 'json']),
    ) as Deployment;
    const pod = d.spec.template.spec;
    expect(d.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe('fortisync-controller-manager');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0] as Container;
    expect(c.image).toBe('ghcr.io/fortisync/fortisync:0.1.0');
    expect(c.args?.[0]).toBe('operator');
    expect(c.args).toEqual(
      expect.arrayContaining(['--leader-elect', '--health-addr=:8081', '--metrics-addr=:8080']),
    );
    const shutdown = c.args?.find((a) => a.startsWith('--shutdown-timeout-seconds='));
    expect(Number(shutdown?.split('=')[1])).toBeLessThan(pod.terminationGracePeriodSeconds ?? 30);
    expect(c.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
    });
    expect(c.ports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'metrics', containerPort: 8080 }),
        expect.objectContaining({ name: 'health', containerPort: 8081 }),
      ]),
    );
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'health' });
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'health' });
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '1', memory: '384Mi' },
    });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();
  });

  it('creates the metrics Service selecting the manager pods', async () => {
    const svc = JSON.parse(
      await kubectlOk(['get', '-n', NS, 'service/fortisync-controller-manager-metrics', '-o', 'json']),
    ) as {
      spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
    };
    expect(svc.spec.ports).toEqual([
      expect.objectContaining({ name: 'metrics', port: 8080, targetPort: 'metrics' }),
    ]);
    const pods = JSON.parse(
      await kubectlOk([
        'get',
        '-n',
        NS,
        'deployment/fortisync-controller-manager',
        '-o',
        'jsonpath={.spec.template.metadata.labels}',
      ]),
    ) as Record<string, string>;
    expect(pods).toMatchObject(svc.spec.selector);
    await kubectlOk(['get', '-n', NS, 'poddisruptionbudget/fortisync-controller-manager']);
  });

  it("passes the operator's own command line: every flag in the Deployment exists", async () => {
    const d = readManifests('config/manager/manager.yaml').find(
      (m) => m.kind === 'Deployment',
    ) as unknown as Deployment;
    const args = d.spec.template.spec.containers[0]?.args ?? [];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(repoRoot(), 'dist/src/cmd/fortisync.js'), 'operator', '--help'],
      { timeout: 30_000 },
    );
    for (const flag of args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] as string)) {
      expect(stdout).toContain(flag);
    }
  });

  it.each(exampleFiles())('server-side dry run of %s succeeds', async (file) => {
    const out = await kubectlOk(['apply', '--dry-run=server', '-f', file]);
    expect(out).toMatch(/\(server dry run\)/);
  });

  it.each(exampleFiles())('%s starts with a comment saying what it shows', (file) => {
    expect(readFileSync(join(repoRoot(), file), 'utf8')).toMatch(/^# \S/);
  });

  describe('RBAC: least privilege for the operator ServiceAccount', () => {
    const can = async (args: string[]): Promise<boolean> => {
      const r = await kubectl(['auth', 'can-i', `--as=${SA}`, ...args]);
      if (r.code !== 0 && !/^no/.test(r.stdout))
        throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr}`);
      return r.code === 0;
    };

    it.each(
      [
        // informers, cluster-wide
        ['list', 'pods', '-A'],
        ['watch', 'pods', '-A'],
        ['get', 'pods', '-n', 'storefront'],
        ['list', 'nodes'],
        ['watch', 'nodes'],
        ['list', 'namespaces'],
        ['watch', 'namespaces'],
        // its own resources
        ['list', 'fortigatedevices.fortisync.io'],
        ['watch', 'fortigatedevices.fortisync.io'],
        ['patch', 'fortigatedevices.fortisync.io'],
        ['update', 'fortigatedevices.fortisync.io'],
        ['list', 'fortigateendpointmappings.fortisync.io', '-A'],
        ['patch', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'],
        ['patch', 'fortigatedevices.fortisync.io', '--subresource=status'],
        ['patch', 'fortigateendpointmappings.fortisync.io', '--subresource=status', '-n', 'storefront'],
        ['update', 'fortigatedevices.fortisync.io', '--subresource=finalizers'],
        ['update', 'fortigateendpointmappings.fortisync.io', '--subresource=finalizers', '-n', 'storefront'],
        // events
        ['create', 'events.events.k8s.io', '-n', 'default'],
        ['patch', 'events.events.k8s.io', '-n', 'storefront'],
        // referenced Secrets and ConfigMaps: by name only, in its own namespace only
        ['get', 'secrets/fortigate-token', '-n', NS],
        ['watch', 'secrets', '-n', NS],
        ['get', 'configmaps/fortigate-ca', '-n', NS],
        ['watch', 'configmaps', '-n', NS],
        // the FortiManager session ids: one pre-created Secret, by name
        ['get', 'secrets/fortisync-fmg-sessions', '-n', NS],
        ['update', 'secrets/fortisync-fmg-sessions', '-n', NS],
        // leader election in its own namespace
        ['get', 'leases.coordination.k8s.io/fortisync-leader', '-n', NS],
        ['create', 'leases.coordination.k8s.io', '-n', NS],
        ['update', 'leases.coordination.k8s.io/fortisync-leader', '-n', NS],
      ].map((args) => [args.join(' '), args] as const),
    )('may %s', async (_title, args) => {
      expect(await can([...args])).toBe(true);
    });

    it.each(
      [
        // never list credentials, never read them outside its namespace
        ['get', 'secrets/any', '-n', 'storefront'],
        ['watch', 'secrets', '-n', 'kube-system'],
        ['watch', 'secrets', '-A'],
        ['get', 'configmaps/any', '-n', 'storefront'],
        ['watch', 'configmaps', '-n', 'storefront'],
        ['list', 'secrets', '-A'],
        ['list', 'secrets', '-n', NS],
        ['list', 'configmaps', '-n', NS],
        ['create', 'secrets', '-n', NS],
        ['update', 'secrets/fortigate-token', '-n', NS],
        ['delete', 'secrets/fortigate-token', '-n', NS],
        ['patch', 'secrets/fortigate-token', '-n', NS],
        ['delete', 'secrets/fortisync-fmg-sessions', '-n', NS],
        ['update', 'secrets/fortisync-fmg-sessions', '-n', 'storefront'],
        ['update', 'secrets', '-n', NS],
        ['create', 'serviceaccounts/token', '-n', NS],
        // read-only on workloads
        ['delete', 'pods', '-n', 'storefront'],
        ['create', 'pods', '-n', NS],
        ['patch', 'pods', '-n', 'storefront'],
        ['create', 'pods/exec', '-n', NS],
        ['patch', 'nodes'],
        ['update', 'namespaces'],
        ['create', 'deployments.apps', '-n', NS],
        // users create and delete devices and mappings, not the operator
        ['create', 'fortigatedevices.fortisync.io'],
        ['delete', 'fortigatedevices.fortisync.io'],
        ['create', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'],
        ['delete', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'],
        ['deletecollection', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'],
        ['update', 'fortigatedevices.fortisync.io', '--subresource=status'],
        // no policies of any kind, no privilege escalation
        ['create', 'networkpolicies.networking.k8s.io', '-n', 'storefront'],
        ['create', 'clusterroles.rbac.authorization.k8s.io'],
        ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', NS],
        ['escalate', 'clusterroles.rbac.authorization.k8s.io'],
        ['impersonate', 'users'],
        ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
        // core events are not needed (events.k8s.io only)
        ['create', 'events', '-n', 'default'],
        ['delete', 'events.events.k8s.io', '-n', 'default'],
        // leases: only its own namespace, never list/watch/delete
        ['get', 'leases.coordination.k8s.io/fortisync-leader', '-n', 'default'],
        ['create', 'leases.coordination.k8s.io', '-n', 'kube-system'],
        ['update', 'leases.coordination.k8s.io/kube-controller-manager', '-n', 'kube-system'],
        ['list', 'leases.coordination.k8s.io', '-n', NS],
        ['delete', 'leases.coordination.k8s.io/fortisync-leader', '-n', NS],
      ].map((args) => [args.join(' '), args] as const),
    )('may not %s', async (_title, args) => {
      expect(await can([...args])).toBe(false);
    });

    it('fortisync-edit lets a namespace editor write mappings and read, not write, devices', async () => {
      const user = 'fortisync-install-test-editor';
      await kubectlOk([
        'create',
        'rolebinding',
        'fortisync-install-test-editor',
        '-n',
        'storefront',
        '--clusterrole=fortisync-edit',
        `--user=${user}`,
      ]);
      await kubectlOk([
        'create',
        'clusterrolebinding',
        'fortisync-install-test-viewer',
        '--clusterrole=fortisync-view',
        `--user=${user}`,
      ]);
      try {
        const canUser = async (args: string[]) =>
          (await kubectl(['auth', 'can-i', `--as=${user}`, ...args])).code === 0;
        expect(await canUser(['create', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'])).toBe(
          true,
        );
        expect(await canUser(['delete', 'fortigateendpointmappings.fortisync.io', '-n', 'storefront'])).toBe(
          true,
        );
        expect(await canUser(['create', 'fortigateendpointmappings.fortisync.io', '-n', 'default'])).toBe(
          false,
        );
        expect(
          await canUser([
            'patch',
            'fortigateendpointmappings.fortisync.io',
            '--subresource=status',
            '-n',
            'storefront',
          ]),
        ).toBe(false);
        expect(await canUser(['list', 'fortigatedevices.fortisync.io'])).toBe(true);
        expect(await canUser(['create', 'fortigatedevices.fortisync.io'])).toBe(false);
        expect(await canUser(['update', 'fortigatedevices.fortisync.io'])).toBe(false);
      } finally {
        await kubectl(['delete', 'rolebinding', 'fortisync-install-test-editor', '-n', 'storefront']);
        await kubectl(['delete', 'clusterrolebinding', 'fortisync-install-test-viewer']);
      }
    });
  });

  describe('other kustomizations render', () => {
    const render = async (dir: string) =>
      parseAllDocuments(await kubectlOk(['kustomize', dir]))
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null);

    it('config/overlays/cluster-credentials binds the credentials reader cluster-wide, and says so to the operator', async () => {
      const objs = await render('config/overlays/cluster-credentials');
      const bindings = objs.filter(
        (o) => (o.roleRef as { name?: string } | undefined)?.name === 'fortisync-credentials-reader',
      );
      expect(bindings.map((b) => [b.kind, b.metadata.namespace])).toEqual([
        ['ClusterRoleBinding', undefined],
      ]);
      const deployment = objs.find((o) => o.kind === 'Deployment') as unknown as {
        spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
      };
      expect(
        deployment.spec.template.spec.containers[0]?.env.find(
          (e) => e.name === 'FORTISYNC_CREDENTIALS_NAMESPACES',
        )?.value,
      ).toBe('*');
      // Everything else of config/default is still there.
      expect(
        objs.some((o) => o.kind === 'Deployment' && o.metadata.name === 'fortisync-controller-manager'),
      ).toBe(true);
      // And the API server accepts it.
      await kubectlOk(['apply', '--dry-run=server', '-k', 'config/overlays/cluster-credentials']);
    });

    it('config/prometheus has a ServiceMonitor for the metrics Service, and the alert rules', async () => {
      const objects = await render('config/prometheus');
      expect(objects.map((o) => o.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
      const monitor = objects.find((o) => o.kind === 'ServiceMonitor');
      const spec = monitor?.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string }[];
      };
      expect(spec.endpoints[0]?.port).toBe('metrics');
      const svcLabels = JSON.parse(
        await kubectlOk([
          'get',
          '-n',
          NS,
          'service/fortisync-controller-manager-metrics',
          '-o',
          'jsonpath={.metadata.labels}',
        ]),
      ) as Record<string, string>;
      expect(svcLabels).toMatchObject(spec.selector.matchLabels);
    });
  });
});
