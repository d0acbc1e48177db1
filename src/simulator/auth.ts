import { BlockList } from 'node:net';
import { parseIPv4Subnet, parseIPv6Prefix } from '../fortigate/subnet.js';

/** An API admin's token and what it may do. */
export interface TokenSpec {
  token: string;
  /** Writes answer 403, as for an admin profile without write permission. */
  readOnly?: boolean;
  /** VDOMs this admin may use; all when omitted. */
  vdoms?: string[];
  /** Trusted hosts of this admin (`10.0.0.0/8`, `10.0.0.0 255.0.0.0`, `2001:db8::/32`). */
  trustedHosts?: string[];
}

export interface LockoutPolicy {
  /** Failed logins within `windowMs` that lock a source out. */
  threshold: number;
  windowMs: number;
  durationMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 3, windowMs: 60_000, durationMs: 60_000 };

export interface AuthOptions {
  tokens: readonly (string | TokenSpec)[];
  /** Trusted hosts applying to every token that names none of its own. */
  trustedHosts?: readonly string[];
  allowUrlToken: boolean;
  lockout: LockoutPolicy;
  now: () => number;
}

export type AuthOutcome =
  | { ok: true; token: TokenSpec }
  | {
      ok: false;
      status: 401 | 429;
      reason: 'locked-out' | 'no-token' | 'bad-token' | 'url-token-refused' | 'untrusted-host';
    };

export function normaliseIp(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Builds a matcher for FortiOS-style trusted hosts; throws on an entry it cannot read. */
export function trustedHostMatcher(hosts: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const host of hosts) {
    const v4 = parseIPv4Subnet(host);
    if (v4.ok) {
      list.addSubnet(v4.ip, v4.prefix, 'ipv4');
      continue;
    }
    const v6 = parseIPv6Prefix(host);
    if (!v6.ok) throw new RangeError(`invalid trusted host: ${host}`);
    list.addSubnet(v6.ip, v6.prefix, 'ipv6');
  }
  return (ip) => list.check(ip, ip.includes(':') ? 'ipv6' : 'ipv4');
}

interface SourceRecord {
  failures: number[];
  lockedUntil: number;
}

/** Token checks, trusted hosts and the failed-login lockout, per source address. */
export class Authenticator {
  private readonly tokens: Map<string, { spec: TokenSpec; trusted?: (ip: string) => boolean }>;
  private readonly sources = new Map<string, SourceRecord>();
  /** Tokens an admin revoked (the API admin deleted or its key regenerated): refused as unknown. */
  private readonly revoked = new Set<string>();

  constructor(private readonly options: AuthOptions) {
    this.tokens = new Map(
      options.tokens.map((t) => {
        const spec = typeof t === 'string' ? { token: t } : t;
        const hosts = spec.trustedHosts ?? options.trustedHosts;
        return [
          spec.token,
          { spec, trusted: hosts && hosts.length > 0 ? trustedHostMatcher(hosts) : undefined },
        ];
      }),
    );
  }

  /** Whether a token is known at all (the control API accepts API tokens when it has none of its own). */
  knows(token: string): boolean {
    return this.tokens.has(token);
  }

  check(sourceIp: string, authorization: string | undefined, urlToken: string | null): AuthOutcome {
    if (this.isLockedOut(sourceIp)) return { ok: false, status: 429, reason: 'locked-out' };
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    if (bearer === undefined && urlToken !== null && !this.options.allowUrlToken) {
      return this.fail(sourceIp, 'url-token-refused');
    }
    const token = bearer ?? urlToken ?? undefined;
    if (token === undefined) return this.fail(sourceIp, 'no-token');
    const known = this.revoked.has(token) ? undefined : this.tokens.get(token);
    if (!known) return this.fail(sourceIp, 'bad-token');
    if (known.trusted && !known.trusted(sourceIp)) return this.fail(sourceIp, 'untrusted-host');
    return { ok: true, token: known.spec };
  }

  isLockedOut(sourceIp: string): boolean {
    const record = this.sources.get(sourceIp);
    return record !== undefined && this.options.now() < record.lockedUntil;
  }

  lockout(sourceIp: string, durationMs = this.options.lockout.durationMs): void {
    this.record(sourceIp).lockedUntil = this.options.now() + durationMs;
  }

  clear(): void {
    this.sources.clear();
  }

  /** The token is refused from now on (until `restore`), as after the admin regenerated the key. */
  revoke(token: string): void {
    this.revoked.add(token);
  }

  restore(token: string): void {
    this.revoked.delete(token);
  }

  lockedOutSources(): { ip: string; until: number }[] {
    const now = this.options.now();
    return [...this.sources]
      .filter(([, r]) => r.lockedUntil > now)
      .map(([ip, r]) => ({ ip, until: r.lockedUntil }));
  }

  private record(sourceIp: string): SourceRecord {
    let record = this.sources.get(sourceIp);
    if (!record) this.sources.set(sourceIp, (record = { failures: [], lockedUntil: 0 }));
    return record;
  }

  private fail(
    sourceIp: string,
    reason: 'no-token' | 'bad-token' | 'url-token-refused' | 'untrusted-host',
  ): AuthOutcome {
    const now = this.options.now();
    const { threshold, windowMs, durationMs } = this.options.lockout;
    const record = this.record(sourceIp);
    record.failures = record.failures.filter((t) => now - t < windowMs);
    record.failures.push(now);
    if (record.failures.length >= threshold) {
      record.lockedUntil = now + durationMs;
      record.failures = [];
    }
    return { ok: false, status: 401, reason };
  }
}
