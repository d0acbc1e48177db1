import { describe, expect, it } from '@jest/globals';
import { matchesGlob, matchesSelector } from '../../../src/domain/selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', zone: 'dmz' };
  it.each([
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['dmz', 'lan'] }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'NotIn' as const, values: ['dmz'] }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn' as const, values: ['x'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' as const }] }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const }] }, true],
  ])('%j → %s', (selector, expected) => {
    expect(matchesSelector(selector, labels)).toBe(expected);
  });
  it('an absent selector matches nothing', () => expect(matchesSelector(undefined, labels)).toBe(false));
});

describe('group name globs', () => {
  it.each([
    ['K8S-*', 'K8S-DMZ', true],
    ['K8S-*', 'k8s-dmz', false],
    ['APP-?', 'APP-1', true],
    ['APP-?', 'APP-12', false],
    ['a.b', 'axb', false],
  ])('%s vs %s → %s', (p, v, e) => expect(matchesGlob(p, v)).toBe(e));
});
