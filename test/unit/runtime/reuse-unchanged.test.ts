import { describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { reuseUnchanged } from '../../../src/runtime/reuse-unchanged.js';

const raw = (name: string, resourceVersion: string, namespace?: string): KubernetesObject => ({
  metadata: { name, namespace, resourceVersion },
});

describe('reuseUnchanged', () => {
  it('returns the cached object when the listed one has the same resourceVersion, decodes it otherwise', () => {
    const cached = raw('p1', '7', 'team-001-production');
    const cache = new Map([['team-001-production/p1', cached]]);
    const decoded: string[] = [];
    const decode = reuseUnchanged(
      (key) => cache.get(key),
      (obj) => {
        const o = obj as KubernetesObject;
        decoded.push(`${o.metadata?.name}@${o.metadata?.resourceVersion}`);
        return { ...o };
      },
    );
    expect(decode(raw('p1', '7', 'team-001-production'))).toBe(cached);
    const changed = decode(raw('p1', '8', 'team-001-production'));
    expect(changed).not.toBe(cached);
    expect(changed.metadata?.resourceVersion).toBe('8');
    expect(decode(raw('p2', '7', 'team-001-production')).metadata?.name).toBe('p2');
    expect(decoded).toEqual(['p1@8', 'p2@7']);
  });

  it('keys cluster-scoped objects by name alone', () => {
    const node = raw('n1', '3');
    const decode = reuseUnchanged(
      (key) => (key === 'n1' ? node : undefined),
      () => raw('fresh', '3'),
    );
    expect(decode(raw('n1', '3'))).toBe(node);
    expect(decode(raw('n2', '3')).metadata?.name).toBe('fresh');
  });

  it('decodes an object without a resourceVersion even when a cached one has none either', () => {
    const cached: KubernetesObject = { metadata: { name: 'n1' } };
    const fresh: KubernetesObject = { metadata: { name: 'n1' } };
    const decode = reuseUnchanged(
      () => cached,
      () => fresh,
    );
    expect(decode({ metadata: { name: 'n1', resourceVersion: '' } })).toBe(fresh);
  });

  it('uses the key function it is given', () => {
    const cached = raw('p1', '5', 'ns');
    const decode = reuseUnchanged(
      (key) => (key === 'custom:p1' ? cached : undefined),
      () => raw('fresh', '5'),
      (obj) => `custom:${obj.metadata?.name}`,
    );
    expect(decode(raw('p1', '5', 'ns'))).toBe(cached);
  });
});
