import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../support/testenv-binaries.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the run's kubectl (built from the same Kubernetes version as the API server) against it. */
export function kubectl(args: string[], stdin?: string): Promise<KubectlResult> {
  const bin = process.env.FORTISYNC_TEST_KUBECTL;
  const kubeconfig = process.env.FORTISYNC_TEST_KUBECONFIG;
  if (!bin || !kubeconfig)
    throw new Error('FORTISYNC_TEST_KUBECTL/KUBECONFIG not set: run in the Jest project "k8s"');
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      [`--kubeconfig=${kubeconfig}`, ...args],
      { cwd: repoRoot(), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** Like kubectl, but fails with kubectl's output when the command does. */
export async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

/** Every document of a YAML file under the repository root. */
export function readManifests(relPath: string): Manifest[] {
  const text = readFileSync(join(repoRoot(), relPath), 'utf8');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}
