import { createHash } from 'node:crypto';
import { FORTIOS_NAME_MAX } from '../api/v1alpha1/common.js';
import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';

/** FortiOS comments hold at most 255 characters. */
export const COMMENT_MAX = 255;

/**
 * The ownership marker in the comment of every object fortisync creates. The closing bracket keeps
 * cluster `prod` from matching `prod2` in a FortiOS "contains" filter.
 */
export function ownershipMarker(clusterName: string): string {
  return `[fortisync:${clusterName}]`;
}

export function isOwnedBy(comment: string | undefined, clusterName: string): boolean {
  return (comment ?? '').includes(ownershipMarker(clusterName));
}

/** True when any fortisync cluster owns the object (used to tell other clusters' members apart). */
export function isOwnedByAnyCluster(comment: string | undefined): boolean {
  return /\[fortisync:[a-z0-9-]+\]/.test(comment ?? '');
}

export interface NamingScope {
  prefix: string;
  clusterName: string;
}

/**
 * Keeps a name within FortiOS's 79 characters: a name that is too long keeps its readable start and
 * ends with a hash of the whole name, so two long names never collide.
 */
export function fitName(name: string, max = FORTIOS_NAME_MAX): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, max - hash.length - 1)}~${hash}`;
}

function familyTag(kind: 'node' | 'pod', family: IPFamily): string {
  return family === 'IPv6' ? `${kind}6` : kind;
}

/** `k8s-prod-node-worker-1`, or `k8s-prod-node6-worker-1` for the IPv6 address of the node. */
export function nodeAddressName(scope: NamingScope, node: string, family: IPFamily): string {
  return fitName(`${scope.prefix}-${scope.clusterName}-${familyTag('node', family)}-${node}`);
}

/**
 * `k8s-prod-pod-storefront.frontend-7d9f`. Namespaces never contain a dot, so the first dot
 * separates namespace and pod unambiguously.
 */
export function podAddressName(scope: NamingScope, namespace: string, pod: string, family: IPFamily): string {
  return fitName(`${scope.prefix}-${scope.clusterName}-${familyTag('pod', family)}-${namespace}.${pod}`);
}

function fitComment(comment: string): string {
  return comment.length <= COMMENT_MAX ? comment : `${comment.slice(0, COMMENT_MAX - 3)}...`;
}

export function nodeAddressComment(clusterName: string, node: string): string {
  return fitComment(`${ownershipMarker(clusterName)} node ${node} of cluster ${clusterName}`);
}

export function podAddressComment(
  clusterName: string,
  namespace: string,
  pod: string,
  node: string | undefined,
): string {
  const on = node ? ` on node ${node}` : '';
  return fitComment(`${ownershipMarker(clusterName)} pod ${namespace}/${pod}${on} of cluster ${clusterName}`);
}

export function groupComment(clusterName: string): string {
  return fitComment(
    `${ownershipMarker(clusterName)} group created by fortisync for cluster ${clusterName}; members follow the cluster`,
  );
}
