import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

type DispatcherFactory = (cluster: unknown, options: Record<string, unknown>) => Dispatcher | undefined;

/**
 * client-node 2.x builds a new undici Agent — a new TLS context and connection pool — for every API
 * call (1.x did the same with https.Agent; profiling the churn benchmark put that at 30 % of the
 * operator's CPU). This keeps one dispatcher per distinct TLS configuration, so status patches,
 * Events, raw lists and watches share connections. Credentials that change (a rotated client
 * certificate) give a new key and so a new dispatcher; bearer tokens travel in headers and are
 * unaffected. `createDispatcher` is private in client-node: a test against the real API server
 * (kube-helpers.test.ts) fails if it stops being called or stops being shared.
 */
export function reuseApiServerAgents(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createDispatcher?: DispatcherFactory };
  if (typeof target.createDispatcher !== 'function') {
    throw new Error(
      'client-node no longer has KubeConfig.createDispatcher: update src/operator/kube-agents.ts',
    );
  }
  const original = target.createDispatcher.bind(kc);
  const dispatchers = new Map<string, Dispatcher | undefined>();
  target.createDispatcher = (cluster, options) => {
    const server = (cluster as { server?: string } | null)?.server ?? '';
    // A plain string key: hashing it with sha256 on every call cost more than the Map lookup.
    const key = [
      server,
      options.ca,
      options.cert,
      options.key,
      options.pfx,
      options.rejectUnauthorized,
      options.servername,
    ]
      .map((v) => (v === undefined ? '' : Buffer.isBuffer(v) ? v.toString('base64') : String(v)))
      .join('\u0000');
    if (!dispatchers.has(key)) dispatchers.set(key, original(cluster, options));
    return dispatchers.get(key);
  };
  return kc;
}
