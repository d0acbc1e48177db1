import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../../dist/hack/demo/demo.js', import.meta.url));

// What a newcomer sees after `make demo`: run non-interactively, check the story's outcome.
describe('make demo', () => {
  it('walks through the storefront story and leaves nothing behind', async () => {
    const child = spawn(process.execPath, [DEMO], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KEEP: '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) console.error(out);
    expect(code).toBe(0);
    expect(out).toContain('address group K8S-DMZ: k8s-prod-node-worker-1\n');
    expect(out).toContain('address group K8S-DMZ: k8s-prod-node-worker-1, k8s-prod-node-worker-2');
    expect(out).toContain('address group K8S-DMZ: none');
    expect(out).toMatch(/from "kubectl scale" to the FortiGate group holding worker-2: \d+ ms/);
    expect(out).toContain('objects left by fortisync: 0');
    expect(out).toContain('policy 10 "dmz-to-entra": K8S-DMZ → login.microsoft.com accept');
  }, 300_000);
});
