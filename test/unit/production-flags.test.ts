import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PRODUCTION } from '../support/operator-process.js';
import { repoRoot } from '../support/testenv-binaries.js';

const root = repoRoot();

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
}

describe('the production flags (test/support PRODUCTION) agree with', () => {
  it("the Dockerfile's ENTRYPOINT", () => {
    const line = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ENTRYPOINT'));
    const argv = JSON.parse(line?.slice('ENTRYPOINT'.length) ?? '[]') as string[];
    // node <flags> dist/bundle/fortisync.mjs
    expect(argv.slice(1, -1)).toEqual(PRODUCTION.entrypointFlags);
    expect(argv.at(-1)).toBe(PRODUCTION.script);
  });

  it("the manager Deployment's NODE_OPTIONS and malloc settings", () => {
    const docs = parseAllDocuments(readFileSync(join(root, 'config/manager/manager.yaml'), 'utf8'));
    const deployment = docs
      .map((d) => d.toJS() as Record<string, unknown>)
      .find((d) => d?.kind === 'Deployment') as {
      spec: { template: { spec: { containers: Container[] } } };
    };
    const env = new Map(
      (deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    expect(env.get('NODE_OPTIONS')?.split(/\s+/)).toEqual(PRODUCTION.nodeOptions);
    expect(env.get('MALLOC_ARENA_MAX')).toBe(PRODUCTION.env.MALLOC_ARENA_MAX);
    expect(env.get('MALLOC_MMAP_THRESHOLD_')).toBe(PRODUCTION.env.MALLOC_MMAP_THRESHOLD_);
  });
});
