import {
  type KubeConfig,
  type KubernetesObject,
  type V1Namespace,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { FortiGateDevice } from '../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiManagerTarget } from '../api/v1alpha1/fortimanager-target.js';
import type { ClusterView } from '../domain/desired.js';
import {
  DEVICE_GVP,
  DEVICE_INDEX,
  devicesOfMapping,
  FORTIMANAGER_TARGET_GVP,
  FORTIMANAGER_TARGET_INDEX,
  MAPPING_GVP,
  targetsOfMappingIndex,
  POD_TERM_INDEX,
  podTermsOfMapping,
} from '../controllers/resources.js';
import { Informer, type StreamingListMode } from '../runtime/informer.js';
import { customResourceInformer, listAllPages, namespaceInformer } from '../runtime/informer-factory.js';
import { StreamingWatch } from '../runtime/kube-watch.js';
import { reuseUnchanged } from '../runtime/reuse-unchanged.js';
import { namespaceIndex } from '../runtime/store.js';
import { rawPageLister } from './raw-list.js';
import { nodeSlimmer, podSlimmer } from './slim.js';
import { StringPool } from '../runtime/string-pool.js';

export interface OperatorInformers {
  pods: Informer<V1Pod>;
  nodes: Informer<V1Node>;
  namespaces: Informer<V1Namespace>;
  mappings: Informer<FortiGateEndpointMapping>;
  devices: Informer<FortiGateDevice>;
  fortiManagerTargets: Informer<FortiManagerTarget>;
  all(): Informer<never>[];
}

export interface InformerSettings {
  logger: Logger;
  resyncPeriodMs?: number;
  pageSize?: number;
  /** Label selector on FortiGateDevices and FortiGateEndpointMappings: the objects this instance manages. */
  watchSelector?: string;
  /** How informers get a whole state (default `always`; see `InformerOptions.streamingList`). */
  streamingList?: StreamingListMode;
  /** Ask the API server to gzip the pages of pod and node lists (`KubeGetOptions.compression`). */
  listCompression?: boolean;
}

export function createInformers(kc: KubeConfig, settings: InformerSettings): OperatorInformers {
  const watch = new StreamingWatch(kc);
  // Streamed from the watch cache: as fast as pages at 20,000 pods and twice as fast at 150,000,
  // where every page cost the API server more (bench/list-cost.ts, ADR 0002); no continue token to
  // expire. A server that cannot stream (before 1.34 by default) is listed in pages.
  const common = { logger: settings.logger, streamingList: settings.streamingList ?? 'always' };
  const pageSize = settings.pageSize ?? 500;
  const compression = settings.listCompression ?? true;
  // One pool for pods and nodes: a pod's nodeName is the same string as its node's name.
  const strings = new StringPool();
  const slimPod = podSlimmer(strings);
  const slimNode = nodeSlimmer(strings);
  const pods = slimInformer<V1Pod>(
    kc,
    { ...common, name: 'pods', path: '/api/v1/pods', watch, pageSize, compression },
    slimPod,
  );
  pods.addIndex('namespace', namespaceIndex);
  const nodes = slimInformer<V1Node>(
    kc,
    { ...common, name: 'nodes', path: '/api/v1/nodes', watch, pageSize, compression },
    slimNode,
  );
  const namespaces = namespaceInformer(kc, { ...common, watch });
  const crSelector = settings.watchSelector ? { labelSelector: settings.watchSelector } : {};
  const mappings = customResourceInformer<FortiGateEndpointMapping>(kc, MAPPING_GVP, {
    ...common,
    ...crSelector,
    watch,
    ...(settings.resyncPeriodMs ? { resyncPeriodMs: settings.resyncPeriodMs } : {}),
  });
  mappings.addIndex(DEVICE_INDEX, devicesOfMapping);
  mappings.addIndex(POD_TERM_INDEX, podTermsOfMapping);
  mappings.addIndex(FORTIMANAGER_TARGET_INDEX, targetsOfMappingIndex);
  const devices = customResourceInformer<FortiGateDevice>(kc, DEVICE_GVP, {
    ...common,
    ...crSelector,
    watch,
    ...(settings.resyncPeriodMs ? { resyncPeriodMs: settings.resyncPeriodMs } : {}),
  });
  const fortiManagerTargets = customResourceInformer<FortiManagerTarget>(kc, FORTIMANAGER_TARGET_GVP, {
    ...common,
    ...crSelector,
    watch,
    ...(settings.resyncPeriodMs ? { resyncPeriodMs: settings.resyncPeriodMs } : {}),
  });
  return {
    pods,
    nodes,
    namespaces,
    mappings,
    devices,
    fortiManagerTargets,
    all: () =>
      [pods, nodes, namespaces, mappings, devices, fortiManagerTargets] as unknown as Informer<never>[],
  };
}

/**
 * A core collection listed as raw pages and slimmed page by page: the full objects of a large cluster
 * never sit in memory at once, and a relist slims only what the cache does not already hold.
 */
function slimInformer<T extends KubernetesObject>(
  kc: KubeConfig,
  opts: {
    name: string;
    path: string;
    watch: StreamingWatch;
    pageSize: number;
    compression: boolean;
    logger: Logger;
    streamingList: StreamingListMode;
  },
  slim: (raw: unknown) => T,
): Informer<T> {
  const { pageSize, compression, ...rest } = opts;
  const informer: Informer<T> = new Informer<T>({
    ...rest,
    listFn: () =>
      listAllPages(
        rawPageLister(kc, opts.path, { compression }),
        { pageSize },
        reuseUnchanged((key) => informer.get(key), slim),
      ),
    decode: slim,
  });
  return informer;
}

/** The desired-state computation's read-only view of the caches. */
export function clusterView(inf: OperatorInformers): ClusterView {
  return {
    podsInNamespace: (ns) => inf.pods.byIndex('namespace', ns),
    node: (name) => inf.nodes.get(name),
    namespace: (name) => inf.namespaces.get(name),
    namespaces: () => inf.namespaces.list(),
  };
}
