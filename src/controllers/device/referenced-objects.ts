import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import { StreamingWatch } from '../../runtime/kube-watch.js';
import type { Logger } from 'winston';
import { Informer } from '../../runtime/informer.js';

export type RefKind = 'Secret' | 'ConfigMap';

export interface KeyRef {
  kind: RefKind;
  namespace: string;
  name: string;
  key: string;
}

/** A referenced Secret or ConfigMap key that cannot be used, with a reason for a condition. */
export class ReferenceProblem extends Error {
  constructor(
    readonly reason:
      | 'SecretNotFound'
      | 'SecretKeyMissing'
      | 'ConfigMapNotFound'
      | 'ConfigMapKeyMissing'
      | 'SecretUnreadable'
      | 'ConfigMapUnreadable'
      | 'SecretNotAllowed'
      | 'ConfigMapNotAllowed',
    message: string,
  ) {
    super(message);
  }
}

type Obj = V1Secret | V1ConfigMap;

const objectId = (ref: Pick<KeyRef, 'kind' | 'namespace' | 'name'>): string =>
  `${ref.kind}/${ref.namespace}/${ref.name}`;

/**
 * Reads the Secrets and ConfigMaps devices reference, and watches each one by name, so a rotated
 * token is picked up at once. Needs only `get` and `watch` on them (never `list`): each "list" is a
 * GET of the one object, and the watch is narrowed with a field selector on its name.
 */
export class ReferencedObjects {
  private readonly watchers = new Map<string, Informer<Obj>>();
  /** Objects the API server refused to show us (403), with its message, until a read succeeds. */
  private readonly refused = new Map<string, string>();
  private readonly refusalWaiters = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly core: CoreV1Api;
  private readonly watch: StreamingWatch;

  private readonly onSecretValue: (value: string) => void;
  private readonly allowedNamespaces: ReadonlySet<string> | undefined;

  constructor(
    kc: KubeConfig,
    private readonly logger: Logger,
    private readonly onChange: (id: { kind: RefKind; namespace: string; name: string }) => void,
    options: {
      /** Sees every value read from a Secret (the operator redacts them from its logs). */
      onSecretValue?: (value: string) => void;
      /** The only namespaces it may read (the install's RBAC); undefined: any. */
      allowedNamespaces?: readonly string[];
    } = {},
  ) {
    this.onSecretValue = options.onSecretValue ?? (() => {});
    this.allowedNamespaces = options.allowedNamespaces ? new Set(options.allowedNamespaces) : undefined;
    this.core = kc.makeApiClient(CoreV1Api);
    this.watch = new StreamingWatch(kc);
  }

  /** The value of the key (decoded), after the object's first read. */
  async value(ref: KeyRef, signal?: AbortSignal): Promise<string> {
    if (this.allowedNamespaces && !this.allowedNamespaces.has(ref.namespace)) {
      // Not even asked: no watch, no GET of an object outside what the install may read.
      throw new ReferenceProblem(
        ref.kind === 'Secret' ? 'SecretNotAllowed' : 'ConfigMapNotAllowed',
        `${ref.kind} ${ref.namespace}/${ref.name} is outside the namespaces this installation reads credentials from (${[...this.allowedNamespaces].join(', ')})`,
      );
    }
    const informer = this.watcherFor(ref);
    const id = objectId(ref);
    // A refused read never syncs (the informer retries it with backoff): answer at once instead of
    // holding a device worker forever.
    const synced = await Promise.race([informer.waitForSync(signal), this.refusal(id).then(() => false)]);
    const what = `${ref.kind} ${ref.namespace}/${ref.name}`;
    const denied = this.refused.get(id);
    if (!synced && denied !== undefined) {
      throw new ReferenceProblem(
        ref.kind === 'Secret' ? 'SecretUnreadable' : 'ConfigMapUnreadable',
        `the operator may not read ${what} (${denied})`,
      );
    }
    const obj = informer.get(`${ref.namespace}/${ref.name}`);
    if (!obj) {
      throw new ReferenceProblem(
        ref.kind === 'Secret' ? 'SecretNotFound' : 'ConfigMapNotFound',
        `${what} does not exist (or the operator may not read it)`,
      );
    }
    const raw =
      ref.kind === 'Secret'
        ? (decodeSecret((obj as V1Secret).data?.[ref.key]) ?? (obj as V1Secret).stringData?.[ref.key])
        : (obj as V1ConfigMap).data?.[ref.key];
    const value = raw?.trim();
    if (!value) {
      throw new ReferenceProblem(
        ref.kind === 'Secret' ? 'SecretKeyMissing' : 'ConfigMapKeyMissing',
        `${what} has no key "${ref.key}" (or it is empty)`,
      );
    }
    if (ref.kind === 'Secret') this.onSecretValue(value);
    return value;
  }

  /** Stops watching objects no device references any more. */
  retain(refs: Iterable<Pick<KeyRef, 'kind' | 'namespace' | 'name'>>): void {
    const keep = new Set([...refs].map(objectId));
    for (const [id, informer] of this.watchers) {
      if (!keep.has(id)) {
        void informer.stop();
        this.watchers.delete(id);
      }
    }
  }

  private refusal(id: string): Promise<void> {
    let waiter = this.refusalWaiters.get(id);
    if (!waiter) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      waiter = { promise, resolve };
      this.refusalWaiters.set(id, waiter);
    }
    if (this.refused.has(id)) waiter.resolve();
    return waiter.promise;
  }

  private markRefused(id: string, err: unknown): void {
    this.refused.set(id, `403 Forbidden: ${forbiddenMessage(err)}`);
    this.refusalWaiters.get(id)?.resolve();
  }

  private clearRefusal(id: string): void {
    this.refused.delete(id);
    this.refusalWaiters.delete(id);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((i) => i.stop()));
    this.watchers.clear();
  }

  private watcherFor(ref: KeyRef): Informer<Obj> {
    const id = objectId(ref);
    let informer = this.watchers.get(id);
    if (informer) return informer;
    const { kind, namespace, name } = ref;
    const plural = kind === 'Secret' ? 'secrets' : 'configmaps';
    informer = new Informer<Obj>({
      name: `${plural}/${namespace}/${name}`,
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/${plural}`,
      fieldSelector: `metadata.name=${name}`,
      watch: this.watch,
      logger: this.logger,
      listFn: async () => {
        try {
          const obj =
            kind === 'Secret'
              ? await this.core.readNamespacedSecret({ namespace, name })
              : await this.core.readNamespacedConfigMap({ namespace, name });
          this.clearRefusal(id);
          return { items: [obj], metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' } };
        } catch (err) {
          if ((err as { code?: number }).code === 403) this.markRefused(id, err);
          // Absent is a state, not a failure: the watch will tell us when it appears.
          if ((err as { code?: number }).code === 404) {
            this.clearRefusal(id);
            return { items: [], metadata: { resourceVersion: '' } };
          }
          throw err;
        }
      },
    });
    const changed = (): void => this.onChange({ kind, namespace, name });
    informer.onAdd(changed);
    informer.onUpdate(changed);
    informer.onDelete(changed);
    informer.start();
    this.watchers.set(id, informer);
    return informer;
  }
}

/** 403 Forbidden from the API server, as client-node reports it. */
function forbiddenMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  try {
    return (JSON.parse(text) as { message?: string }).message ?? 'forbidden';
  } catch {
    return 'forbidden';
  }
}

function decodeSecret(b64: string | undefined): string | undefined {
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}
