import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const pinned = read('.node-version').trim();
const major = pinned.split('.')[0];

describe('one Node.js runtime everywhere', () => {
  it('.node-version names a Node.js 24 LTS release', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
  });

  it('the tests run on it (the Makefile puts it first on PATH)', () => {
    expect(process.versions.node.split('.')[0]).toBe(major);
  });

  it("package.json's engines asks for that major", () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${major}`);
  });

  it('every image stage is built from that release', () => {
    const from = [...read('Dockerfile').matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from).toEqual([`node:${pinned}-trixie-slim`, `gcr.io/distroless/nodejs${major}-debian13:nonroot`]);
  });
});
