import { createHash } from 'node:crypto';
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import type { AuthGate } from '../../fortigate/auth-gate.js';
import type { FortiGateClientOptions } from '../../fortigate/client.js';
import type { FortiOSApi } from './fortios-api.js';
import type { Clock } from '../../runtime/clock.js';
import { concurrencyOf } from './device-ref.js';
import type { ReferencedObjects } from './referenced-objects.js';
import type { DeviceSession } from './sync-state.js';

export interface DeviceClientDeps {
  references: Pick<ReferencedObjects, 'value' | 'retain'>;
  createClient: (device: string, options: FortiGateClientOptions) => FortiOSApi;
  clock: Clock;
  /**
   * The process-wide lockout guard (one per operator, keyed by FortiGate host): every client gets
   * it, so neither a rebuilt client nor a second device on the same FortiGate starts afresh.
   */
  authGate: AuthGate;
  /** Extra client options (timeouts, request hook) applied to every device client. */
  clientOptions?: Partial<FortiGateClientOptions>;
}

/**
 * The device's FortiOSApi, built from its spec and the Secret/ConfigMap values it references.
 * A new credential (token, URL, CA…) makes a new client; the lockout guard it shares with every
 * other client remembers the host's failures.
 */
export async function deviceClient(
  deps: DeviceClientDeps,
  device: FortiGateDevice,
  spec: ValidDeviceSpec,
  session: DeviceSession,
  signal: AbortSignal,
): Promise<FortiOSApi> {
  const ref = spec.credentialsSecretRef;
  const token = await deps.references.value(
    { kind: 'Secret', namespace: ref.namespace, name: ref.name, key: ref.key ?? 'token' },
    signal,
  );
  const ca = await caOf(deps.references, spec.tls, signal);
  const fingerprint = connectionFingerprint(spec, [spec.vdom, token, ca, concurrencyOf(spec)]);
  if (session.client && session.clientFingerprint === fingerprint) return session.client;
  session.client?.close();
  session.client = deps.createClient(device.metadata.name, {
    ...deps.clientOptions,
    baseUrl: spec.url,
    vdom: spec.vdom,
    token,
    ...(ca ? { ca } : {}),
    insecureSkipVerify: spec.tls?.insecureSkipVerify ?? false,
    maxSockets: concurrencyOf(spec),
    // The one lockout guard (see AUTH_BACKOFF_MS): set last, so no option can weaken it.
    authGate: deps.authGate,
    now: () => deps.clock.now(),
  });
  session.clientFingerprint = fingerprint;
  session.identity = undefined;
  session.stale = true;
  return session.client;
}

/**
 * What a client was built from (URL, TLS verification and the kind's own settings), hashed so no
 * secret is kept in the clear: a different fingerprint means a new client.
 */
export function connectionFingerprint(
  spec: Pick<ValidDeviceSpec, 'url' | 'tls'>,
  settings: readonly unknown[],
): string {
  const parts = [spec.url, ...settings.map((v) => v ?? ''), spec.tls?.insecureSkipVerify ?? false];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The CA to trust, from the spec's `tls` (FortiGateDevice and FortiManagerTarget share its schema). */
export async function caOf(
  references: Pick<ReferencedObjects, 'value'>,
  tls: ValidDeviceSpec['tls'],
  signal: AbortSignal,
): Promise<string | undefined> {
  if (tls?.caSecretRef) {
    const r = tls.caSecretRef;
    return references.value(
      { kind: 'Secret', namespace: r.namespace, name: r.name, key: r.key ?? 'ca.crt' },
      signal,
    );
  }
  if (tls?.caConfigMapRef) {
    const r = tls.caConfigMapRef;
    return references.value(
      { kind: 'ConfigMap', namespace: r.namespace, name: r.name, key: r.key ?? 'ca.crt' },
      signal,
    );
  }
  return tls?.caBundle;
}
