import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { Mutex } from '../../fortimanager/index.js';

/**
 * Where an open FortiManager login session id is kept while it lives (ADR 0003 §5), so a process
 * started after a crash can log it out at once: FMG then drops its lock and uncommitted changes.
 */
export interface SessionStore {
  load(target: string): Promise<string | undefined>;
  /** `undefined`: the session ended (logged out); forget it. */
  save(target: string, session: string | undefined): Promise<void>;
}

export interface SecretRef {
  namespace: string;
  name: string;
}

type SecretApi = Pick<CoreV1Api, 'readNamespacedSecret' | 'replaceNamespacedSecret'>;

const statusOf = (err: unknown): number | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
};

/** A conflicting write (another replica, an edit) is retried on a fresh read this many times. */
const ATTEMPTS = 5;

/**
 * One pre-created Secret holding every Session-mode target's session id, one key per target (a
 * target's name is a valid Secret key). The operator only reads and replaces that Secret: its
 * RBAC is `get`/`update` with `resourceNames` (config/rbac/fmg_session_role.yaml, the chart), never
 * `create` or `delete`, so it can write no other Secret. A missing Secret or permission is an error
 * naming both; the caller then runs without crash recovery (a crashed session's lock waits for FMG's
 * idle timeout).
 */
export class SecretSessionStore implements SessionStore {
  private readonly writes = new Mutex();

  constructor(
    private readonly core: SecretApi,
    private readonly ref: SecretRef,
  ) {}

  async load(target: string): Promise<string | undefined> {
    const b64 = (await this.read()).data?.[target];
    return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
  }

  save(target: string, session: string | undefined): Promise<void> {
    return this.writes.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const secret = await this.read();
        const data = { ...(secret.data ?? {}) };
        const value = session === undefined ? undefined : Buffer.from(session, 'utf8').toString('base64');
        if (data[target] === value) return;
        if (value === undefined) delete data[target];
        else data[target] = value;
        try {
          await this.core.replaceNamespacedSecret({ ...this.ref, body: { ...secret, data } });
          return;
        } catch (err) {
          if (statusOf(err) !== 409 || attempt >= ATTEMPTS) throw this.explain(err, 'update');
        }
      }
    });
  }

  private async read(): Promise<V1Secret> {
    try {
      return await this.core.readNamespacedSecret(this.ref);
    } catch (err) {
      throw this.explain(err, 'get');
    }
  }

  private explain(err: unknown, verb: 'get' | 'update'): Error {
    const where = `Secret ${this.ref.namespace}/${this.ref.name}`;
    const status = statusOf(err);
    if (status === 404)
      return new Error(
        `${where} (FortiManager session ids) does not exist: the install creates it; create an empty one or fix --fortimanager-session-secret`,
        { cause: err },
      );
    if (status === 403)
      return new Error(
        `the operator may not ${verb} ${where} (FortiManager session ids): its RBAC needs get and update on that Secret by name`,
        { cause: err },
      );
    return err instanceof Error ? err : new Error(String(err));
  }
}
