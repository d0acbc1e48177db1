import type { FortiManagerTarget } from '../../src/api/v1alpha1/fortimanager-target.js';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { GROUP, mergePatch, VERSION, type Harness } from './operator-harness.js';

const PLURAL = 'fortimanagertargets';

export interface TargetOptions {
  name: string;
  clusterName: string;
  /** The credentials Secret, in the harness namespace. */
  secret: string;
  labels?: Record<string, string>;
  /** More spec fields, or ones that replace the defaults (url, ADOM root, the secret, the simulator's CA). */
  spec?: Record<string, unknown>;
}

/** A FortiManagerTarget on the simulator's ADOM root, trusting its CA. */
export async function createFortiManagerTarget(
  h: Harness,
  fmg: FortiManagerSimulatorHandle,
  t: TargetOptions,
): Promise<void> {
  await h.custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'FortiManagerTarget',
      metadata: { name: t.name, ...(t.labels ? { labels: t.labels } : {}) },
      spec: {
        url: fmg.url,
        adom: 'root',
        clusterName: t.clusterName,
        credentialsSecretRef: { name: t.secret, namespace: h.ns },
        tls: { caBundle: fmg.caCertPem ?? '' },
        ...t.spec,
      },
    },
  });
}

export async function getFortiManagerTarget(h: Harness, name: string): Promise<FortiManagerTarget> {
  return (await h.custom.getClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PLURAL,
    name,
  })) as FortiManagerTarget;
}

/** The target, or undefined once it is gone (404). */
export async function findFortiManagerTarget(
  h: Harness,
  name: string,
): Promise<FortiManagerTarget | undefined> {
  try {
    return await getFortiManagerTarget(h, name);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Deletes the target if it is still there (cleanup after a test). */
export async function deleteFortiManagerTarget(h: Harness, name: string): Promise<void> {
  await h.custom
    .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, name })
    .catch(() => undefined);
}

/**
 * With the operator gone, nothing removes its finalizers: drops them so the object goes (cleanup,
 * errors ignored as the object may be gone already). `namespace` for namespaced kinds.
 */
export async function dropFinalizers(
  h: Harness,
  plural: string,
  name: string,
  namespace?: string,
): Promise<void> {
  const body = { metadata: { finalizers: null } };
  const patched = namespace
    ? h.custom.patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, plural, namespace, name, body },
        mergePatch(),
      )
    : h.custom.patchClusterCustomObject({ group: GROUP, version: VERSION, plural, name, body }, mergePatch());
  await patched.catch(() => undefined);
}

/** Drops the target's finalizers and deletes it: cleanup once the operator has been killed. */
export async function removeFortiManagerTarget(h: Harness, name: string): Promise<void> {
  await dropFinalizers(h, PLURAL, name);
  await deleteFortiManagerTarget(h, name);
}
