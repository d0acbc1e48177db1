import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateDevice } from '../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { mappingSelectsPod } from '../domain/desired.js';
import type { Informer } from '../runtime/informer.js';
import { objectKey } from '../runtime/store.js';

export interface WatchTargets {
  enqueueDevice(name: string): void;
  enqueueMapping(key: string): void;
  /** The mapping's members may have changed (a pod it selects, or the mapping itself). */
  membersChanged?(objectKey: string): void;
  /** Any mapping's members may have changed (a node or a namespace). */
  allMembersChanged?(): void;
  /** A pod event that may change a group was seen at this time (propagation latency metric). */
  podChangeSeen?(devices: string[], atMs: number): void;
  now(): number;
}

interface Sources {
  pods: Informer<V1Pod>;
  nodes: Informer<V1Node>;
  namespaces: Informer<V1Namespace>;
  mappings: Informer<FortiGateEndpointMapping>;
  devices: Informer<FortiGateDevice>;
}

/** The fields of a pod the desired state reads; any other change is noise. */
export function podFingerprint(p: V1Pod | undefined): string {
  if (!p) return '';
  return JSON.stringify([
    p.metadata?.labels ?? {},
    p.spec?.nodeName ?? '',
    p.status?.phase ?? '',
    (p.status?.podIPs ?? []).map((x) => x.ip),
    p.status?.podIP ?? '',
    Boolean(p.metadata?.deletionTimestamp),
  ]);
}

function nodeFingerprint(n: V1Node | undefined): string {
  return JSON.stringify((n?.status?.addresses ?? []).map((a) => [a.type, a.address]));
}

/**
 * Maps events on every watched kind to the keys to reconcile (as controller-runtime's watches do):
 * a pod → the mappings selecting it and their devices; a node or namespace → everything that may
 * depend on it; a mapping → itself and its devices; a device → itself and its mappings. Handlers only
 * compute keys; they never throw and never call the API server.
 */
export function registerWatches(src: Sources, t: WatchTargets): void {
  const mappingsSelecting = (pod: V1Pod): FortiGateEndpointMapping[] => {
    const ns = pod.metadata?.namespace ?? '';
    const nsLabels = src.namespaces.get(ns)?.metadata?.labels;
    return src.mappings
      .list()
      .filter((m) => mappingSelectsPod(m.spec, m.metadata.namespace ?? '', pod, nsLabels));
  };
  const enqueueMapping = (m: FortiGateEndpointMapping): string[] => {
    t.enqueueMapping(objectKey(m));
    return m.spec?.devices ?? [];
  };
  const membersChanged = (m: FortiGateEndpointMapping): string[] => {
    t.membersChanged?.(objectKey(m));
    return enqueueMapping(m);
  };
  const everything = (): void => {
    t.allMembersChanged?.();
    for (const m of src.mappings.list()) enqueueMapping(m);
    for (const d of src.devices.list()) t.enqueueDevice(d.metadata.name);
  };
  const podChanged = (oldPod: V1Pod | undefined, newPod: V1Pod | undefined): void => {
    if (podFingerprint(oldPod) === podFingerprint(newPod)) return;
    const seen = t.now();
    const devices = new Set<string>();
    for (const p of [oldPod, newPod]) {
      if (!p) continue;
      for (const m of mappingsSelecting(p)) for (const d of membersChanged(m)) devices.add(d);
    }
    for (const d of devices) t.enqueueDevice(d);
    if (devices.size > 0) t.podChangeSeen?.([...devices], seen);
  };
  src.pods.onAdd((p) => podChanged(undefined, p));
  src.pods.onUpdate((o, n) => podChanged(o, n));
  src.pods.onDelete((p) => podChanged(p, undefined));

  src.nodes.onAdd(everything);
  src.nodes.onUpdate((o, n) => {
    if (nodeFingerprint(o) !== nodeFingerprint(n)) everything();
  });
  src.nodes.onDelete(everything);

  src.namespaces.onAdd(everything);
  src.namespaces.onUpdate((o, n) => {
    // A terminating namespace is no longer selected (its pods are on their way out).
    if (
      JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(n.metadata?.labels ?? {}) ||
      Boolean(o.metadata?.deletionTimestamp) !== Boolean(n.metadata?.deletionTimestamp)
    ) {
      everything();
    }
  });
  src.namespaces.onDelete(everything);

  const mappingChanged = (
    o: FortiGateEndpointMapping | undefined,
    n: FortiGateEndpointMapping | undefined,
  ): void => {
    // Status-only updates (no generation change) come from us and must not loop.
    if (
      o &&
      n &&
      o.metadata.generation === n.metadata.generation &&
      Boolean(o.metadata.deletionTimestamp) === Boolean(n.metadata.deletionTimestamp) &&
      (o.metadata.finalizers ?? []).join() === (n.metadata.finalizers ?? []).join()
    ) {
      return;
    }
    const devices = new Set<string>();
    for (const m of [o, n]) if (m) for (const d of membersChanged(m)) devices.add(d);
    for (const d of devices) t.enqueueDevice(d);
  };
  src.mappings.onAdd((m) => mappingChanged(undefined, m));
  src.mappings.onUpdate(mappingChanged);
  src.mappings.onDelete((m) => mappingChanged(m, undefined));
  src.mappings.onResync((m) => {
    enqueueMapping(m);
  });

  const deviceChanged = (o: FortiGateDevice | undefined, n: FortiGateDevice | undefined): void => {
    if (
      o &&
      n &&
      o.metadata.generation === n.metadata.generation &&
      Boolean(o.metadata.deletionTimestamp) === Boolean(n.metadata.deletionTimestamp)
    ) {
      return;
    }
    const d = (n ?? o) as FortiGateDevice;
    t.enqueueDevice(d.metadata.name);
    for (const m of src.mappings.byIndex('device', d.metadata.name)) enqueueMapping(m);
  };
  src.devices.onAdd((d) => deviceChanged(undefined, d));
  src.devices.onUpdate(deviceChanged);
  src.devices.onDelete((d) => deviceChanged(d, undefined));
  src.devices.onResync((d) => t.enqueueDevice(d.metadata.name));
}
