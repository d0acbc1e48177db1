import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { MemberCache } from '../../../src/controllers/member-cache.js';
import { mappingMembers } from '../../../src/domain/desired.js';
import { mapping, namespace, node, pod, view } from '../domain/fixtures.js';

const scope = { prefix: 'k8s', clusterName: 'c1' };

describe('MemberCache', () => {
  const pods: V1Pod[] = [pod('shop', 'web-1', 'n1', { zone: 'dmz' }, ['10.1.0.1'])];
  const v = view(pods, [node('n1', '192.168.0.1'), node('n2', '192.168.0.2')], [namespace('shop')]);

  it('computes once per mapping and scope until invalidated, and matches mappingMembers', () => {
    const cache = new MemberCache(v);
    const m = mapping('shop', 'web', { addressType: 'Pod' });
    const first = cache.members(m, scope);
    expect(first).toEqual(mappingMembers(m, scope, v));
    expect(cache.members(m, scope)).toBe(first);
    // Another device naming differently is a separate entry.
    expect(cache.members(m, { prefix: 'k8s', clusterName: 'c2' })[0]?.name).not.toBe(first[0]?.name);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });

    pods.push(pod('shop', 'web-2', 'n2', { zone: 'dmz' }, ['10.1.0.2']));
    expect(cache.members(m, scope)).toHaveLength(1); // not told yet: still the remembered answer
    cache.invalidate(m.key);
    expect(cache.members(m, scope)).toHaveLength(2);
  });

  it('misses when the mapping spec object changes, and after invalidateAll', () => {
    const cache = new MemberCache(v);
    const m = mapping('shop', 'web', { addressType: 'Pod' });
    const before = cache.members(m, scope);
    const nodeMode = { ...m, spec: { ...m.spec, addressType: 'Node' as const } };
    expect(cache.members(nodeMode, scope)).not.toEqual(before);
    const again = cache.members(nodeMode, scope);
    cache.invalidateAll();
    expect(cache.members(nodeMode, scope)).not.toBe(again);
    expect(cache.members(nodeMode, scope)).toEqual(again);
  });
});
