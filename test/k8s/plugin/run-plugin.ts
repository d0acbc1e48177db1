import { Writable } from 'node:stream';
import { buildProgram } from '../../../src/cmd/program.js';

/** Collects what a verb writes; not a TTY, so no colour and no progress indicator. */
class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export interface PluginResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fortisync <args>` in this process against the run's API server (the user's kubeconfig). */
export async function runPlugin(
  args: string[],
  kubeconfig = process.env.FORTISYNC_TEST_KUBECONFIG,
): Promise<PluginResult> {
  if (!kubeconfig) throw new Error('FORTISYNC_TEST_KUBECONFIG is not set: run in the Jest project "k8s"');
  const out = new Capture();
  const err = new Capture();
  const io: { out: Capture; err: Capture; exitCode?: number } = { out, err };
  await buildProgram(io).parseAsync(['node', 'fortisync', ...args, `--kubeconfig=${kubeconfig}`]);
  return { code: io.exitCode ?? 0, stdout: out.text, stderr: err.text };
}
