/**
 * The storefront example (examples/storefront) as the demo applies it, with the firewall object it
 * writes through (a FortiGateDevice, or a FortiManagerTarget) pointed at the simulator.
 */
import { join } from 'node:path';
import { repoRoot } from '../../test/support/testenv-binaries.js';
import type { Kubectl } from './kubectl.js';

const root = repoRoot();

export interface StorefrontFirewall {
  /** The credentials secret in fortisync-system and its `--from-literal` keys. */
  secret: { name: string; literals: Record<string, string> };
  /** The CA configmap in fortisync-system, made from the simulator's certificate. */
  ca: { configMap: string; pemFile: string };
  /** The example's firewall object: its file, `kubectl` resource and name, and the patch for the simulator. */
  object: { file: string; resource: string; name: string; patch: object };
  /** The example's endpoint mapping (dmz-frontend) written through that object. */
  mappingFile: string;
}

/** Namespace, credentials, the firewall object, the frontend at zero replicas and its mapping, Ready. */
export async function applyStorefrontExample(k: Kubectl, fw: StorefrontFirewall): Promise<void> {
  await k.run(['apply', '-f', join(root, 'examples/storefront/00-namespace.yaml')]);
  const literals = Object.entries(fw.secret.literals).map(([key, value]) => `--from-literal=${key}=${value}`);
  await k.run(['-n', 'fortisync-system', 'create', 'secret', 'generic', fw.secret.name, ...literals]);
  await k.run([
    '-n',
    'fortisync-system',
    'create',
    'configmap',
    fw.ca.configMap,
    `--from-file=ca.crt=${fw.ca.pemFile}`,
  ]);
  await k.run(['apply', '-f', fw.object.file]);
  await k.run([
    'patch',
    fw.object.resource,
    fw.object.name,
    '--type=merge',
    '-p',
    JSON.stringify(fw.object.patch),
  ]);
  await k.run(['apply', '-f', join(root, 'hack/demo/storefront-services.yaml')]);
  await k.run(['apply', '-f', join(root, 'examples/storefront/30-frontend.yaml')]);
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=0']);
  await k.run(['apply', '-f', fw.mappingFile]);
  await k.run(['-n', 'storefront', 'wait', '--for=condition=Ready', 'fgem/dmz-frontend', '--timeout=60s']);
}
