import type { IPFamily } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { FortiPolicy, MemberRef } from '../fortigate/types.js';

/** A firewall policy that lets (or stops) traffic of the traced names, and through which of them. */
export interface PolicyUse {
  policyid: number;
  name: string;
  action: string;
  status: string;
  src: string[];
  dst: string[];
  /** The traced names (or the groups nesting them) the policy names, source side first. */
  via: string[];
}

const names = (refs: readonly MemberRef[] | undefined): string[] => (refs ?? []).map((r) => r.name);

/** The names plus every group that holds one of them, however deeply nested. */
export function nestingClosure(
  start: readonly string[],
  groups: ReadonlyMap<string, readonly string[]>,
): Set<string> {
  const found = new Set(start);
  for (let grew = true; grew;) {
    grew = false;
    for (const [group, members] of groups) {
      if (!found.has(group) && members.some((m) => found.has(m))) {
        found.add(group);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * The policies naming any of `traced` (addresses or groups of one family) directly or through nested
 * groups, in policy id order. FortiOS 6.4+ keeps IPv6 sources in `srcaddr6` of the same table.
 */
export function policiesUsing(
  policies: readonly FortiPolicy[],
  family: IPFamily,
  traced: readonly string[],
  groups: ReadonlyMap<string, readonly string[]>,
): PolicyUse[] {
  const closure = nestingClosure(traced, groups);
  const uses: PolicyUse[] = [];
  for (const p of policies) {
    const src = names(family === 'IPv4' ? p.srcaddr : p.srcaddr6);
    const dst = names(family === 'IPv4' ? p.dstaddr : p.dstaddr6);
    const via = [...new Set([...src, ...dst].filter((n) => closure.has(n)))];
    if (via.length === 0) continue;
    uses.push({
      policyid: p.policyid,
      name: p.name ?? '',
      action: p.action ?? '',
      status: p.status ?? 'enable',
      src,
      dst,
      via,
    });
  }
  return uses.sort((a, b) => a.policyid - b.policyid);
}
