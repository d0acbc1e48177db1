import type { FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import type { ValidFortiManagerTargetSpec } from '../../api/v1alpha1/validation.js';
import { ALL_FAMILIES, readObservedState } from '../../controllers/device/observe.js';
import { AdomObjects } from '../../controllers/fortimanager/adom-objects.js';
import { API_KEY_KEY, PASSWORD_KEY, USERNAME_KEY } from '../../controllers/fortimanager/target-client.js';
import type { FortiPolicy, MemberRef } from '../../fortigate/types.js';
import { FortiManagerClient, isFortiManagerError, type FmgAuth } from '../../fortimanager/index.js';
import type { LiveDevice } from './device-access.js';
import { tlsCa } from './device-access.js';
import { errorText, PluginError } from './errors.js';
import type { KubeReader } from './kube.js';

export interface TargetCredentials {
  auth: FmgAuth;
  ca?: string;
}

/** The API key (or session login) and CA the target references, read with the user's permissions. */
export async function targetCredentials(
  reader: KubeReader,
  spec: ValidFortiManagerTargetSpec,
): Promise<TargetCredentials> {
  const ref = spec.credentialsSecretRef;
  const value = (key: string) => reader.secretValue(ref.namespace, ref.name, key);
  const auth: FmgAuth =
    spec.auth === 'Session'
      ? { username: await value(USERNAME_KEY), password: await value(PASSWORD_KEY) }
      : { apiKey: await value(API_KEY_KEY) };
  const ca = await tlsCa(reader, spec.tls);
  return { auth, ...(ca ? { ca } : {}) };
}

/**
 * A client for one ADOM: no retries (a person is waiting), and a refused login is not tried again
 * (the transport's cool-down), so the plugin never adds to FortiManager's admin lockout count.
 * `close()` logs a session out.
 */
export function targetClient(
  spec: ValidFortiManagerTargetSpec,
  creds: TargetCredentials,
): FortiManagerClient {
  return new FortiManagerClient({
    baseUrl: spec.url.replace(/\/$/, ''),
    adom: spec.adom,
    auth: creds.auth,
    ...(creds.ca ? { ca: creds.ca } : {}),
    insecureSkipVerify: spec.tls?.insecureSkipVerify ?? false,
    retry: { retries: 0 },
    timeouts: { connectMs: 5_000, responseMs: 15_000, requestMs: 30_000 },
  });
}

/** What to do about a FortiManager failure seen from the user's machine. */
export function fortiManagerNextStep(
  err: unknown,
  spec?: Pick<ValidFortiManagerTargetSpec, 'adom'>,
): string | undefined {
  const fmg = isFortiManagerError(err)
    ? err
    : isFortiManagerError((err as { cause?: unknown })?.cause)
      ? (err as { cause: never }).cause
      : undefined;
  if (!fmg) return undefined;
  switch ((fmg as { kind: string }).kind) {
    case 'unauthorized':
    case 'login-failed':
      return `the API key or login was refused, or the admin may not use ADOM ${spec?.adom ?? '?'} (rpc-permit, ADOM list, trusted hosts: the plugin connects from this machine)`;
    case 'login-limit':
      return 'FortiManager has too many sessions for this admin; wait for idle ones to expire';
    case 'tls':
      return 'check spec.tls of the target (CA bundle and the name in the certificate); `kubectl fortisync check fortimanagertarget/NAME` shows the chain';
    case 'unreachable':
    case 'timeout':
      return 'FortiManager is not reachable from this machine; the operator may still reach it from the cluster';
    case 'not-found':
    case 'invalid-url':
      return `ADOM ${spec?.adom ?? '?'} may not exist: fix spec.adom`;
    default:
      return undefined;
  }
}

const refs = (v: unknown): MemberRef[] =>
  (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]).map((n) => ({
    name: String(n),
  }));

/** A policy package's policy as the FortiOS shape trace reads; the package names it. */
function asFortiPolicy(pkg: string, p: Record<string, unknown>): FortiPolicy {
  return {
    policyid: Number(p.policyid ?? 0),
    name: `${pkg}: ${String(p.name ?? '')}`,
    srcaddr: refs(p.srcaddr),
    dstaddr: refs(p.dstaddr),
    srcaddr6: refs(p.srcaddr6),
    dstaddr6: refs(p.dstaddr6),
    action: String(p.action ?? ''),
    status: String(p.status ?? 'enable'),
    comments: '',
  } as FortiPolicy;
}

/** The packages whose policies trace shows: the install policy's, else every package of the ADOM. */
async function packagePolicies(
  client: FortiManagerClient,
  spec: ValidFortiManagerTargetSpec,
): Promise<FortiPolicy[]> {
  const listed = spec.install?.policy === 'Packages' ? (spec.install.packages ?? []).map((p) => p.name) : [];
  const names = listed.length ? listed : (await client.packages()).map((p) => p.name);
  const all = await Promise.all(
    names.map(async (pkg) => (await client.policies(pkg).catch(() => [])).map((p) => asFortiPolicy(pkg, p))),
  );
  return all.flat();
}

/** Reads our ADOM addresses, every ADOM group and (optionally) the packages' policies, read-only. */
export async function readLiveTarget(
  reader: KubeReader,
  target: FortiManagerTarget,
  spec: ValidFortiManagerTargetSpec,
  opts: { policies: boolean },
): Promise<LiveDevice> {
  const client = targetClient(spec, await targetCredentials(reader, spec));
  try {
    const observed = await readObservedState(new AdomObjects(client), spec.clusterName, ALL_FAMILIES);
    const policies = opts.policies ? await packagePolicies(client, spec) : [];
    return { observed, policies };
  } catch (err) {
    throw new PluginError(
      `FortiManagerTarget ${target.metadata.name} (${spec.url}, ADOM ${spec.adom}): ${errorText(err)}`,
      fortiManagerNextStep(err, spec),
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}
