import { describe, expect, it } from '@jest/globals';
import {
  fitName,
  isOwnedBy,
  nodeAddressComment,
  nodeAddressName,
  podAddressName,
} from '../../../src/domain/naming.js';

const scope = { prefix: 'k8s', clusterName: 'prod' };

describe('naming', () => {
  it('names node and pod addresses readably, per family', () => {
    expect(nodeAddressName(scope, 'worker-1', 'IPv4')).toBe('k8s-prod-node-worker-1');
    expect(nodeAddressName(scope, 'worker-1', 'IPv6')).toBe('k8s-prod-node6-worker-1');
    expect(podAddressName(scope, 'storefront', 'frontend-abc', 'IPv4')).toBe(
      'k8s-prod-pod-storefront.frontend-abc',
    );
  });

  it('keeps namespace/pod splits apart (a-b/c differs from a/b-c)', () => {
    expect(podAddressName(scope, 'a-b', 'c', 'IPv4')).not.toBe(podAddressName(scope, 'a', 'b-c', 'IPv4'));
  });

  it('shortens long names to 79 characters with a stable hash, never colliding', () => {
    const long1 = nodeAddressName(scope, 'n'.repeat(100) + '1', 'IPv4');
    const long2 = nodeAddressName(scope, 'n'.repeat(100) + '2', 'IPv4');
    expect(long1.length).toBe(79);
    expect(long2.length).toBe(79);
    expect(long1).not.toBe(long2);
    expect(nodeAddressName(scope, 'n'.repeat(100) + '1', 'IPv4')).toBe(long1);
    expect(long1.startsWith('k8s-prod-node-nnn')).toBe(true);
    expect(fitName('short')).toBe('short');
  });

  it('marks ownership per cluster; prod does not own prod2 objects', () => {
    const comment = nodeAddressComment('prod2', 'w1');
    expect(isOwnedBy(comment, 'prod2')).toBe(true);
    expect(isOwnedBy(comment, 'prod')).toBe(false);
    expect(isOwnedBy(undefined, 'prod')).toBe(false);
    expect(nodeAddressComment('prod', 'x'.repeat(400)).length).toBeLessThanOrEqual(255);
  });
});
