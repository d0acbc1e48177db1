import { KubeConfig } from '@kubernetes/client-node';
import { eventually } from './kube.js';
import type { Harness } from './operator-harness.js';

/**
 * A kubeconfig that authenticates as ServiceAccount `name` of the harness namespace (a bound token,
 * valid an hour), against the test API server: to see what that account's RBAC lets it do.
 */
export async function serviceAccountKubeConfig(h: Harness, name: string): Promise<KubeConfig> {
  const token = await eventually(
    () =>
      h.core.createNamespacedServiceAccountToken({
        namespace: h.ns,
        name,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      }),
    { what: 'a ServiceAccount token' },
  );
  const cluster = h.kc.getCurrentCluster();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: cluster?.server ?? '', caData: cluster?.caData, skipTLSVerify: false }],
    users: [{ name, token: token.status?.token }],
    contexts: [{ name, cluster: 'c', user: name }],
    currentContext: name,
  });
  return kc;
}
