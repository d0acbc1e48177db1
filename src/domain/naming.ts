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

/**
 * The defined start of the comment of an object fortisync owns: the marker, a space, the object's
 * own name and a colon. The name binds the comment to the object, so a copy of the comment on
 * another object (a GUI clone, a hand-made look-alike) owns nothing.
 */
export function ownedCommentHead(clusterName: string, objectName: string): string {
  return `${ownershipMarker(clusterName)} ${objectName}:`;
}

/**
 * Whether cluster `clusterName` owns the object `objectName` with this comment. Exact: the comment
 * must START with `ownedCommentHead`; a marker elsewhere in the comment does not count. Comments
 * written before the name was part of it (`[fortisync:c] node n of cluster c`, `… pod ns/p …`) are
 * recognised when the node or pod they describe is the one the name stands for.
 */
export function isOwnedBy(comment: string | undefined, clusterName: string, objectName: string): boolean {
  const c = comment ?? '';
  if (c.startsWith(ownedCommentHead(clusterName, objectName))) return true;
  return isLegacyOwned(c, clusterName, objectName);
}

/** The comment starts with the marker this build writes (not one an earlier build wrote). */
export function hasCurrentMarker(
  comment: string | undefined,
  clusterName: string,
  objectName: string,
): boolean {
  return (comment ?? '').startsWith(ownedCommentHead(clusterName, objectName));
}

/** True when any fortisync cluster's marker starts the comment (tells other clusters' objects apart). */
export function isOwnedByAnyCluster(comment: string | undefined): boolean {
  return /^\[fortisync:[a-z0-9-]+\] /.test(comment ?? '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Comments earlier releases wrote (no object name): matched to the name they describe. */
function isLegacyOwned(comment: string, clusterName: string, objectName: string): boolean {
  const marker = escapeRegExp(ownershipMarker(clusterName));
  const cluster = escapeRegExp(clusterName);
  if (comment === `${ownershipMarker(clusterName)} ${LEGACY_GROUP_TEXT(clusterName)}`) return true;
  const node = new RegExp(`^${marker} node (\\S+) of cluster ${cluster}$`).exec(comment);
  if (node) return namesFor(objectName, clusterName, ['node', 'node6'], node[1] as string);
  const pod = new RegExp(
    `^${marker} pod ([a-z0-9-]+)/(\\S+?)(?: on node \\S+)?(?: of cluster ${cluster}|\\.\\.\\.)`,
  ).exec(comment);
  if (pod) return namesFor(objectName, clusterName, ['pod', 'pod6'], `${pod[1]}.${pod[2]}`);
  return false;
}

/** The legacy group comment could not name its group: recognised as it is (see docs/security.md). */
const LEGACY_GROUP_TEXT = (clusterName: string): string =>
  `group created by fortisync for cluster ${clusterName}; members follow the cluster`;

/** `objectName` is the name fortisync gives the node or pod `subject` (any prefix, either family). */
function namesFor(objectName: string, clusterName: string, tags: string[], subject: string): boolean {
  return tags.some((tag) => {
    const tail = `-${clusterName}-${tag}-${subject}`;
    if (objectName.endsWith(tail)) return true;
    // A name fitted to 79 characters keeps its start and ends with a hash of the whole name.
    const prefix = objectName.split('-')[0] ?? '';
    return fitName(`${prefix}${tail}`) === objectName;
  });
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

export function nodeAddressComment(clusterName: string, addressName: string, node: string): string {
  return fitComment(`${ownedCommentHead(clusterName, addressName)} node ${node} of cluster ${clusterName}`);
}

export function podAddressComment(
  clusterName: string,
  addressName: string,
  namespace: string,
  pod: string,
  node: string | undefined,
): string {
  const on = node ? ` on node ${node}` : '';
  return fitComment(
    `${ownedCommentHead(clusterName, addressName)} pod ${namespace}/${pod}${on} of cluster ${clusterName}`,
  );
}

export function groupComment(clusterName: string, groupName: string): string {
  return fitComment(`${ownedCommentHead(clusterName, groupName)} ${LEGACY_GROUP_TEXT(clusterName)}`);
}
