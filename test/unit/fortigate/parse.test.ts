import { describe, expect, it } from '@jest/globals';
import {
  parseAddress,
  parseAddressGroup,
  parseEntries,
  parseSystemStatus,
  parseTransactionId,
  readEnvelope,
  readEnvelopes,
} from '../../../src/fortigate/parse.js';

describe('tolerant reading of FortiOS replies', () => {
  it('fills missing address fields with FortiOS defaults', () => {
    expect(parseAddress({ name: 'a' })).toEqual({ name: 'a', type: 'ipmask', comment: '', color: 0 });
    expect(parseAddress({ q_origin_key: 'b', color: '4' })).toMatchObject({ name: 'b', color: 4 });
    expect(parseAddress({ comment: 'no name' })).toBeUndefined();
    expect(parseAddress('nonsense')).toBeUndefined();
  });

  it('reads members as arrays, lone objects or bare names', () => {
    expect(
      parseAddressGroup({ name: 'g', member: [{ name: 'a', q_origin_key: 'a' }, { bogus: 1 }] })?.member,
    ).toEqual([{ name: 'a' }]);
    expect(parseAddressGroup({ name: 'g', member: { name: 'a' } })?.member).toEqual([{ name: 'a' }]);
    expect(parseAddressGroup({ name: 'g', member: ['a'] })?.member).toEqual([{ name: 'a' }]);
    expect(parseAddressGroup({ name: 'g' })?.member).toEqual([]);
  });

  it('reads an envelope with any field missing, and one envelope per VDOM', () => {
    expect(readEnvelope({ status: 'error', http_status: 404 })).toMatchObject({
      status: 'error',
      httpStatus: 404,
      error: undefined,
    });
    expect(readEnvelope('<html>')).toBeUndefined();
    const per = readEnvelopes([{ vdom: 'root', results: [] }, { vdom: 'dmz', results: [{ name: 'x' }] }, 7]);
    expect(per.map((e) => e.vdom)).toEqual(['root', 'dmz']);
    expect(readEnvelopes(undefined)).toEqual([]);
  });

  it('reads results given as an array, a bare object, or nothing', () => {
    expect(parseEntries('firewall/address', [{ name: 'a' }, null])).toHaveLength(1);
    expect(parseEntries('firewall/address', { name: 'a' })).toHaveLength(1);
    expect(parseEntries('firewall/address', undefined)).toEqual([]);
    expect(parseEntries('firewall/policy', [{ policyid: 3, srcaddr: [{ name: 'g' }] }])[0]).toMatchObject({
      policyid: 3,
      srcaddr: [{ name: 'g' }],
      dstaddr: [],
    });
  });

  it('reads the monitor status with version and serial at the top', () => {
    expect(
      parseSystemStatus({
        version: 'v7.4.1',
        serial: 'FG1',
        build: 2463,
        results: { hostname: 'fw', model_name: 'FortiGate', model_number: '60F' },
      }),
    ).toEqual({
      version: 'v7.4.1',
      serial: 'FG1',
      build: 2463,
      hostname: 'fw',
      model: '',
      modelName: 'FortiGate',
      modelNumber: '60F',
    });
    expect(parseSystemStatus({ results: {} })).toBeUndefined();
  });

  it('reads transaction ids in either spelling', () => {
    expect(parseTransactionId({ 'transaction-id': 7 })).toBe(7);
    expect(parseTransactionId({ transaction_id: '8' })).toBe(8);
    expect(parseTransactionId(9)).toBe(9);
  });
});
