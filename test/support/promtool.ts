import { execFileSync } from 'node:child_process';

/** The path of a command on PATH, or undefined (Debian's prometheus package ships both). */
export function which(command: 'promtool' | 'prometheus'): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why a test that needs the command skips, printed once so a skip never passes unnoticed. */
export function missing(command: 'promtool' | 'prometheus'): string | undefined {
  if (which(command)) return undefined;
  const why = `${command} is not installed: run \`make promtool\` (Debian's prometheus package); skipping`;
  console.warn(why);
  return why;
}
