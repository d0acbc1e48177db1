import { describe, expect, it } from '@jest/globals';
import { ObservedGroups, type ObservedGroup } from '../../../src/domain/model.js';

const group = (name: string, members: string[], family: 'IPv4' | 'IPv6' = 'IPv4'): ObservedGroup => ({
  name,
  family,
  members,
  comment: '',
});

describe('ObservedGroups: which members some group holds, without a pass over the groups', () => {
  const cases: [string, (g: ObservedGroups) => void, [string, boolean][]][] = [
    [
      'a member of one group',
      (g) => g.set('IPv4/G1', group('G1', ['a', 'b'])),
      [
        ['a', true],
        ['c', false],
      ],
    ],
    [
      'a member of two groups stays held when one lets it go',
      (g) => {
        g.set('IPv4/G1', group('G1', ['a']));
        g.set('IPv4/G2', group('G2', ['a']));
        g.set('IPv4/G1', group('G1', ['none']));
      },
      [
        ['a', true],
        ['none', true],
      ],
    ],
    [
      'replaced members leave',
      (g) => {
        g.set('IPv4/G1', group('G1', ['a', 'b']));
        g.set('IPv4/G1', group('G1', ['b']));
      },
      [
        ['a', false],
        ['b', true],
      ],
    ],
    [
      'a deleted group holds nothing',
      (g) => {
        g.set('IPv4/G1', group('G1', ['a']));
        g.delete('IPv4/G1');
        g.delete('IPv4/G9');
      },
      [['a', false]],
    ],
    ['families are apart', (g) => g.set('IPv6/G1', group('G1', ['a'], 'IPv6')), [['a', false]]],
    [
      'cleared',
      (g) => {
        g.set('IPv4/G1', group('G1', ['a']));
        g.clear();
        g.set('IPv4/G2', group('G2', ['b']));
      },
      [
        ['a', false],
        ['b', true],
      ],
    ],
  ];
  it.each(cases)('%s', (_name, build, expected) => {
    const groups = new ObservedGroups();
    build(groups);
    for (const [member, held] of expected)
      expect([member, groups.holds('IPv4', member)]).toEqual([member, held]);
  });

  it('counts the groups it is constructed with', () => {
    const groups = new ObservedGroups([['IPv4/G1', group('G1', ['a'])]]);
    expect(groups.holds('IPv4', 'a')).toBe(true);
    expect(groups.size).toBe(1);
  });
});
