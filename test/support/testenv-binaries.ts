import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The Go-built binaries the local control plane runs. */
export const TESTENV_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
] as const;
export type TestenvBinary = (typeof TESTENV_BINARIES)[number];

/** Files whose content decides which binaries get built; the cache key hashes them. */
const KEY_FILES = ['go.mod', 'go.sum', 'cmd/etcd/main.go'];

export function repoRoot(): string {
  return resolve(new URL('.', import.meta.url).pathname, findUp());
}

// Works both from test/support (ts-jest) and dist/test/support (compiled).
function findUp(): string {
  let rel = '';
  for (let i = 0; i < 5; i++) {
    const candidate = resolve(new URL('.', import.meta.url).pathname, rel, 'hack/testenv/go.mod');
    if (existsSync(candidate)) return rel || '.';
    rel = join(rel, '..');
  }
  throw new Error('cannot find hack/testenv/go.mod above ' + new URL('.', import.meta.url).pathname);
}

/**
 * Directory holding the binaries: $FORTISYNC_TESTENV_BIN when set, else a cache directory outside the
 * repository keyed by the wrapper module's go.mod/go.sum hash (the same key `hack/testenv/build.sh` uses).
 */
export function testenvBinDir(root = repoRoot()): string {
  const override = process.env.FORTISYNC_TESTENV_BIN;
  if (override) return override;
  const hash = createHash('sha256');
  for (const f of KEY_FILES) hash.update(readFileSync(join(root, 'hack/testenv', f)));
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'fortisync', 'testenv', hash.digest('hex').slice(0, 16));
}

export function binaryPath(name: TestenvBinary, binDir = testenvBinDir()): string {
  const path = join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run \`make testenv\` to build the local control plane binaries`);
  }
  return path;
}
