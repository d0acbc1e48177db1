import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './testenv-binaries.js';

/** The Go tools hack/tools builds: kstatus, argocd-health (Argo CD's Lua health runner) and helm. */
export type Tool = 'kstatus' | 'argocd-health' | 'helm';

let cached: string | undefined;

/**
 * The directory of the tools, from `hack/tools/build.sh` (which only prints it when they are built;
 * `make test` builds them first, so a test never pays for a Go build inside its timeout).
 */
export function toolsBinDir(): string {
  cached ??= execFileSync(join(repoRoot(), 'hack/tools/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return cached;
}

export function toolPath(name: Tool): string {
  const path = join(toolsBinDir(), name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make tools\``);
  return path;
}

export interface Verdict {
  namespace?: string;
  name: string;
  kind: string;
  status: string;
  message: string;
  /** kstatus only: the verdict of Flux's fork (github.com/fluxcd/cli-utils). */
  fluxStatus?: string;
  fluxMessage?: string;
}

/** Runs a verdict tool on objects (one JSON line out per object in). */
export function verdicts(
  tool: 'kstatus' | 'argocd-health',
  objects: object[],
  args: string[] = [],
): Verdict[] {
  const out = execFileSync(toolPath(tool), ['-o', 'json', ...args], {
    input: objects.map((o) => JSON.stringify(o)).join('\n'),
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Verdict);
}
