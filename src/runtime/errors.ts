/**
 * An error that retrying cannot fix (invalid spec, a name the firewall will never accept…). The
 * controller logs and counts it but does not requeue the key; a later change to the object or
 * its dependencies enqueues it again.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** True if `err` or any error in its `cause` chain is a TerminalError (like errors.Is in Go). */
export function isTerminalError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 32; depth++) {
    if (e instanceof TerminalError) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
