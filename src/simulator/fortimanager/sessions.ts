import { randomBytes } from 'node:crypto';
import { FMG, fail } from './codes.js';

export type RpcPermit = 'read-write' | 'read' | 'none';

/** An FMG administrator: a password for session login, an API key for Bearer, or both. */
export interface AdminSpec {
  name: string;
  password?: string;
  /** FMG ≥ 7.2.2 API admin (`user_type api`): `Authorization: Bearer <key>`, no login. */
  apiKey?: string;
  /** `rpc-permit`; read-write by default. */
  permit?: RpcPermit;
  /** ADOMs this admin may use; all when absent. */
  adoms?: readonly string[];
}

/** Who a request acts as. API-key requests share one lasting pseudo-session per admin. */
export interface Session {
  sid: number;
  /** The opaque string a client echoes in `session`; absent for API-key requests. */
  token?: string;
  admin: AdminSpec;
  viaApiKey: boolean;
  lastUsed: number;
  startedAt: number;
}

export interface SessionOptions {
  admins: readonly AdminSpec[];
  /** `idle_timeout_api`; FMG's default is 900 s. */
  idleTimeoutMs: number;
  /** `login-max`: sessions open at once. */
  loginMax: number;
  now: () => number;
  /** Called when a session ends (logout, expiry) so its locks are released. */
  onEnd: (session: Session) => void;
}

export class SessionRegistry {
  private readonly byToken = new Map<string, Session>();
  private readonly apiSessions = new Map<string, Session>();
  private nextSid = 1;

  constructor(private readonly options: SessionOptions) {}

  /** `exec sys/login/user`: a new session, or -22 / -11 (rpc-permit none) / -23 (login-max). */
  login(user: unknown, password: unknown): Session {
    const admin = this.options.admins.find((a) => a.name === user);
    if (!admin || admin.password === undefined || admin.password !== password) fail(FMG.loginFail);
    if ((admin.permit ?? 'read-write') === 'none') fail(FMG.noPermission);
    this.expireIdle();
    if (this.byToken.size >= this.options.loginMax) fail(FMG.loginLimit);
    const now = this.options.now();
    const session: Session = {
      sid: this.nextSid++,
      token: randomBytes(48).toString('base64'),
      admin,
      viaApiKey: false,
      lastUsed: now,
      startedAt: now,
    };
    this.byToken.set(session.token as string, session);
    return session;
  }

  /**
   * The session a request acts as: a valid Bearer API key first, then the `session` string. Basic
   * authorization (Ansible sends it on every request) is ignored, as FMG ignores it.
   */
  resolve(sessionToken: unknown, authorization: string | undefined): Session | undefined {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (bearer !== undefined) return this.apiSession(bearer);
    if (typeof sessionToken !== 'string') return undefined;
    const session = this.byToken.get(sessionToken);
    if (!session) return undefined;
    const now = this.options.now();
    if (now - session.lastUsed > this.options.idleTimeoutMs) {
      this.end(session);
      return undefined;
    }
    session.lastUsed = now;
    return session;
  }

  logout(session: Session): void {
    if (!session.viaApiKey) this.end(session);
  }

  /** Every open login session (API-key pseudo-sessions are not sessions on FMG). */
  list(): Session[] {
    return [...this.byToken.values()];
  }

  /** Ends sessions idle for longer than the timeout, releasing their locks. */
  expireIdle(): void {
    const now = this.options.now();
    for (const s of this.list()) if (now - s.lastUsed > this.options.idleTimeoutMs) this.end(s);
  }

  /** Test hook: ends login sessions now (of one admin, or all), as an idle timeout would. */
  expire(adminName?: string): number {
    const victims = this.list().filter((s) => adminName === undefined || s.admin.name === adminName);
    for (const s of victims) this.end(s);
    return victims.length;
  }

  clear(): void {
    for (const s of this.list()) this.end(s);
    this.apiSessions.clear();
  }

  private apiSession(key: string): Session | undefined {
    const admin = this.options.admins.find((a) => a.apiKey !== undefined && a.apiKey === key);
    if (!admin || (admin.permit ?? 'read-write') === 'none') return undefined;
    let session = this.apiSessions.get(admin.name);
    const now = this.options.now();
    if (!session) {
      session = { sid: this.nextSid++, admin, viaApiKey: true, lastUsed: now, startedAt: now };
      this.apiSessions.set(admin.name, session);
    }
    session.lastUsed = now;
    return session;
  }

  /** Ends one session now, as an idle timeout would (its locks go, uncommitted changes too). */
  end(session: Session): void {
    if (session.token !== undefined) this.byToken.delete(session.token);
    if (session.viaApiKey) this.apiSessions.delete(session.admin.name);
    this.options.onEnd(session);
  }
}
