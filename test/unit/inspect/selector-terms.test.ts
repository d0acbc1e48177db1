import { describe, expect, it } from '@jest/globals';
import { formatTerms, selectorTerms } from '../../../src/inspect/selector-terms.js';

describe('selector terms', () => {
  it.each([
    [{ matchLabels: { app: 'fe', zone: 'dmz' } }, { app: 'fe' }, 'app=fe ✓, zone=dmz ✗'],
    [
      { matchExpressions: [{ key: 't', operator: 'In' as const, values: ['a', 'b'] }] },
      { t: 'c' },
      't in (a,b) ✗',
    ],
    [
      { matchExpressions: [{ key: 't', operator: 'NotIn' as const, values: ['a'] }] },
      { t: 'c' },
      't notin (a) ✓',
    ],
    [{ matchExpressions: [{ key: 't', operator: 'Exists' as const }] }, {}, 't ✗'],
    [{ matchExpressions: [{ key: 't', operator: 'DoesNotExist' as const }] }, {}, '!t ✓'],
    [{}, { any: 'x' }, '(everything) ✓'],
  ])('%j on %j', (selector, labels, text) => {
    expect(formatTerms(selectorTerms(selector, labels))).toBe(text);
  });
});
