/** A failed install is tried again after this long, doubling up to INSTALL_RETRY_MAX_MS (ADR §6). */
export const INSTALL_RETRY_BASE_MS = 60_000;
export const INSTALL_RETRY_MAX_MS = 3_600_000;

/** What the schedule knows of one package of one target. */
export interface PackageInstallState {
  /** Objects changed since the last install started: they wait for the next one. */
  pending: boolean;
  running: boolean;
  lastStartMs?: number;
  /** Consecutive installs that failed (0 after a success). */
  failures: number;
  /** When the latest install that succeeded had started (what it carried was committed before). */
  lastDoneStartMs?: number;
}

/**
 * When the package's next install may start, or undefined when none is needed (nothing pending, or
 * one is running: changes meanwhile go in the next). Pure. At most one start per coalescing window,
 * and after a failure not before the backoff (1 min … 1 h), so a broken package never loops.
 */
export function nextInstallAt(s: PackageInstallState, coalesceMs: number, now: number): number | undefined {
  if (!s.pending || s.running) return undefined;
  if (s.lastStartMs === undefined) return now;
  const window = s.lastStartMs + coalesceMs;
  const backoff =
    s.failures > 0
      ? s.lastStartMs + Math.min(INSTALL_RETRY_MAX_MS, INSTALL_RETRY_BASE_MS * 2 ** (s.failures - 1))
      : now;
  return Math.max(now, window, backoff);
}
