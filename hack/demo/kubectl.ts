/** What every demo step uses: kubectl as a user types it, titles, and waiting as a user watches. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../test/support/testenv-binaries.js';

const root = repoRoot();
export const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
export const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

export function step(title: string): void {
  console.log(`\n${bold(`━━ ${title}`)}`);
}

const execFileAsync = promisify(execFile);

export class Kubectl {
  constructor(
    private readonly path: string,
    private readonly kubeconfig: string,
  ) {}
  // Asynchronous on purpose: the simulator runs in this process and must keep answering meanwhile.
  async run(args: string[], opts: { show?: boolean; input?: string } = {}): Promise<string> {
    if (opts.show !== false) console.log(dim(`$ kubectl ${args.join(' ')}`));
    let out: string;
    try {
      const child = execFileAsync(this.path, ['--kubeconfig', this.kubeconfig, ...args], {
        encoding: 'utf8',
      });
      if (opts.input !== undefined) {
        child.child.stdin?.end(opts.input);
      }
      out = (await child).stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string };
      throw new Error(`kubectl ${args.join(' ')} failed: ${(e.stderr || e.stdout || String(err)).trim()}`, {
        cause: err,
      });
    }
    if (opts.show !== false && out.trim()) console.log(out.trimEnd());
    return out;
  }

  /**
   * `kubectl fortisync …`: kubectl finds the plugin shim of plugins/ on PATH (as after a krew
   * install). A plugin takes no kubectl flag before its name, so the kubeconfig goes by KUBECONFIG.
   */
  async plugin(args: string[]): Promise<string> {
    console.log(dim(`$ kubectl fortisync ${args.join(' ')}`));
    try {
      const { stdout } = await execFileAsync(this.path, ['fortisync', ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          KUBECONFIG: this.kubeconfig,
          PATH: `${join(root, 'plugins')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        },
      });
      console.log(stdout.trimEnd());
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string };
      throw new Error(
        `kubectl fortisync ${args.join(' ')} failed: ${(e.stderr || e.stdout || String(err)).trim()}`,
        {
          cause: err,
        },
      );
    }
  }
}

export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
