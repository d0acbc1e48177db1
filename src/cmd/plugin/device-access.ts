import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import { ALL_FAMILIES, readObservedState } from '../../controllers/device/observe.js';
import type { ObservedDeviceState } from '../../domain/model.js';
import { FortiGateClient } from '../../fortigate/client.js';
import { isFortiOSError } from '../../fortigate/errors.js';
import type { FortiPolicy } from '../../fortigate/types.js';
import { errorText, PluginError } from './errors.js';
import type { KubeReader } from './kube.js';

/** The token and CA the device references, read with the user's permissions (not the operator's). */
export async function deviceCredentials(
  reader: KubeReader,
  spec: ValidDeviceSpec,
): Promise<{ token: string; ca?: string }> {
  const ref = spec.credentialsSecretRef;
  const token = await reader.secretValue(ref.namespace, ref.name, ref.key ?? 'token');
  const ca = await tlsCa(reader, spec.tls);
  return { token, ...(ca ? { ca } : {}) };
}

/** The CA `spec.tls` names (a Secret, a ConfigMap or inline), read with the user's permissions. */
export async function tlsCa(reader: KubeReader, tls: ValidDeviceSpec['tls']): Promise<string | undefined> {
  return tls?.caSecretRef
    ? await reader.secretValue(
        tls.caSecretRef.namespace,
        tls.caSecretRef.name,
        tls.caSecretRef.key ?? 'ca.crt',
      )
    : tls?.caConfigMapRef
      ? await reader.configMapValue(
          tls.caConfigMapRef.namespace,
          tls.caConfigMapRef.name,
          tls.caConfigMapRef.key ?? 'ca.crt',
        )
      : tls?.caBundle;
}

/**
 * A client for one device: no retries (a person is waiting) and the client's lockout guard, so a
 * refused token is tried once and never three times in FortiOS' lockout window.
 */
export function deviceClient(spec: ValidDeviceSpec, creds: { token: string; ca?: string }): FortiGateClient {
  return new FortiGateClient({
    baseUrl: spec.url,
    vdom: spec.vdom,
    token: creds.token,
    ...(creds.ca ? { ca: creds.ca } : {}),
    insecureSkipVerify: spec.tls?.insecureSkipVerify ?? false,
    retry: { retries: 0 },
    timeouts: { connectMs: 5_000, responseMs: 15_000, requestMs: 30_000 },
  });
}

/** What to do about a FortiOS failure seen from the user's machine. */
export function fortiosNextStep(err: unknown): string | undefined {
  if (!isFortiOSError(err)) return undefined;
  switch (err.kind) {
    case 'unauthorized':
      return "the token was refused, or this machine is not among the API admin's trusted hosts (the plugin connects from here, not from the operator's pod)";
    case 'locked-out':
      return 'this source is locked out after failed logins; wait a minute before trying again';
    case 'forbidden':
      return "the API admin's profile lacks read permission on firewall address/addrgrp/policy";
    case 'tls':
      return 'check spec.tls of the device (CA bundle and the name in the certificate); `kubectl fortisync check DEVICE` shows the chain';
    case 'unreachable':
    case 'timeout':
      return 'the FortiGate is not reachable from this machine; the operator may still reach it from the cluster';
    default:
      return undefined;
  }
}

export function describeDeviceError(err: unknown): string {
  return errorText(err);
}

export interface LiveDevice {
  observed: ObservedDeviceState;
  policies: FortiPolicy[];
}

/** Reads our addresses, every group and every policy (read-only), as the operator's full read does. */
export async function readLiveDevice(
  reader: KubeReader,
  device: FortiGateDevice,
  spec: ValidDeviceSpec,
  opts: { policies: boolean; clusterName?: string } = { policies: true },
): Promise<LiveDevice> {
  const client = deviceClient(spec, await deviceCredentials(reader, spec));
  try {
    const [observed, policies] = await Promise.all([
      readObservedState(client, opts.clusterName ?? spec.clusterName, ALL_FAMILIES),
      opts.policies
        ? client.list('firewall/policy', {
            format: ['policyid', 'name', 'action', 'status', 'srcaddr', 'dstaddr', 'srcaddr6', 'dstaddr6'],
          })
        : Promise.resolve([]),
    ]);
    return { observed, policies };
  } catch (err) {
    throw new PluginError(
      `FortiGateDevice ${device.metadata.name} (${spec.url}): ${describeDeviceError(err)}`,
      fortiosNextStep(err),
    );
  } finally {
    client.close();
  }
}
