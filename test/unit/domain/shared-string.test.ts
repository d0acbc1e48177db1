import { describe, expect, it } from '@jest/globals';
import { sharedString } from '../../../src/domain/shared-string.js';

// Identity of strings cannot be observed from JavaScript; that the text comes back unchanged can.
describe('sharedString', () => {
  it('returns the same text, whatever it looks like', () => {
    for (const text of [
      '',
      'k8s-prod-node-worker-1',
      'IPv4/k8s-prod-pod-a.b',
      '123',
      '__proto__',
      'ü ß',
      '0x1f',
    ])
      expect(sharedString(text)).toBe(text);
    const built = ['[fortisync:prod]', 'k8s-prod-node-worker-1:', 'node worker-1'].join(' ');
    expect(sharedString(built)).toBe('[fortisync:prod] k8s-prod-node-worker-1: node worker-1');
  });
});
