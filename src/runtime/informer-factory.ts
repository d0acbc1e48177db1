import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  type V1Namespace,
  type V1Node,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
// The generated model serializer is not re-exported from the package root. Watch events arrive
// as wire JSON while typed list calls return decoded models (Date timestamps…); decoding watch
// objects with the very serializer the typed API uses keeps one representation in the cache.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { StreamingWatch } from './kube-watch.js';
import { Informer, type InformerOptions, type ListResult, type WatchLike } from './informer.js';
import type { IndexFn } from './store.js';

export interface KindInformerOptions<T> extends Omit<
  InformerOptions<T>,
  'name' | 'path' | 'listFn' | 'watch' | 'decode'
> {
  name?: string;
  /** Restrict to one namespace (namespaced kinds); all namespaces by default. */
  namespace?: string;
  /** Page size for list calls (default 500); big clusters are listed in chunks. */
  pageSize?: number;
  /** Defaults to client-node's Watch on the same KubeConfig. */
  watch?: WatchLike;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  plural: string;
}

interface PageQuery {
  limit: number;
  _continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

interface Page<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
}

type PageSelectors = { labelSelector?: string; fieldSelector?: string; pageSize?: number };

/** Lists every page; the resourceVersion of the last page is the snapshot all pages belong to. */
export function listAllPages<T>(
  fetchPage: (q: PageQuery) => Promise<Page<T>>,
  selectors: PageSelectors,
): Promise<ListResult<T>>;
/**
 * …and decodes each page's items after asking for the next one: the API server encodes a page
 * while the one before is decoded.
 */
export function listAllPages<T, R>(
  fetchPage: (q: PageQuery) => Promise<Page<R>>,
  selectors: PageSelectors,
  decode: (raw: R) => T,
): Promise<ListResult<T>>;
export async function listAllPages<T, R>(
  fetchPage: (q: PageQuery) => Promise<Page<R>>,
  selectors: PageSelectors,
  decode: (raw: R) => T = (raw) => raw as unknown as T,
): Promise<ListResult<T>> {
  const ask = (token: string | undefined): Promise<Page<R>> =>
    fetchPage({
      limit: selectors.pageSize ?? 500,
      ...(token ? { _continue: token } : {}),
      ...(selectors.labelSelector ? { labelSelector: selectors.labelSelector } : {}),
      ...(selectors.fieldSelector ? { fieldSelector: selectors.fieldSelector } : {}),
    });
  const items: T[] = [];
  let resourceVersion: string | undefined;
  let next: Promise<Page<R>> | undefined = ask(undefined);
  while (next) {
    const page: Page<R> = await next;
    resourceVersion = page.metadata?.resourceVersion;
    const token = page.metadata?._continue || page.metadata?.continue || undefined;
    next = token ? ask(token) : undefined;
    // If decoding throws, the page asked for meanwhile is abandoned: its failure is not ours to report.
    next?.catch(() => undefined);
    for (const raw of page.items ?? []) items.push(decode(raw));
  }
  return { items, metadata: resourceVersion !== undefined ? { resourceVersion } : {} };
}

function decoder<T>(model: string): (raw: unknown) => T {
  return (raw) => ObjectSerializer.deserialize(raw, model, '') as T;
}

/**
 * Drops `metadata.managedFields` from an object the cache will keep, as controller-runtime's
 * `TransformStripManagedFields` does: no reconciler reads them, and a mapping's field-manager
 * entries (a nested object per field its status writes set) cost about 4.3 KB of heap each
 * (bench/README.md). Writes are unaffected: patches never carry them, and an update without them
 * leaves the server's as they are.
 */
export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  // Set to undefined, not deleted: `delete` turns every mapping's metadata into a slow
  // dictionary-mode object (checked with %HasFastProperties), one more hash table per object.
  if (obj.metadata?.managedFields !== undefined) obj.metadata.managedFields = undefined;
  return obj;
}

function coreInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: { plural: string; model: string; namespaced: boolean },
  fetchPage: (api: CoreV1Api, q: PageQuery, namespace: string | undefined) => Promise<Page<T>>,
  opts: KindInformerOptions<T>,
): Informer<T> {
  const { namespace, pageSize, watch, name, ...rest } = opts;
  const ns = kind.namespaced ? namespace : undefined;
  const api = kc.makeApiClient(CoreV1Api);
  const decode = decoder<T>(kind.model);
  return new Informer<T>({
    ...rest,
    name: name ?? (ns ? `${kind.plural}/${ns}` : kind.plural),
    path: ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/${kind.plural}` : `/api/v1/${kind.plural}`,
    listFn: () =>
      listAllPages(
        (q) => fetchPage(api, q, ns),
        { ...opts, pageSize },
        (obj: T) => stripManagedFields(obj),
      ),
    watch: watch ?? new StreamingWatch(kc),
    decode: (raw) => stripManagedFields(decode(raw)),
  });
}

export function podInformer(kc: KubeConfig, opts: KindInformerOptions<V1Pod> = {}): Informer<V1Pod> {
  return coreInformer(
    kc,
    { plural: 'pods', model: 'V1Pod', namespaced: true },
    (api, q, ns) => (ns ? api.listNamespacedPod({ ...q, namespace: ns }) : api.listPodForAllNamespaces(q)),
    opts,
  );
}

export function nodeInformer(kc: KubeConfig, opts: KindInformerOptions<V1Node> = {}): Informer<V1Node> {
  return coreInformer(
    kc,
    { plural: 'nodes', model: 'V1Node', namespaced: false },
    (api, q) => api.listNode(q),
    opts,
  );
}

export function namespaceInformer(
  kc: KubeConfig,
  opts: KindInformerOptions<V1Namespace> = {},
): Informer<V1Namespace> {
  return coreInformer(
    kc,
    { plural: 'namespaces', model: 'V1Namespace', namespaced: false },
    (api, q) => api.listNamespace(q),
    opts,
  );
}

export function secretInformer(kc: KubeConfig, opts: KindInformerOptions<V1Secret> = {}): Informer<V1Secret> {
  return coreInformer(
    kc,
    { plural: 'secrets', model: 'V1Secret', namespaced: true },
    (api, q, ns) =>
      ns ? api.listNamespacedSecret({ ...q, namespace: ns }) : api.listSecretForAllNamespaces(q),
    opts,
  );
}

/** Informer for a custom resource; objects stay plain JSON (there is no generated model). */
export function customResourceInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  gvr: GroupVersionResource,
  opts: KindInformerOptions<T> = {},
): Informer<T> {
  const { namespace, pageSize, watch, name, ...rest } = opts;
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = `/apis/${gvr.group}/${gvr.version}`;
  return new Informer<T>({
    ...rest,
    name: name ?? `${gvr.plural}.${gvr.group}${namespace ? `/${namespace}` : ''}`,
    path: namespace
      ? `${base}/namespaces/${encodeURIComponent(namespace)}/${gvr.plural}`
      : `${base}/${gvr.plural}`,
    listFn: () =>
      listAllPages(
        (q) =>
          (namespace
            ? api.listNamespacedCustomObject({ ...gvr, ...q, namespace })
            : api.listClusterCustomObject({ ...gvr, ...q })) as Promise<Page<T>>,
        { ...opts, pageSize },
        (obj: T) => stripManagedFields(obj),
      ),
    watch: watch ?? new StreamingWatch(kc),
    decode: (raw) => stripManagedFields(raw as T),
  });
}

/** Index of pods by the node they are scheduled on (unscheduled pods are not indexed). */
export const podNodeNameIndex: IndexFn<V1Pod> = (pod) => (pod.spec?.nodeName ? [pod.spec.nodeName] : []);
