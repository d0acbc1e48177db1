import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/**
 * CPU seconds every process on the machine has spent busy since boot (/proc/stat: all time but
 * idle and iowait). The difference over a window, divided by its length, is the cores in use:
 * what says whether the machine, not the operator, bounded a run.
 */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const [idle = 0, iowait = 0] = [ticks[3], ticks[4]];
  // guest and guest_nice (8, 9) are already counted in user and nice.
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - idle - iowait) / USER_HZ;
}

/** This process's CPU seconds (user + system) since `from` (a `process.cpuUsage()`). */
export function ownCpuSeconds(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
}

/** The command name and CPU seconds (user + system) of a process, from its /proc/PID/stat. */
export function parseProcStat(stat: string): { command: string; cpuSeconds: number } {
  // Fields after the command name (which may contain spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / USER_HZ, // utime, stime (fields 14, 15)
  };
}

/** CPU seconds (user + system) that the live processes with these command names have used. */
export function cpuSecondsOf(commands: readonly string[]): number {
  let seconds = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    const proc = parseProcStat(stat);
    if (commands.includes(proc.command)) seconds += proc.cpuSeconds;
  }
  return seconds;
}
