import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../support/kube.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('process supervisor', () => {
  it('leaves no orphan when its owner is killed with SIGKILL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortisync-sup-'));
    const supervisor = new URL('../../../dist/test/support/supervisor.js', import.meta.url).href;
    const script = `
      const { ProcessSupervisor } = await import(${JSON.stringify(supervisor)});
      const s = new ProcessSupervisor(${JSON.stringify(dir)}, 600);
      const p = s.start('sleeper', 'sleep', ['600']);
      console.log(p.pid);
      setInterval(() => {}, 1000);
    `;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) =>
      owner.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    await eventually(() => (alive(pid) ? undefined : true), {
      timeoutMs: 15_000,
      what: 'the orphan to be killed',
    });
    expect(readFileSync(join(dir, 'supervised.pids'), 'utf8').trim()).toBe(String(pid));
    rmSync(dir, { recursive: true, force: true });
  });
});
