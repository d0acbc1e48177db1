import type { FortiGateEndpointMappingSpec } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { mappingMembers, type ClusterView, type MappingInput, type MembersOf } from '../domain/desired.js';
import type { DesiredAddress } from '../domain/model.js';
import type { NamingScope } from '../domain/naming.js';

interface Entry {
  spec: FortiGateEndpointMappingSpec;
  namespace: string;
  members: readonly DesiredAddress[];
}

/**
 * Each mapping's members, kept between syncs: a device sync and a mapping's status then recompute
 * only the mappings a watch event may have changed, not every mapping over every pod.
 *
 * Correctness rests on the watches: every event that can change what `mappingMembers` returns must
 * invalidate — a pod change the mappings selecting it (before and after), a node or namespace change
 * everything. A new spec object (the informer replaces objects on update) is a miss by itself.
 * Device syncs also clear the cache at every drift check, so even a missed invalidation heals.
 */
export class MemberCache {
  /** mapping key → naming scope → entry (devices with other prefixes or cluster names name differently). */
  private readonly entries = new Map<string, Map<string, Entry>>();
  private hitCount = 0;
  private missCount = 0;

  constructor(private readonly view: ClusterView) {}

  /** `members`, bound: what `desiredDeviceState` and `computeMappingStatus` take. */
  readonly membersOf: MembersOf = (mapping, scope) => this.members(mapping, scope);

  /** The addresses the mapping wants, sorted by name. Callers must not change the array. */
  members(mapping: MappingInput, scope: NamingScope): readonly DesiredAddress[] {
    const scopeKey = `${scope.prefix}\u0000${scope.clusterName}`;
    let byScope = this.entries.get(mapping.key);
    const hit = byScope?.get(scopeKey);
    if (hit && hit.spec === mapping.spec && hit.namespace === mapping.namespace) {
      this.hitCount++;
      return hit.members;
    }
    this.missCount++;
    const members = mappingMembers(mapping, scope, this.view);
    if (!byScope) {
      byScope = new Map();
      this.entries.set(mapping.key, byScope);
    }
    byScope.set(scopeKey, { spec: mapping.spec, namespace: mapping.namespace, members });
    return members;
  }

  /** Something the mapping selects (or the mapping itself) changed. */
  invalidate(mappingKey: string): void {
    this.entries.delete(mappingKey);
  }

  /** A node or namespace changed: any mapping's members may differ. */
  invalidateAll(): void {
    this.entries.clear();
  }

  stats(): { hits: number; misses: number; mappings: number } {
    return { hits: this.hitCount, misses: this.missCount, mappings: this.entries.size };
  }
}
