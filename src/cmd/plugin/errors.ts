/** An error the user can act on: what went wrong and what to do next. Exit code 1 unless said. */
export class PluginError extends Error {
  constructor(
    message: string,
    readonly next?: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The HTTP status of a failed Kubernetes API call, when it is one. */
export function kubeStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * A Kubernetes API failure in the user's words: 403 names the permission `kubectl auth can-i` checks,
 * 401 the credentials, anything else the server's message.
 */
export function kubeError(err: unknown, verb: string, resource: string): PluginError {
  const status = kubeStatus(err);
  if (status === 403)
    return new PluginError(
      `you may not ${verb} ${resource} (403 Forbidden)`,
      `check with \`kubectl auth can-i ${verb} ${resource.split(' ')[0]}\`; ask your cluster admin for the permission`,
    );
  if (status === 401)
    return new PluginError(
      'the Kubernetes API server refused your credentials (401)',
      'check your kubeconfig (`kubectl get --raw /version` should work)',
    );
  if (status === 404) return new PluginError(`${resource} not found`);
  const text = errorText(err);
  return new PluginError(
    `cannot ${verb} ${resource}: ${text}`,
    'is the API server reachable? (`kubectl cluster-info`)',
  );
}

/** The message of anything thrown (Node's errors may come from another realm, so no instanceof). */
export function errorText(err: unknown): string {
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}
