import type { CoreV1Api } from '@kubernetes/client-node';

/**
 * Where an open FortiManager login session id is kept while it lives (ADR 0003 §5), so a process
 * started after a crash can log it out at once: FMG then drops its lock and uncommitted changes.
 */
export interface SessionStore {
  load(target: string): Promise<string | undefined>;
  /** `undefined`: the session ended (logged out); forget it. */
  save(target: string, session: string | undefined): Promise<void>;
}

/** The Secret holding one target's session id, in the operator's own namespace. */
export function sessionSecretName(target: string): string {
  return `${target}-fmg-session`.slice(0, 253);
}

const notFound = (err: unknown): boolean => (err as { code?: number }).code === 404;

/** Secrets named `<target>-fmg-session` in the operator's namespace, key `session`. */
export class KubeSessionStore implements SessionStore {
  constructor(
    private readonly core: Pick<
      CoreV1Api,
      'readNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret' | 'deleteNamespacedSecret'
    >,
    private readonly namespace: string,
  ) {}

  async load(target: string): Promise<string | undefined> {
    try {
      const s = await this.core.readNamespacedSecret({
        namespace: this.namespace,
        name: sessionSecretName(target),
      });
      const b64 = s.data?.session;
      return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  async save(target: string, session: string | undefined): Promise<void> {
    const name = sessionSecretName(target);
    if (session === undefined) {
      await this.core.deleteNamespacedSecret({ namespace: this.namespace, name }).catch((err: unknown) => {
        if (!notFound(err)) throw err;
      });
      return;
    }
    const body = {
      metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'fortisync' } },
      type: 'Opaque',
      stringData: { session },
    };
    try {
      await this.core.replaceNamespacedSecret({ namespace: this.namespace, name, body });
    } catch (err) {
      if (!notFound(err)) throw err;
      await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    }
  }
}
