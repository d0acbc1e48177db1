import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Role } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SecretSessionStore } from '../../../src/controllers/fortimanager/session-store.js';
import { createTestNamespace, deleteNamespace, eventually, testKubeConfig } from '../../support/kube.js';
import { repoRoot } from '../../support/testenv-binaries.js';

// Issue 16: Session-mode crash recovery in the installed operator. The operator keeps session ids in
// one pre-created Secret with only the Role config/rbac/fmg_session_role.yaml grants (get and
// update by resourceNames): against the real API server, as a ServiceAccount holding exactly that
// Role, the store keeps, reads and forgets ids, and nothing else about Secrets is allowed.

const SECRET = 'fmg-sessions';

/** The Role as config/ ships it (kustomize renames it and the Secret; here they keep their base names). */
function shippedRole(namespace: string): V1Role {
  const docs = parseAllDocuments(readFileSync(join(repoRoot(), 'config/rbac/fmg_session_role.yaml'), 'utf8'));
  const role = docs
    .map((d) => d.toJS() as V1Role & { kind: string })
    .find((d) => d.kind === 'Role') as V1Role;
  return { ...role, metadata: { ...role.metadata, namespace } };
}

describe('FortiManager session ids in the pre-created Secret, with the shipped RBAC only', () => {
  const admin = testKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  let ns = '';
  let sa: CoreV1Api;

  beforeAll(async () => {
    ns = await createTestNamespace(admin, 'fmgsess');
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'operator' } } });
    const role = shippedRole(ns);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: [SECRET], verbs: ['get', 'update'] },
    ]);
    await rbac.createNamespacedRole({ namespace: ns, body: role });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'operator' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata?.name ?? '' },
        subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace: ns }],
      },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: SECRET }, type: 'Opaque' },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'fortimanager-key' }, stringData: { apiKey: 'k' } },
    });
    const token = await eventually(
      () =>
        core.createNamespacedServiceAccountToken({
          namespace: ns,
          name: 'operator',
          body: { spec: { audiences: [], expirationSeconds: 3600 } },
        }),
      { what: 'a ServiceAccount token' },
    );
    const cluster = admin.getCurrentCluster();
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: cluster?.server ?? '', caData: cluster?.caData, skipTLSVerify: false }],
      users: [{ name: 'operator', token: token.status?.token }],
      contexts: [{ name: 'operator', cluster: 'c', user: 'operator' }],
      currentContext: 'operator',
    });
    sa = kc.makeApiClient(CoreV1Api);
  }, 60_000);

  afterAll(async () => {
    await deleteNamespace(admin, ns);
  });

  it('keeps, reads and forgets session ids of two targets as the ServiceAccount', async () => {
    const store = new SecretSessionStore(sa, { namespace: ns, name: SECRET });
    // RBAC bindings take effect within moments of their creation.
    await eventually(() => store.load('fmg-a').then(() => true), { what: 'the Role in effect' });
    await store.save('fmg-a', 'session-a');
    await store.save('fmg-b', 'session-b');
    expect(await store.load('fmg-a')).toBe('session-a');
    await store.save('fmg-a', undefined);
    expect(await store.load('fmg-a')).toBeUndefined();
    expect(await store.load('fmg-b')).toBe('session-b');
    const kept = await core.readNamespacedSecret({ namespace: ns, name: SECRET });
    expect(Object.keys(kept.data ?? {})).toEqual(['fmg-b']);
  });

  it('may do nothing else with Secrets: no create, no delete, no other Secret', async () => {
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 200,
        (err: unknown) => (err as { code?: number }).code,
      );
    expect(await code(sa.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'x' } } }))).toBe(
      403,
    );
    expect(await code(sa.deleteNamespacedSecret({ namespace: ns, name: SECRET }))).toBe(403);
    expect(await code(sa.readNamespacedSecret({ namespace: ns, name: 'fortimanager-key' }))).toBe(403);
    expect(await code(sa.listNamespacedSecret({ namespace: ns }))).toBe(403);
  });

  it('a missing Secret is an error that says to create it', async () => {
    const store = new SecretSessionStore(sa, { namespace: ns, name: 'not-there' });
    // Not allowed by name either: the operator learns it may not read it.
    await expect(store.load('fmg-a')).rejects.toThrow('may not get Secret');
    const adminStore = new SecretSessionStore(core, { namespace: ns, name: 'not-there' });
    await expect(adminStore.load('fmg-a')).rejects.toThrow('does not exist: the install creates it');
  });
});
