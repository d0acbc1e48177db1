import { describe, expect, it } from '@jest/globals';
import { nodeSlimmer, podSlimmer, slimPod } from '../../../src/operator/slim.js';
import { StringPool } from '../../../src/runtime/string-pool.js';

const rawPod = (name: string, node: string) => ({
  metadata: {
    name,
    namespace: 'team-001-production',
    uid: `uid-${name}`,
    resourceVersion: '7',
    labels: { app: 'web', 'app.kubernetes.io/instance': 'team-001-production-release' },
    managedFields: [{ manager: 'kubelet' }],
  },
  spec: { nodeName: node, containers: [{ name: 'c', image: 'i' }], hostNetwork: false },
  status: {
    phase: 'Running',
    podIP: '10.0.0.1',
    podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }],
    qosClass: 'x',
  },
});

describe('podSlimmer', () => {
  it('keeps what the reconcilers read, the same with or without a pool', () => {
    const pool = new StringPool();
    const shared = podSlimmer(pool)(rawPod('p1', 'ip-10-0-0-1.eu-west-1.compute.internal'));
    const plain = slimPod(rawPod('p1', 'ip-10-0-0-1.eu-west-1.compute.internal'));
    expect(shared).toEqual(plain);
    expect(plain).toEqual({
      metadata: {
        name: 'p1',
        namespace: 'team-001-production',
        resourceVersion: '7',
        labels: { app: 'web', 'app.kubernetes.io/instance': 'team-001-production-release' },
      },
      spec: { nodeName: 'ip-10-0-0-1.eu-west-1.compute.internal' },
      status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
    });
  });

  it("keeps a terminating pod's deletionTimestamp, and no uid", () => {
    const raw = rawPod('p1', 'n');
    const terminating = { ...raw, metadata: { ...raw.metadata, deletionTimestamp: '2026-12-03T10:00:00Z' } };
    const slim = podSlimmer(new StringPool())(terminating);
    expect(slim.metadata?.deletionTimestamp).toBe('2026-12-03T10:00:00Z');
    expect(slim.metadata).not.toHaveProperty('uid');
    expect(slimPod(raw).metadata).not.toHaveProperty('deletionTimestamp');
  });

  it('puts the namespace, the node name, the phase and the label values in the pool, not the pod names', () => {
    const pool = new StringPool();
    const slim = podSlimmer(pool);
    for (let i = 0; i < 50; i++) slim(rawPod(`p${i}`, `node-${i % 5}`));
    // namespace + 5 node names + phase + 2 label values; names and IPs stay the pod's own.
    expect(pool.size).toBe(1 + 5 + 1 + 2);
  });

  it('gives pods with the same labels one frozen labels object, and others their own', () => {
    const slim = podSlimmer(new StringPool());
    const a = slim(rawPod('a', 'n'));
    const b = slim(rawPod('b', 'n'));
    const other = rawPod('c', 'n');
    other.metadata.labels.app = 'api';
    const c = slim(other);
    expect(b.metadata?.labels).toBe(a.metadata?.labels);
    expect(Object.isFrozen(a.metadata?.labels)).toBe(true);
    expect(c.metadata?.labels).toEqual({
      app: 'api',
      'app.kubernetes.io/instance': 'team-001-production-release',
    });
    expect(c.metadata?.labels).not.toBe(a.metadata?.labels);
  });

  it('keeps podIPs only when it says more than podIP', () => {
    const single = rawPod('s', 'n');
    single.status.podIPs = [{ ip: '10.0.0.1' }];
    expect(slimPod(single).status).toEqual({ phase: 'Running', podIP: '10.0.0.1' });
    const other = rawPod('o', 'n');
    other.status.podIPs = [{ ip: '10.0.0.2' }];
    expect(slimPod(other).status?.podIPs).toEqual([{ ip: '10.0.0.2' }]);
    const none = { ...rawPod('p', 'n'), status: { phase: 'Pending' } };
    expect(slimPod(none).status).toEqual({ phase: 'Pending', podIP: undefined });
    // Dual stack: both addresses stay (the first test).
    expect(slimPod(rawPod('d', 'n')).status?.podIPs).toHaveLength(2);
  });

  it('marks hostNetwork pods and only them', () => {
    const raw = rawPod('h', 'n');
    raw.spec.hostNetwork = true;
    expect(slimPod(raw).spec?.hostNetwork).toBe(true);
    expect(slimPod(rawPod('p', 'n')).spec).not.toHaveProperty('hostNetwork');
  });
});

describe('nodeSlimmer', () => {
  it('shares the node name with the pods that run on it', () => {
    const pool = new StringPool();
    const node = nodeSlimmer(pool)({
      metadata: { name: 'ip-1', uid: 'u', resourceVersion: '1', labels: { zone: 'eu-west-1a' } },
      status: {
        addresses: [
          { type: 'InternalIP', address: '10.0.0.9' },
          { type: 'Hostname', address: 'ip-1' },
        ],
      },
    });
    expect(node).toEqual({
      metadata: { name: 'ip-1', uid: 'u', resourceVersion: '1', labels: { zone: 'eu-west-1a' } },
      status: {
        addresses: [
          { type: 'InternalIP', address: '10.0.0.9' },
          { type: 'Hostname', address: 'ip-1' },
        ],
      },
    });
    podSlimmer(pool)(rawPod('p', 'ip-1'));
    // ip-1, eu-west-1a, 10.0.0.9, then the pod's namespace, phase and two label values.
    expect(pool.size).toBe(3 + 4);
  });
});
