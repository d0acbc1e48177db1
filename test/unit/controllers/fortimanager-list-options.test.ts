import { describe, expect, it } from '@jest/globals';
import { fmgListOptions } from '../../../src/controllers/fortimanager/list-options.js';

describe('fmgListOptions: FortiOS list queries as FMG get parameters', () => {
  it.each([
    ['no options: the whole table', {}, {}],
    ['format becomes fields', { format: ['name', 'comment'] }, { fields: ['name', 'comment'] }],
    [
      'the ownership filter (contains) becomes like %…%',
      { filter: [[{ field: 'comment', op: '=@', value: '[fortisync:prod]' }]] } as const,
      { filter: ['comment', 'like', '%[fortisync:prod]%'] },
    ],
    [
      'equality stays equality',
      { filter: [[{ field: 'name', op: '==', value: 'k8s-a' }]] } as const,
      { filter: ['name', '==', 'k8s-a'] },
    ],
    [
      'a value holding a LIKE wildcard is not filtered on (no documented escape): whole table',
      { filter: [[{ field: 'comment', op: '=@', value: '50%_off' }]] } as const,
      {},
    ],
    [
      'ORed equalities (a batch of names) become conditions joined by ||',
      {
        filter: [
          [
            { field: 'name', op: '==', value: 'a' },
            { field: 'name', op: '==', value: 'b' },
          ],
        ],
      } as const,
      { filter: [['name', '==', 'a'], '||', ['name', '==', 'b']] },
    ],
    [
      'ORed terms of other operators are not translated: whole table',
      {
        filter: [
          [
            { field: 'name', op: '==', value: 'a' },
            { field: 'comment', op: '=@', value: 'b' },
          ],
        ],
      } as const,
      {},
    ],
    [
      'ANDed filters are not translated: whole table',
      {
        filter: [[{ field: 'name', op: '==', value: 'a' }], [{ field: 'type', op: '==', value: 'ipmask' }]],
      } as const,
      {},
    ],
    ['preformatted FortiOS strings are not translated', { filter: ['name==a'] }, {}],
    [
      'other operators are not translated',
      { filter: [[{ field: 'name', op: '!=', value: 'a' }]] } as const,
      {},
    ],
  ])('%s', (_name, options, expected) => {
    expect(fmgListOptions(options)).toEqual(expected);
  });
});
