import {
  ApiextensionsV1Api,
  loadYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './testenv-binaries.js';

export function loadCrds(dir = join(repoRoot(), 'crds')): V1CustomResourceDefinition[] {
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      // loadYaml maps `default`/`enum` onto client-node's model fields (`_default`, `_enum`); a plain
      // parse would have the serializer silently drop them.
      .map((f) => loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, f), 'utf8')))
  );
}

/** Creates (or replaces) every CRD in `dir` (default crds/) and waits until each is Established. */
export async function installCrds(kc: KubeConfig, timeoutMs = 30_000, dir?: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const crd of loadCrds(dir)) {
    const name = crd.metadata?.name ?? '';
    try {
      const existing = await api.readCustomResourceDefinition({ name });
      crd.metadata = { ...crd.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await api.replaceCustomResourceDefinition({ name, body: crd });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
      await api.createCustomResourceDefinition({ body: crd });
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await api.readCustomResourceDefinition({ name });
      const established = current.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
