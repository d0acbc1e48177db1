import type { V1Node, V1Pod } from '@kubernetes/client-node';

type Raw = Record<string, unknown> & {
  metadata?: Record<string, unknown>;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

/**
 * Keeps only what the reconcilers read of a pod. The cache holds every pod of the cluster, and a full
 * pod object (managedFields, containers, volumes…) costs kilobytes each.
 */
export function slimPod(obj: unknown): V1Pod {
  const p = obj as Raw;
  const m = p.metadata ?? {};
  const s = p.status ?? {};
  return {
    metadata: {
      name: m.name as string,
      namespace: m.namespace as string,
      uid: m.uid as string,
      resourceVersion: m.resourceVersion as string,
      labels: m.labels as Record<string, string> | undefined,
      deletionTimestamp: m.deletionTimestamp as Date | undefined,
    },
    spec: {
      nodeName: p.spec?.nodeName as string | undefined,
      containers: [],
      // Immutable; a hostNetwork pod's IP is its node's, never a Pod-mode member.
      ...(p.spec?.hostNetwork === true ? { hostNetwork: true } : {}),
    },
    status: {
      phase: s.phase as string | undefined,
      podIP: s.podIP as string | undefined,
      podIPs: s.podIPs as { ip: string }[] | undefined,
    },
  };
}

/** Keeps a node's name, addresses and labels. */
export function slimNode(obj: unknown): V1Node {
  const n = obj as Raw;
  const m = n.metadata ?? {};
  return {
    metadata: {
      name: m.name as string,
      uid: m.uid as string,
      resourceVersion: m.resourceVersion as string,
      labels: m.labels as Record<string, string> | undefined,
    },
    status: { addresses: (n.status?.addresses ?? []) as { type: string; address: string }[] },
  };
}
