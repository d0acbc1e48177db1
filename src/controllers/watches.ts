import type { V1Namespace, V1Node, V1Pod } from '@kubernetes/client-node';
import type { FortiGateDevice } from '../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiManagerTarget } from '../api/v1alpha1/fortimanager-target.js';
import { RETRY_ADOPTION_ANNOTATION } from '../domain/adoption.js';
import { mappingSelectsPod } from '../domain/desired.js';
import type { Informer } from '../runtime/informer.js';
import { objectKey } from '../runtime/store.js';
import { DEVICE_INDEX, FORTIMANAGER_TARGET_INDEX, POD_TERM_INDEX, podTermsOfPod } from './resources.js';

export interface WatchTargets {
  enqueueDevice(name: string): void;
  /** A FortiManagerTarget to sync (absent: FortiManagerTargets are not reconciled). */
  enqueueTarget?(name: string): void;
  enqueueMapping(key: string): void;
  /** The mapping's members may have changed (a pod it selects, or the mapping itself). */
  membersChanged?(objectKey: string): void;
  /** Any mapping's members may have changed (a node or a namespace). */
  allMembersChanged?(): void;
  /**
   * A pod event that may change these mappings' groups on these devices was seen at this time
   * (propagation latency metric).
   */
  podChangeSeen?(devices: string[], mappings: string[], atMs: number): void;
  now(): number;
  /**
   * False until this replica reconciles (the initial lists, a follower's watches): pod, node and
   * namespace events then do nothing, since the controllers start from the caches as they are and
   * nothing holds members yet. At 150,000 pods the initial list's handlers were seconds of one
   * synchronous loop, and its pods as many "events" timed as the cold start's length.
   */
  active?(): boolean;
}

interface Sources {
  pods: Informer<V1Pod>;
  nodes: Informer<V1Node>;
  namespaces: Informer<V1Namespace>;
  mappings: Informer<FortiGateEndpointMapping>;
  devices: Informer<FortiGateDevice>;
  fortiManagerTargets?: Informer<FortiManagerTarget>;
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
  const keys = new KeyMapper(src, t);
  watchPods(src, t, keys);
  watchNodesAndNamespaces(src, keys);
  watchMappings(src, keys);
  watchDevices(src, t, keys);
  watchFortiManagerTargets(src, t, keys);
}

/** Turns objects into the keys to enqueue. */
class KeyMapper {
  constructor(
    private readonly src: Sources,
    private readonly t: WatchTargets,
  ) {}

  /** The mappings whose selectors pick the pod (whether it is active or not: it may have just stopped). */
  mappingsSelecting(pod: V1Pod): FortiGateEndpointMapping[] {
    const ns = pod.metadata?.namespace ?? '';
    const nsLabels = this.src.namespaces.get(ns)?.metadata?.labels;
    const candidates = podTermsOfPod(pod).flatMap((term) => this.src.mappings.byIndex(POD_TERM_INDEX, term));
    return candidates.filter((m) => mappingSelectsPod(m.spec, m.metadata.namespace ?? '', pod, nsLabels));
  }

  /** Enqueues the mapping and its FortiManagerTargets; returns its devices. */
  mapping(m: FortiGateEndpointMapping): string[] {
    this.t.enqueueMapping(objectKey(m));
    for (const target of m.spec?.fortiManagerTargets ?? []) this.t.enqueueTarget?.(target);
    return m.spec?.devices ?? [];
  }

  /** The mapping's members may have changed: forget them, enqueue it; returns its devices. */
  membersChanged(m: FortiGateEndpointMapping): string[] {
    this.t.membersChanged?.(objectKey(m));
    return this.mapping(m);
  }

  device(name: string): void {
    this.t.enqueueDevice(name);
  }

  everything(): void {
    if (this.t.active?.() === false) return;
    this.t.allMembersChanged?.();
    for (const m of this.src.mappings.list()) this.mapping(m);
    for (const d of this.src.devices.list()) this.t.enqueueDevice(d.metadata.name);
    for (const x of this.src.fortiManagerTargets?.list() ?? []) this.t.enqueueTarget?.(x.metadata.name);
  }
}

function watchPods(src: Sources, t: WatchTargets, keys: KeyMapper): void {
  const podChanged = (oldPod: V1Pod | undefined, newPod: V1Pod | undefined): void => {
    if (t.active?.() === false || podFingerprint(oldPod) === podFingerprint(newPod)) return;
    const seen = t.now();
    const devices = new Set<string>();
    const mappings = new Set<string>();
    for (const p of [oldPod, newPod]) {
      if (!p) continue;
      for (const m of keys.mappingsSelecting(p)) {
        mappings.add(objectKey(m));
        for (const d of keys.membersChanged(m)) devices.add(d);
      }
    }
    for (const d of devices) t.enqueueDevice(d);
    if (devices.size > 0) t.podChangeSeen?.([...devices], [...mappings], seen);
  };
  src.pods.onAdd((p) => podChanged(undefined, p));
  src.pods.onUpdate((o, n) => podChanged(o, n));
  src.pods.onDelete((p) => podChanged(p, undefined));
}

/** A node or namespace may change any mapping's members. */
function watchNodesAndNamespaces(src: Sources, keys: KeyMapper): void {
  const everything = (): void => keys.everything();
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
}

/** Status-only updates (no generation, deletion or finalizer change) come from us and must not loop. */
function specUnchanged(
  o: FortiGateEndpointMapping | FortiGateDevice | FortiManagerTarget | undefined,
  n: FortiGateEndpointMapping | FortiGateDevice | FortiManagerTarget | undefined,
  finalizersToo: boolean,
): boolean {
  return (
    o !== undefined &&
    n !== undefined &&
    o.metadata.generation === n.metadata.generation &&
    Boolean(o.metadata.deletionTimestamp) === Boolean(n.metadata.deletionTimestamp) &&
    (!finalizersToo || (o.metadata.finalizers ?? []).join() === (n.metadata.finalizers ?? []).join())
  );
}

function watchMappings(src: Sources, keys: KeyMapper): void {
  const mappingChanged = (
    o: FortiGateEndpointMapping | undefined,
    n: FortiGateEndpointMapping | undefined,
  ): void => {
    if (specUnchanged(o, n, true)) return;
    const devices = new Set<string>();
    for (const m of [o, n]) if (m) for (const d of keys.membersChanged(m)) devices.add(d);
    for (const d of devices) keys.device(d);
  };
  src.mappings.onAdd((m) => mappingChanged(undefined, m));
  src.mappings.onUpdate(mappingChanged);
  src.mappings.onDelete((m) => mappingChanged(m, undefined));
  src.mappings.onResync((m) => {
    keys.mapping(m);
  });
}

const retryAdoption = (d: FortiGateDevice | FortiManagerTarget | undefined): string | undefined =>
  d?.metadata.annotations?.[RETRY_ADOPTION_ANNOTATION];

function watchDevices(src: Sources, t: WatchTargets, keys: KeyMapper): void {
  const deviceChanged = (o: FortiGateDevice | undefined, n: FortiGateDevice | undefined): void => {
    // A new retry-adoption value is the user's retry (ADR 0004): not a spec change, but acted on.
    if (specUnchanged(o, n, false) && retryAdoption(o) === retryAdoption(n)) return;
    const d = (n ?? o) as FortiGateDevice;
    t.enqueueDevice(d.metadata.name);
    for (const m of src.mappings.byIndex(DEVICE_INDEX, d.metadata.name)) keys.mapping(m);
  };
  src.devices.onAdd((d) => deviceChanged(undefined, d));
  src.devices.onUpdate(deviceChanged);
  src.devices.onDelete((d) => deviceChanged(d, undefined));
  src.devices.onResync((d) => t.enqueueDevice(d.metadata.name));
}

function watchFortiManagerTargets(src: Sources, t: WatchTargets, keys: KeyMapper): void {
  const targets = src.fortiManagerTargets;
  if (!targets) return;
  const changed = (o: FortiManagerTarget | undefined, n: FortiManagerTarget | undefined): void => {
    // A new retry-adoption value is the user's retry (ADR 0004): not a spec change, but acted on.
    if (specUnchanged(o, n, false) && retryAdoption(o) === retryAdoption(n)) return;
    const target = (n ?? o) as FortiManagerTarget;
    t.enqueueTarget?.(target.metadata.name);
    for (const m of src.mappings.byIndex(FORTIMANAGER_TARGET_INDEX, target.metadata.name)) keys.mapping(m);
  };
  targets.onAdd((x) => changed(undefined, x));
  targets.onUpdate(changed);
  targets.onDelete((x) => changed(x, undefined));
  targets.onResync((x) => t.enqueueTarget?.(x.metadata.name));
}
