import { describe, expect, it } from '@jest/globals';
import { CODE_KINDS, isRetryable, kindOfCode, FortiManagerError } from '../../../src/fortimanager/errors.js';
import {
  parseAdom,
  parseLockInfo,
  parseMembers,
  parseSystemStatus,
  parseTask,
  parseWhereUsed,
  parseWorkspaceMode,
} from '../../../src/fortimanager/parse.js';
import { escapeName, memberUrl, objectUrl, workspaceUrl } from '../../../src/fortimanager/urls.js';

describe('FortiManager urls', () => {
  it('escapes "/" in names as \\/ and nothing else', () => {
    expect(escapeName('10.0.0.0/24')).toBe('10.0.0.0\\/24');
    expect(escapeName('a b%c')).toBe('a b%c');
    expect(objectUrl('root', 'firewall/address', 'n/1')).toBe(
      'pm/config/adom/root/obj/firewall/address/n\\/1',
    );
    expect(objectUrl('global', 'firewall/addrgrp')).toBe('pm/config/global/obj/firewall/addrgrp');
    expect(memberUrl('dmz', 'firewall/addrgrp6', 'g')).toBe(
      'pm/config/adom/dmz/obj/firewall/addrgrp6/g/member',
    );
    expect(workspaceUrl('global', 'lock')).toBe('dvmdb/global/workspace/lock');
  });

  it('refuses names that would address the table or a parent', () => {
    for (const bad of ['', '.', '..']) expect(() => escapeName(bad)).toThrow(TypeError);
  });
});

describe('FortiManager error kinds', () => {
  it.each([...CODE_KINDS])('code %i is %s', (code, kind) => {
    expect(kindOfCode(code)).toBe(kind);
  });

  it('unknown codes are other; only transport failures and gateway errors are retryable', () => {
    expect(kindOfCode(-1)).toBe('other');
    const error = (kind: FortiManagerError['kind'], httpStatus?: number) =>
      new FortiManagerError('x', { kind, method: 'get', url: 'u', httpStatus });
    expect(isRetryable(error('unreachable'))).toBe(true);
    expect(isRetryable(error('timeout'))).toBe(true);
    expect(isRetryable(error('server', 503))).toBe(true);
    expect(isRetryable(error('server', 500))).toBe(false);
    expect(isRetryable(error('unauthorized'))).toBe(false);
    expect(isRetryable(error('locked'))).toBe(false);
  });
});

describe('FortiManager answers', () => {
  it('system status needs Hostname and integer versions', () => {
    expect(parseSystemStatus({ Hostname: 'fmg', Major: 7, Minor: '2', Patch: 5, Build: 1517 })).toEqual({
      hostname: 'fmg',
      version: { major: 7, minor: 2, patch: 5 },
      build: 1517,
      serial: undefined,
      platform: undefined,
    });
    expect(parseSystemStatus({ Hostname: 'fmg' })).toBeUndefined();
  });

  it('workspace modes, symbolic or numeric; ADOM version from os_ver and mr', () => {
    expect(parseWorkspaceMode('normal')).toBe('normal');
    expect(parseWorkspaceMode(2)).toBe('workflow');
    expect(parseWorkspaceMode('nonsense')).toBeUndefined();
    expect(parseAdom({ name: 'dmz', os_ver: '7.0', mr: 2 })).toEqual({
      name: 'dmz',
      version: { major: 7, minor: 2 },
    });
  });

  it('lockinfo: no data is unlocked, else the first holder', () => {
    expect(parseLockInfo(undefined)).toBeUndefined();
    expect(parseLockInfo([{ lock_user: 'alice', lock_sid: 3, lock_time: 1700000000, dirty: 1 }])).toEqual({
      user: 'alice',
      sid: 3,
      since: 1_700_000_000_000,
      dirty: true,
    });
  });

  it('tasks: finished at 100 %, succeeded only without error lines', () => {
    const lines = [{ name: 'fgt', vdom: 'root', state: 5, err: 1, detail: 'refused' }];
    expect(parseTask(7, { percent: 100, state: 'done', num_err: 1, line: lines })).toMatchObject({
      id: 7,
      finished: true,
      succeeded: false,
      lines: [{ name: 'fgt', state: 'error', err: 1, detail: 'refused' }],
    });
    expect(parseTask(7, { percent: 100, state: 4, num_err: 0, line: [] })).toMatchObject({
      succeeded: true,
      state: 'done',
    });
    expect(parseTask(7, { percent: 40, state: 'running' })).toMatchObject({
      finished: false,
      succeeded: false,
    });
  });

  it('where-used details and members', () => {
    expect(
      parseWhereUsed({
        where_used: [
          { data: [{ attr: 'dstaddr', mapping_name: 'firewall policy', mkey: 4, pkg: { name: 'p' } }] },
        ],
      }),
    ).toEqual([{ attr: 'dstaddr', mappingName: 'firewall policy', mkey: 4, pkg: 'p' }]);
    expect(parseMembers(['a', { name: 'b' }, 3])).toEqual(['a', 'b']);
    expect(parseMembers('a')).toEqual(['a']);
  });
});
