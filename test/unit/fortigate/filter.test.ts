import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildFilterParams,
  escapeFilterValue,
  formatFilterExpr,
  parseFilterClause,
} from '../../../src/fortigate/filter.js';
import type { FilterOp } from '../../../src/fortigate/filter.js';

describe('FortiOS filters', () => {
  it('escapes backslash, comma and dot with a backslash', () => {
    expect(escapeFilterValue('a\\b,c.d')).toBe('a\\\\b\\,c\\.d');
    expect(escapeFilterValue('plain')).toBe('plain');
  });

  it('joins OR terms with commas and ANDs clauses as separate filters', () => {
    expect(
      buildFilterParams([
        [
          { field: 'name', op: '==', value: 'a.b' },
          { field: 'name', op: '==', value: 'c' },
        ],
        [{ field: 'comment', op: '=@', value: 'fortisync:c1' }],
      ]),
    ).toEqual(['name==a\\.b,name==c', 'comment=@fortisync:c1']);
    expect(buildFilterParams(['name==x'])).toEqual(['name==x']);
  });

  it('refuses field names that would smuggle an operator', () => {
    expect(() => formatFilterExpr({ field: 'name==x', op: '==', value: 'y' })).toThrow(RangeError);
  });

  it('parses the longest operator first', () => {
    expect(parseFilterClause('color<=3')).toEqual([{ field: 'color', op: '<=', value: '3' }]);
    expect(parseFilterClause('name!@x,name=*Y')).toEqual([
      { field: 'name', op: '!@', value: 'x' },
      { field: 'name', op: '=*', value: 'Y' },
    ]);
    expect(parseFilterClause('name~x')).toBeUndefined();
  });

  it('round-trips any value through formatting and parsing', () => {
    const ops: FilterOp[] = ['==', '=*', '!=', '=@', '!@', '<', '<=', '>', '>='];
    fc.assert(
      fc.property(
        fc.constantFrom(...ops),
        fc.string(),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        (op, value, field) => {
          // `a<=x` is `<=` followed by `x`: FortiOS' syntax cannot tell it from `<` followed by `=x`.
          fc.pre(!((op === '<' || op === '>') && value.startsWith('=')));
          expect(parseFilterClause(formatFilterExpr({ field, op, value }))).toEqual([{ field, op, value }]);
        },
      ),
    );
  });
});
