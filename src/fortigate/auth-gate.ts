import { createHash } from 'node:crypto';

/**
 * FortiOS locks a source address out after 3 failed logins within 60 s, counting every API admin
 * and every request from that address. The gate keeps fortisync below that: at most
 * `failureBudget` refused requests per host within `windowMs`, whatever the number of devices,
 * clients or requests in flight.
 */
export const AUTH_FAILURE_BUDGET = 2;
/** FortiOS' 60 s window, with a margin for clocks that disagree. */
export const AUTH_WINDOW_MS = 65_000;
/** A credential with no success for this long proves itself again with one request before a burst. */
export const AUTH_PROOF_TTL_MS = 10_000;

export interface AuthGateOptions {
  /** After a 401 a credential is not tried again for this long; after a 429 the whole host. */
  retryAfterMs: number;
  failureBudget?: number;
  windowMs?: number;
  proofTtlMs?: number;
  now?: () => number;
}

export type AuthOutcome = 'ok' | 'unauthorized' | 'locked-out' | 'other';

/** A request admitted by the gate; `done` must be called once with what the device answered. */
export interface AuthTicket {
  done(outcome: AuthOutcome): void;
}

/** The gate holds requests to this host (with this credential) until `untilMs`. */
export class AuthHeldError extends Error {
  constructor(
    readonly kind: 'unauthorized' | 'locked-out',
    readonly untilMs: number,
  ) {
    super(
      kind === 'locked-out'
        ? 'the device locked this source out moments ago (waiting to avoid a longer lockout)'
        : 'the token was refused moments ago (waiting to avoid a lockout)',
    );
  }
}

interface CredentialState {
  lastSuccessMs: number | undefined;
  refusedUntilMs: number;
  /** The one request proving an unproven credential; the others wait for it. */
  probe: Promise<void> | undefined;
}

interface HostState {
  /** When requests to this host were refused (401), within the window. */
  failures: number[];
  lockedUntilMs: number;
  probesInFlight: number;
  credentials: Map<string, CredentialState>;
}

/**
 * One per process, shared by every FortiOS client: keyed by host:port, so devices on one FortiGate
 * and a client rebuilt after an unrelated spec change see the same failures.
 *
 * A credential is unproven after start, after a token change, after a refusal and after
 * `proofTtlMs` without a success: then one request goes out and the others wait for its answer;
 * a success opens the credential fully. A probe is only sent while one more failure stays within
 * the host's budget, so a new token cannot undo the wait a refused one started.
 */
export class AuthGate {
  private readonly hosts = new Map<string, HostState>();
  private readonly now: () => number;
  private readonly budget: number;
  private readonly windowMs: number;
  private readonly proofTtlMs: number;

  constructor(private readonly options: AuthGateOptions) {
    this.now = options.now ?? Date.now;
    this.budget = options.failureBudget ?? AUTH_FAILURE_BUDGET;
    this.windowMs = options.windowMs ?? AUTH_WINDOW_MS;
    this.proofTtlMs = options.proofTtlMs ?? AUTH_PROOF_TTL_MS;
  }

  /** Resolves once a request may go out; throws AuthHeldError while the gate holds it. */
  async admit(baseUrl: string, token: string, signal?: AbortSignal): Promise<AuthTicket> {
    const host = this.host(hostKey(baseUrl));
    const cred = credentialOf(host, token);
    for (;;) {
      signal?.throwIfAborted();
      const held = this.heldUntil(host, cred);
      if (held) throw held;
      if (this.proven(cred)) return { done: (o) => this.record(host, cred, o) };
      if (!cred.probe) return this.startProbe(host, cred);
      await waitFor(cred.probe, signal);
    }
  }

  /** When a request to this host with this token could go out again; 0 when it could now. */
  blockedUntilMs(baseUrl: string, token: string): number {
    const host = this.hosts.get(hostKey(baseUrl));
    if (!host) return 0;
    return this.heldUntil(host, credentialOf(host, token))?.untilMs ?? 0;
  }

  private heldUntil(host: HostState, cred: CredentialState): AuthHeldError | undefined {
    const now = this.now();
    if (host.lockedUntilMs > now) return new AuthHeldError('locked-out', host.lockedUntilMs);
    if (cred.refusedUntilMs > now) return new AuthHeldError('unauthorized', cred.refusedUntilMs);
    if (this.proven(cred) || cred.probe) return undefined;
    host.failures = host.failures.filter((t) => now - t < this.windowMs);
    if (host.failures.length + host.probesInFlight < this.budget) return undefined;
    // A probe could be one failure too many: wait until the oldest failure leaves the window.
    const oldest = host.failures[0];
    return new AuthHeldError('unauthorized', oldest !== undefined ? oldest + this.windowMs : now + 1000);
  }

  private proven(cred: CredentialState): boolean {
    return cred.lastSuccessMs !== undefined && this.now() - cred.lastSuccessMs < this.proofTtlMs;
  }

  private startProbe(host: HostState, cred: CredentialState): AuthTicket {
    let settle: () => void = () => {};
    cred.probe = new Promise<void>((r) => (settle = r));
    host.probesInFlight++;
    let open = true;
    return {
      done: (outcome) => {
        if (!open) return;
        open = false;
        this.record(host, cred, outcome);
        host.probesInFlight--;
        cred.probe = undefined;
        settle();
      },
    };
  }

  private record(host: HostState, cred: CredentialState, outcome: AuthOutcome): void {
    const now = this.now();
    if (outcome === 'ok') {
      cred.lastSuccessMs = now;
      return;
    }
    if (outcome === 'unauthorized') {
      host.failures.push(now);
      cred.lastSuccessMs = undefined;
      cred.refusedUntilMs = Math.max(cred.refusedUntilMs, now + this.options.retryAfterMs);
    }
    if (outcome === 'locked-out') {
      cred.lastSuccessMs = undefined;
      host.lockedUntilMs = Math.max(host.lockedUntilMs, now + this.options.retryAfterMs);
    }
  }

  private host(key: string): HostState {
    let h = this.hosts.get(key);
    if (!h) {
      h = { failures: [], lockedUntilMs: 0, probesInFlight: 0, credentials: new Map() };
      this.hosts.set(key, h);
    }
    return h;
  }
}

/** `fw.example:443`: the port made explicit, so `https://fw` and `https://fw:443` are one host. */
export function hostKey(baseUrl: string): string {
  const url = new URL(baseUrl);
  const port = url.port || (url.protocol === 'http:' ? '80' : '443');
  return `${url.hostname.toLowerCase()}:${port}`;
}

function credentialOf(host: HostState, token: string): CredentialState {
  // Keyed by a hash: the gate keeps no copy of the token.
  const key = createHash('sha256').update(token).digest('hex');
  let c = host.credentials.get(key);
  if (!c) {
    c = { lastSuccessMs: undefined, refusedUntilMs: 0, probe: undefined };
    host.credentials.set(key, c);
  }
  return c;
}

function waitFor(probe: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return probe;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void probe.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
