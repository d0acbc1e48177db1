import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../../dist/bench/run.js', import.meta.url));

/** The benchmark runner end to end on tiny runs: each starts its own control plane, simulator and operator. */
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

  it('runs fmg-churn briefly: changes reach the managed FortiGate, one install per window, no steady writes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fortisync-bench-'));
    try {
      const proc = spawn(
        process.execPath,
        [
          RUNNER,
          'fmg-churn',
          '--duration',
          '4',
          '--rate',
          '1',
          '--mappings',
          '2',
          '--nodes',
          '2',
          '--install-seconds',
          '1',
          '--install-window',
          '5',
          '--drift',
          '10',
          '--latency',
          '0',
          '--out',
          out,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
      proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
      expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('kubectl→FortiGate p95') });
      const result = JSON.parse(readFileSync(join(out, 'fmg-churn-0ms.json'), 'utf8')) as {
        scenario: string;
        counts: Record<string, number>;
        distributions: { toFortiGate?: { n: number } };
        figures: { figure: string; observed: number | null }[];
      };
      expect(result.scenario).toBe('fmg-churn');
      expect(result.counts.changes).toBe(4);
      expect(result.counts.unresolved).toBe(0);
      expect(result.distributions.toFortiGate?.n).toBe(4);
      expect(result.counts.installs).toBeGreaterThan(0);
      expect(result.figures.find((f) => f.figure === 'max installs in any window')?.observed).toBe(1);
      // The positive signal (a drift check re-read the ADOM after the mark), then no write.
      expect(result.counts.steadyAddressReads).toBeGreaterThan(0);
      expect(result.counts.steadyWrites).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);
});
