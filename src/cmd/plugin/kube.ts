import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  type EventsV1Event,
  type V1Lease,
  type V1Namespace,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../api/v1alpha1/common.js';
import { DEVICE_PLURAL, type FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import {
  MAPPING_PLURAL,
  type FortiGateEndpointMapping,
} from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  FORTIMANAGER_TARGET_PLURAL,
  type FortiManagerTarget,
} from '../../api/v1alpha1/fortimanager-target.js';
import { kubeError, kubeStatus } from './errors.js';

export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
}

/** The user's kubeconfig (`--kubeconfig`, else $KUBECONFIG, else ~/.kube/config) and context. */
export function loadKubeConfig(opts: KubeOptions): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

async function asUser<T>(verb: string, resource: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw kubeError(err, verb, resource);
  }
}

/** Read-only access to the cluster with the user's own permissions; every failure says which one. */
export class KubeReader {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  pods(): Promise<V1Pod[]> {
    return asUser(
      'list',
      'pods --all-namespaces',
      async () => (await this.core.listPodForAllNamespaces()).items,
    );
  }

  pod(namespace: string, name: string): Promise<V1Pod> {
    return asUser('get', `pod ${namespace}/${name}`, () => this.core.readNamespacedPod({ namespace, name }));
  }

  nodes(): Promise<V1Node[]> {
    return asUser('list', 'nodes', async () => (await this.core.listNode()).items);
  }

  namespaces(): Promise<V1Namespace[]> {
    return asUser('list', 'namespaces', async () => (await this.core.listNamespace()).items);
  }

  mappings(): Promise<FortiGateEndpointMapping[]> {
    return this.listCustom<FortiGateEndpointMapping>(MAPPING_PLURAL, ' --all-namespaces');
  }

  devices(): Promise<FortiGateDevice[]> {
    return this.listCustom<FortiGateDevice>(DEVICE_PLURAL, '');
  }

  /** FortiManagerTargets; none where the cluster's CRDs predate the kind (404). */
  async targets(): Promise<FortiManagerTarget[]> {
    try {
      const list = (await this.custom.listClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: FORTIMANAGER_TARGET_PLURAL,
      })) as { items: FortiManagerTarget[] };
      return list.items;
    } catch (err) {
      if (kubeStatus(err) === 404) return [];
      throw kubeError(err, 'list', FORTIMANAGER_TARGET_PLURAL);
    }
  }

  target(name: string): Promise<FortiManagerTarget> {
    return asUser(
      'get',
      `fortimanagertarget ${name}`,
      () =>
        this.custom.getClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: FORTIMANAGER_TARGET_PLURAL,
          name,
        }) as Promise<FortiManagerTarget>,
    );
  }

  private async listCustom<T>(plural: string, scope: string): Promise<T[]> {
    const list = (await asUser('list', `${plural}${scope}`, () =>
      this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
    )) as { items: T[] };
    return list.items;
  }

  device(name: string): Promise<FortiGateDevice> {
    return asUser(
      'get',
      `fortigatedevice ${name}`,
      () =>
        this.custom.getClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural: DEVICE_PLURAL,
          name,
        }) as Promise<FortiGateDevice>,
    );
  }

  /** One key of a Secret, read with the user's permissions (the device token lives there). */
  async secretValue(namespace: string, name: string, key: string): Promise<string> {
    const secret = await asUser('get', `secret ${namespace}/${name}`, () =>
      this.core.readNamespacedSecret({ namespace, name }),
    );
    return Buffer.from(keyOf(secret.data, key, `secret ${namespace}/${name}`), 'base64').toString('utf8');
  }

  async configMapValue(namespace: string, name: string, key: string): Promise<string> {
    const cm = await asUser('get', `configmap ${namespace}/${name}`, () =>
      this.core.readNamespacedConfigMap({ namespace, name }),
    );
    return keyOf(cm.data, key, `configmap ${namespace}/${name}`);
  }

  /** The leader election Lease, or undefined when it does not exist. */
  async lease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace, name });
    } catch (err) {
      if (kubeStatus(err) === 404) return undefined;
      throw kubeError(err, 'get', `lease ${namespace}/${name}`);
    }
  }

  /** Events about fortisync's kinds, newest first. */
  async events(kinds: readonly string[]): Promise<EventsV1Event[]> {
    const list = await asUser('list', 'events --all-namespaces', () =>
      this.kc.makeApiClient(EventsV1Api).listEventForAllNamespaces(),
    );
    return list.items
      .filter((e) => kinds.includes(e.regarding?.kind ?? ''))
      .sort((a, b) => eventTime(b) - eventTime(a));
  }
}

function keyOf(data: Record<string, string> | undefined, key: string, what: string): string {
  const value = data?.[key];
  if (value === undefined) throw kubeError({ code: 404 }, 'read', `key "${key}" of ${what}`);
  return value;
}

export function eventTime(e: EventsV1Event): number {
  const t =
    e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata?.creationTimestamp;
  return t ? new Date(t as unknown as string).getTime() : 0;
}
