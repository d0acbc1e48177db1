import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { binaryPath, repoRoot } from './testenv-binaries.js';
import { toolPath } from './tools.js';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => Boolean(o?.kind));
}

/** `kubectl kustomize` of a directory of config/. */
export function kustomize(dir: string): K8sObject[] {
  return parseObjects(
    execFileSync(binaryPath('kubectl'), ['kustomize', join(repoRoot(), dir)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  );
}

export const RELEASE = 'fortisync';
export const NAMESPACE = 'fortisync-system';
export const CHART = (): string => join(repoRoot(), 'charts/fortisync');

/** `helm template` of the chart as release "fortisync" in fortisync-system, with --set values. */
export function helmTemplate(set: string[] = []): K8sObject[] {
  const args = ['template', RELEASE, CHART(), '--namespace', NAMESPACE, ...set.flatMap((s) => ['--set', s])];
  return parseObjects(execFileSync(toolPath('helm'), args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

export const objectKey = (o: K8sObject): string =>
  `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
