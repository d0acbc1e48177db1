import { describe, expect, it } from '@jest/globals';
import { addressOfOp, type PlanOp } from '../../../src/domain/model.js';

describe('addressOfOp', () => {
  const address = { name: 'k8s-c1-pod-shop.web-1', family: 'IPv6' as const, ip: '2001:db8::1', comment: '' };
  it.each<[string, PlanOp, string | undefined]>([
    ['a create', { op: 'createAddress', address }, 'IPv6/k8s-c1-pod-shop.web-1'],
    ['an update', { op: 'updateAddress', address }, 'IPv6/k8s-c1-pod-shop.web-1'],
    ['a delete', { op: 'deleteAddress', family: 'IPv4', name: 'k8s-c1-node-n1' }, 'IPv4/k8s-c1-node-n1'],
    ['a group delete', { op: 'deleteGroup', family: 'IPv4', name: 'K8S-WEB', removed: [] }, undefined],
    [
      'a member change',
      { op: 'setGroupMembers', family: 'IPv4', name: 'K8S-WEB', members: ['a'], added: ['a'], removed: [] },
      undefined,
    ],
  ])('%s', (_what, op, key) => {
    expect(addressOfOp(op)).toBe(key);
  });
});
