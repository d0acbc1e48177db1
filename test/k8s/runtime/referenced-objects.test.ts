import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import winston from 'winston';
import { ReferenceProblem, ReferencedObjects } from '../../../src/controllers/device/referenced-objects.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';

/** A kubeconfig for a fresh ServiceAccount of `ns`, with a real bound token and no permissions. */
async function serviceAccount(admin: KubeConfig, ns: string, name: string): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  const tr = await eventually(() =>
    core.createNamespacedServiceAccountToken({ namespace: ns, name, body: { spec: { audiences: [] } } }),
  );
  const cluster = admin.getCurrentCluster()!;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster.server, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: name, token: tr.status?.token }],
    contexts: [{ name: 'c', cluster: 'c', user: name }],
    currentContext: 'c',
  });
  return kc;
}

describe('ReferencedObjects when the API server refuses the read (403)', () => {
  const admin = testKubeConfig();
  const silent = winston.createLogger({ silent: true });
  let ns: string;
  let refs: ReferencedObjects;

  beforeAll(async () => {
    ns = await createTestNamespace(admin, 'refs-403');
    await admin.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'fw-token' }, stringData: { token: 'not-for-you' } },
    });
    refs = new ReferencedObjects(await serviceAccount(admin, ns, 'no-secrets'), silent, () => {});
  });
  afterAll(async () => {
    await refs.stop();
    await deleteNamespace(admin, ns);
  });

  it('answers SecretUnreadable at once instead of waiting for a sync that never comes', async () => {
    const started = Date.now();
    const err = await refs
      .value({ kind: 'Secret', namespace: ns, name: 'fw-token', key: 'token' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReferenceProblem);
    expect((err as ReferenceProblem).reason).toBe('SecretUnreadable');
    expect((err as Error).message).toMatch(/may not read Secret .*fw-token.*403 Forbidden/);
    expect((err as Error).message).not.toContain('not-for-you');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads the Secret once the permission is granted', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-token' },
        rules: [
          { apiGroups: [''], resources: ['secrets'], resourceNames: ['fw-token'], verbs: ['get', 'watch'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'read-token' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-token' },
        subjects: [{ kind: 'ServiceAccount', name: 'no-secrets', namespace: ns }],
      },
    });
    const value = await eventually(
      () => refs.value({ kind: 'Secret', namespace: ns, name: 'fw-token', key: 'token' }),
      { timeoutMs: 45_000, what: 'the Secret after the grant' },
    );
    expect(value).toBe('not-for-you');
  });
});

describe('ReferencedObjects confined to the namespaces the install may read', () => {
  const admin = testKubeConfig();
  const silent = winston.createLogger({ silent: true });
  let allowed: string;
  let other: string;
  let refs: ReferencedObjects;

  beforeAll(async () => {
    allowed = await createTestNamespace(admin, 'refs-allowed');
    other = await createTestNamespace(admin, 'refs-other');
    for (const namespace of [allowed, other])
      await admin.makeApiClient(CoreV1Api).createNamespacedSecret({
        namespace,
        body: { metadata: { name: 'fw-token' }, stringData: { token: `token-of-${namespace}` } },
      });
    // An admin kubeconfig: any read would succeed, so a refusal proves nothing was asked.
    refs = new ReferencedObjects(admin, silent, () => {}, { allowedNamespaces: [allowed] });
  });
  afterAll(async () => {
    await refs.stop();
    await deleteNamespace(admin, allowed);
    await deleteNamespace(admin, other);
  });

  it('reads a Secret in its namespace, and refuses one elsewhere without asking (SecretNotAllowed)', async () => {
    await expect(
      refs.value({ kind: 'Secret', namespace: allowed, name: 'fw-token', key: 'token' }),
    ).resolves.toBe(`token-of-${allowed}`);
    const err = await refs
      .value({ kind: 'Secret', namespace: other, name: 'fw-token', key: 'token' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'SecretNotAllowed' });
    expect((err as Error).message).toContain(allowed);
    const cm = await refs
      .value({ kind: 'ConfigMap', namespace: other, name: 'ca', key: 'ca.crt' })
      .catch((e: unknown) => e);
    expect(cm).toMatchObject({ reason: 'ConfigMapNotAllowed' });
  });
});
