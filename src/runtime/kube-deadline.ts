import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/**
 * How long any one call of client-node's generated API clients may take, body included. Without it
 * a call to an API server that accepts the connection and never answers holds a worker (a status
 * write, a finalizer patch, an Event) forever. Watches and raw lists set their own deadlines.
 */
export const KUBE_CALL_DEADLINE_MS = 30_000;

const WRAPPED = Symbol('fortisync.kubeCallDeadline');

/**
 * Gives every generated API call of this KubeConfig a deadline: the KubeConfig authenticates each
 * request (`applySecurityAuthentication`), so that is where the signal is set. A caller's own signal
 * is kept. Idempotent.
 */
export function withCallDeadline(kc: KubeConfig, deadlineMs = KUBE_CALL_DEADLINE_MS): KubeConfig {
  const target = kc as KubeConfig & { [WRAPPED]?: true };
  if (target[WRAPPED]) return kc;
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx: RequestContext): Promise<void> => {
    await authenticate(ctx);
    if (!ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(deadlineMs));
  };
  target[WRAPPED] = true;
  return kc;
}
