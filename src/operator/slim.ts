import type { V1Node, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import { RecordPool } from '../runtime/record-pool.js';
import type { StringPool } from '../runtime/string-pool.js';

type Raw = Record<string, unknown> & {
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

type Share = <S extends string | undefined>(s: S) => S;
type ShareValues = <R extends Record<string, string> | undefined>(r: R) => R;

function sharing(strings: StringPool | undefined): { share: Share; shareValues: ShareValues } {
  if (!strings) return { share: (s) => s, shareValues: (r) => r };
  return { share: (s) => strings.intern(s), shareValues: (r) => strings.internValues(r) };
}

/**
 * Keeps only what the reconcilers read of a pod. The cache holds every pod of the cluster, and a full
 * pod object (managedFields, containers, volumes…) costs kilobytes each. With a pool, the strings that
 * repeat from pod to pod (namespace, node name, label values) are shared: about 30 % of what a slim
 * pod costs at 150,000 pods (bench/README.md, "Where a pod's bytes go").
 */
export function podSlimmer(strings?: StringPool): (raw: unknown) => V1Pod {
  const { share, shareValues } = sharing(strings);
  // A pod's labels are its template's: one frozen record for all the pods of a ReplicaSet.
  const labelSets = strings && new RecordPool(strings);
  const shareLabels: ShareValues = labelSets ? (r) => labelSets.share(r) : shareValues;
  return (obj) => {
    const p = obj as Raw;
    const m = p.metadata ?? {};
    const s = p.status ?? {};
    const podIP = s.podIP as string | undefined;
    const podIPs = s.podIPs as { ip: string }[] | undefined;
    // The first of podIPs is podIP: one string for both.
    for (const entry of podIPs ?? []) if (entry.ip === podIP) entry.ip = podIP;
    const phase = share(s.phase as string | undefined);
    const nodeName = share(p.spec?.nodeName as string | undefined);
    const name = m.name as string;
    const namespace = share(m.namespace as string);
    const resourceVersion = m.resourceVersion as string;
    const labels = shareLabels(m.labels as Record<string, string> | undefined);
    const deletionTimestamp = m.deletionTimestamp as Date | undefined;
    return {
      // No uid (56 bytes a pod): nothing reads a pod's, and a pod deleted and created again under
      // its name while the watch was down is then an update, which changes the same groups. No
      // deletionTimestamp slot until a pod is terminating.
      metadata: deletionTimestamp
        ? { name, namespace, resourceVersion, labels, deletionTimestamp }
        : { name, namespace, resourceVersion, labels },
      // No `containers`: nothing reads them, and an empty array is 32 bytes a pod.
      // Immutable; a hostNetwork pod's IP is its node's, never a Pod-mode member. Two literals, not a
      // spread: a spread's object keeps spare property slots.
      spec: (p.spec?.hostNetwork === true ? { nodeName, hostNetwork: true } : { nodeName }) as V1PodSpec,
      // A single-stack pod's podIPs only repeats podIP (about 90 bytes a pod): its readers fall back
      // to podIP when podIPs is absent. Dual-stack pods keep both.
      status: onlyPodIP(podIP, podIPs) ? { phase, podIP } : { phase, podIP, podIPs },
    };
  };
}

/** podIPs holds nothing podIP does not say. */
function onlyPodIP(podIP: string | undefined, podIPs: readonly { ip: string }[] | undefined): boolean {
  if (podIPs === undefined) return true;
  if (podIPs.length === 0) return podIP === undefined;
  return podIPs.length === 1 && podIPs[0]?.ip === podIP;
}

/** Keeps a node's name, addresses and labels (the name and label values shared with the pool's). */
export function nodeSlimmer(strings?: StringPool): (raw: unknown) => V1Node {
  const { share, shareValues } = sharing(strings);
  return (obj) => {
    const n = obj as Raw;
    const m = n.metadata ?? {};
    const addresses = (n.status?.addresses ?? []) as { type: string; address: string }[];
    for (const a of addresses) a.address = share(a.address);
    return {
      metadata: {
        name: share(m.name as string),
        uid: m.uid as string,
        resourceVersion: m.resourceVersion as string,
        labels: shareValues(m.labels as Record<string, string> | undefined),
      },
      status: { addresses },
    };
  };
}

/** A pod slimmed without sharing strings (tests, one-off reads). */
export const slimPod = podSlimmer();
/** A node slimmed without sharing strings (tests, one-off reads). */
export const slimNode = nodeSlimmer();
