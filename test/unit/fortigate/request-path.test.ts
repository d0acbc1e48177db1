import { describe, expect, it } from '@jest/globals';
import { buildPath, encodeMkey } from '../../../src/fortigate/request-path.js';
import { compareVersions, parseFortiOSVersion, versionAtLeast } from '../../../src/fortigate/version.js';

describe('request paths', () => {
  it('percent-encodes mkeys completely', () => {
    expect(encodeMkey('ns/pod 1:80%')).toBe('ns%2Fpod%201%3A80%25');
    expect(
      buildPath({
        api: 'cmdb',
        table: 'firewall/addrgrp',
        mkey: 'a/b',
        child: { name: 'member', mkey: 'c d' },
      }),
    ).toBe('/api/v2/cmdb/firewall/addrgrp/a%2Fb/member/c%20d');
    expect(buildPath({ api: 'cmdb', table: '' })).toBe('/api/v2/cmdb');
  });

  it('refuses mkeys a URL parser would fold into the collection', () => {
    for (const mkey of ['', '.', '..']) expect(() => encodeMkey(mkey)).toThrow(TypeError);
  });
});

describe('FortiOS versions', () => {
  it('parses and compares', () => {
    expect(parseFortiOSVersion('v7.2.8')).toEqual([7, 2, 8]);
    expect(parseFortiOSVersion('7.4')).toEqual([7, 4, 0]);
    expect(parseFortiOSVersion('x')).toBeUndefined();
    expect(compareVersions([7, 4, 5], [7, 4, 4])).toBeGreaterThan(0);
    expect(versionAtLeast([6, 4, 0], 6, 4)).toBe(true);
    expect(versionAtLeast([6, 2, 3], 6, 4)).toBe(false);
  });
});
