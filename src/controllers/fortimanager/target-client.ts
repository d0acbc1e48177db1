import type { ValidFortiManagerTargetSpec } from '../../api/v1alpha1/validation.js';
import type { FmgAuth, FortiManagerClient, FortiManagerClientOptions } from '../../fortimanager/index.js';
import { caOf, connectionFingerprint } from '../device/device-client.js';
import type { ReferencedObjects } from '../device/referenced-objects.js';

export interface TargetClientDeps {
  references: Pick<ReferencedObjects, 'value'>;
  createClient: (target: string, options: FortiManagerClientOptions) => FortiManagerClient;
}

/** The Secret keys each auth mode reads (ADR 0003 §4). */
export const API_KEY_KEY = 'apiKey';
export const USERNAME_KEY = 'username';
export const PASSWORD_KEY = 'password';

export interface ResolvedCredentials {
  auth: FmgAuth;
  /**
   * The admin whose stale lock this cluster may release at start-up: the session user, or in
   * APIKey mode the API admin's name when the Secret says it (`username`).
   */
  ownUser: string | undefined;
  ca: string | undefined;
  fingerprint: string;
}

async function optionalValue(
  deps: TargetClientDeps,
  ref: { namespace: string; name: string },
  key: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  try {
    return await deps.references.value({ kind: 'Secret', ...ref, key }, signal);
  } catch (err) {
    if ((err as { reason?: string }).reason === 'SecretKeyMissing') return undefined;
    throw err;
  }
}

/** Reads the credentials (and CA) a target's spec names; a missing key is a ReferenceProblem. */
export async function resolveCredentials(
  deps: TargetClientDeps,
  spec: ValidFortiManagerTargetSpec,
  signal: AbortSignal,
): Promise<ResolvedCredentials> {
  const ref = spec.credentialsSecretRef;
  let auth: FmgAuth;
  let ownUser: string | undefined;
  if (spec.auth === 'Session') {
    const username = await deps.references.value({ kind: 'Secret', ...ref, key: USERNAME_KEY }, signal);
    const password = await deps.references.value({ kind: 'Secret', ...ref, key: PASSWORD_KEY }, signal);
    auth = { username, password };
    ownUser = username;
  } else {
    auth = { apiKey: await deps.references.value({ kind: 'Secret', ...ref, key: API_KEY_KEY }, signal) };
    ownUser = await optionalValue(deps, ref, USERNAME_KEY, signal);
  }
  const ca = await caOf(deps.references, spec.tls, signal);
  const fingerprint = connectionFingerprint(spec, [spec.adom, auth, ca, spec.maxConcurrentRequests]);
  return { auth, ownUser, ca, fingerprint };
}
