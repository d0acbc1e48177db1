import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../../dist/bench/run.js', import.meta.url));

/** The benchmark runner end to end on a tiny burst: it starts its own control plane, simulator and operator. */
describe('bench runner', () => {
  it('runs the burst scenario with 20 pods and writes its figures', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fortisync-bench-'));
    try {
      const proc = spawn(
        process.execPath,
        [RUNNER, 'burst', '--pods', '20', '--nodes', '2', '--latency', '0', '--out', out],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('propagation p99') });
      const result = JSON.parse(readFileSync(join(out, 'burst-0ms.json'), 'utf8')) as {
        scenario: string;
        counts: Record<string, number>;
        distributions: { propagation?: { n: number } };
        machine: { commit: string; cpus: number };
      };
      expect(result.scenario).toBe('burst');
      expect(result.distributions.propagation?.n).toBe(20);
      expect(result.counts.unresolved).toBe(0);
      expect(result.counts.writes).toBeGreaterThan(0);
      expect(result.machine.commit).toMatch(/^[0-9a-f]{40}$|unknown/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
