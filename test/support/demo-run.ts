import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../../dist/hack/demo/demo.js', import.meta.url));

/** Runs `make demo` (the built dist/hack/demo/demo.js) non-interactively: its exit code and all it printed. */
export async function runDemo(args: string[] = []): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [DEMO, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KEEP: '' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) console.error(out);
  return { code, out };
}
