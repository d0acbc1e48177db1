import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import winston from 'winston';
import { Operator } from '../../../src/operator/operator.js';
import { kubeLeaseStore } from '../../../src/runtime/lease-store.js';
import { LeaderElector } from '../../../src/runtime/leader-election.js';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SA_NAMESPACE = 'fortisync-system';
const SA = 'fortisync-controller-manager';

/** A kubeconfig that authenticates as the operator's ServiceAccount with a real bound token. */
async function serviceAccountKubeConfig(admin: KubeConfig): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: SA_NAMESPACE,
    name: SA,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: 'operator', token: tr.status?.token }],
    contexts: [{ name: 'operator', cluster: 'c', user: 'operator' }],
    currentContext: 'operator',
  });
  return kc;
}

describe('the operator with exactly the RBAC of config/', () => {
  // The default install reads credentials in its own namespace only: the token lives there.
  const tokenName = `rbac-token-${Math.random().toString(16).slice(2, 8)}`;
  const h = new Harness({
    name: 'rbac',
    clusterName: 'rbac',
    startOperator: false,
    device: { credentialsSecretRef: { name: tokenName, namespace: SA_NAMESPACE } },
  });
  let operator: Operator | undefined;
  let saKc: KubeConfig;

  beforeAll(async () => {
    execFileSync(process.env.FORTISYNC_TEST_KUBECTL as string, [
      '--kubeconfig',
      process.env.FORTISYNC_TEST_KUBECONFIG as string,
      'apply',
      '-k',
      `${ROOT}/config/default`,
    ]);
    await h.core.createNamespacedSecret({
      namespace: SA_NAMESPACE,
      body: { metadata: { name: tokenName }, stringData: { token: TOKEN } },
    });
    await h.start();
    await h.createNode('worker-1', '192.0.2.31');
    saKc = await eventually(() => serviceAccountKubeConfig(h.kc), { what: 'a ServiceAccount token' });
    operator = new Operator({
      kubeConfig: saKc,
      logger: winston.createLogger({ silent: true }),
      registry: new Registry(),
      identity: 'rbac-test',
      watchSelector: h.selector,
      // As the Deployment tells it (FORTISYNC_CREDENTIALS_NAMESPACES=$(POD_NAMESPACE)).
      credentialsNamespaces: [SA_NAMESPACE],
    });
    await operator.startInformers();
    operator.startControllers();
  });
  afterAll(async () => {
    await h.stop().catch(() => undefined);
    await operator?.stop(5000);
    await h.core.deleteNamespacedSecret({ namespace: SA_NAMESPACE, name: tokenName }).catch(() => undefined);
  });

  it('does its whole job: status, finalizers, events, groups and cleanup', async () => {
    await h.applyMapping('web', { podSelector: { matchLabels: { app: 'web' } }, addressGroup: 'RBAC-WEB' });
    await h.runPod('web-1', { app: 'web' }, 'worker-1', ['10.1.0.1']);
    await h.expectMembers('RBAC-WEB', [`k8s-rbac-node-${h.nodeName('worker-1')}`]);
    const m = await h.expectCondition('web', 'Ready', 'True', 'Synced');
    expect(m.metadata.finalizers).toContain('fortisync.io/cleanup');
    const d = await eventually(async () => ((await h.device())?.status?.fortios ? h.device() : undefined), {
      what: 'device status',
    });
    expect(d?.status?.conditions?.find((c) => c.type === 'Connected')?.status).toBe('True');
    await h.deleteMapping('web');
    await eventually(async () => ((await h.mapping('web')) ? undefined : true), {
      what: 'finalizer removed by the operator',
    });
    expect(h.members('RBAC-WEB')).toBeUndefined();
  });

  it('a device whose token lives elsewhere gets SecretNotAllowed, and nothing is read there', async () => {
    const dev = `${h.deviceName}-elsewhere`;
    // The harness's own Secret, in the test namespace: outside what the default install reads.
    await h.createDevice(dev, {
      clusterName: 'rbac2',
      credentialsSecretRef: { name: 'fw-token', namespace: h.ns },
      deletionPolicy: 'Retain',
    });
    const d = await eventually(
      async () => {
        const x = await h.device(dev);
        return x?.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'SecretNotAllowed')
          ? x
          : undefined;
      },
      { what: `${dev} Ready=False SecretNotAllowed` },
    );
    const ready = d.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toContain(SA_NAMESPACE);
    expect(ready?.message).toContain('docs/install.md');
    expect(d.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
  });

  it('may hold its Lease in its own namespace', async () => {
    const elector = new LeaderElector({
      store: kubeLeaseStore(saKc.makeApiClient(CoordinationV1Api), SA_NAMESPACE, `rbac-${h.id}`),
      callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
    });
    const stop = new AbortController();
    const run = elector.run(stop.signal);
    await eventually(() => (elector.isLeader() ? true : undefined), { what: 'leadership' });
    stop.abort();
    await run;
  });

  it.each([
    ['list secrets', () => saKc.makeApiClient(CoreV1Api).listSecretForAllNamespaces()],
    [
      'read a Secret outside its namespace',
      () => saKc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: h.ns, name: 'fw-token' }),
    ],
    [
      'watch Secrets outside its namespace',
      () =>
        saKc
          .makeApiClient(CoreV1Api)
          .listNamespacedSecret({ namespace: h.ns, watch: true, timeoutSeconds: 1 }),
    ],
    ['list configmaps', () => saKc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: h.ns })],
    [
      'delete a pod',
      () => saKc.makeApiClient(CoreV1Api).deleteNamespacedPod({ namespace: h.ns, name: 'web-1' }),
    ],
    [
      'create a namespace',
      () => saKc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: `x-${h.id}` } } }),
    ],
    [
      'write a Lease in another namespace',
      () =>
        saKc.makeApiClient(CoordinationV1Api).createNamespacedLease({
          namespace: h.ns,
          body: { metadata: { name: 'x' }, spec: {} },
        }),
    ],
  ])('is refused to %s', async (_what, call) => {
    await expect(call()).rejects.toMatchObject({ code: 403 });
  });
});
