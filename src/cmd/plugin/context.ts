import type { Command } from 'commander';
import { errorText, PluginError } from './errors.js';
import { loadKubeConfig, KubeReader } from './kube.js';
import type { Io } from './output.js';

/** Options every plugin verb takes, as kubectl names them. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export function addKubeFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use')
    .option(
      '-n, --namespace <name>',
      'namespace of NAME arguments (default: the context\'s namespace, else "default")',
    );
}

export function readerFor(flags: KubeFlags): KubeReader {
  try {
    return new KubeReader(loadKubeConfig(flags));
  } catch (err) {
    throw new PluginError(
      `cannot load the kubeconfig: ${errorText(err)}`,
      'pass --kubeconfig or set KUBECONFIG',
    );
  }
}

/** The namespace of `-n`, else the kubeconfig context's, else "default" (kubectl's rule). */
export function defaultNamespace(reader: KubeReader, flags: KubeFlags): string {
  if (flags.namespace) return flags.namespace;
  const ctx = reader.kc.getContextObject(reader.kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}

/** Runs a verb: a PluginError becomes a clear message on stderr and exit code 1 (or its own). */
export function action<A extends unknown[]>(
  io: Io & { exitCode?: number },
  fn: (...args: A) => Promise<number | void>,
) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') io.exitCode = code;
    } catch (err) {
      io.exitCode = err instanceof PluginError ? err.exitCode : 1;
      const msg = errorText(err);
      io.err.write(`error: ${msg}\n`);
      if (err instanceof PluginError && err.next) io.err.write(`  next: ${err.next}\n`);
    }
  };
}
