import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  canonicalIPv6,
  maskToPrefix,
  parseIPv4Subnet,
  parseIPv6Prefix,
  prefixToMask,
  toDottedSubnet,
} from '../../../src/fortigate/subnet.js';

describe('subnet conversion', () => {
  it('turns prefixes into dotted masks', () => {
    expect(prefixToMask(0)).toBe('0.0.0.0');
    expect(prefixToMask(8)).toBe('255.0.0.0');
    expect(prefixToMask(23)).toBe('255.255.254.0');
    expect(prefixToMask(32)).toBe('255.255.255.255');
    expect(() => prefixToMask(33)).toThrow(RangeError);
  });

  it('reads masks back, refusing non-contiguous ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), (prefix) =>
        expect(maskToPrefix(prefixToMask(prefix))).toBe(prefix),
      ),
    );
    expect(maskToPrefix('255.0.255.0')).toBeUndefined();
    expect(maskToPrefix('banana')).toBeUndefined();
  });

  it('accepts every form FortiOS accepts and answers the dotted form', () => {
    expect(toDottedSubnet('10.0.0.1/32')).toBe('10.0.0.1 255.255.255.255');
    expect(toDottedSubnet('10.0.0.0/255.255.0.0')).toBe('10.0.0.0 255.255.0.0');
    expect(toDottedSubnet('10.0.0.0 255.255.0.0')).toBe('10.0.0.0 255.255.0.0');
    expect(toDottedSubnet('10.0.0.7')).toBe('10.0.0.7 255.255.255.255');
  });

  it('tells a bad address from a bad mask', () => {
    expect(parseIPv4Subnet('10.0.0.256/32')).toEqual({ ok: false, problem: 'invalid-ip' });
    expect(parseIPv4Subnet('10.0.0.1/40')).toEqual({ ok: false, problem: 'invalid-mask' });
    expect(parseIPv4Subnet('10.0.0.1 255.0.255.0')).toEqual({ ok: false, problem: 'invalid-mask' });
    expect(parseIPv4Subnet('10.0.0.1/8/8')).toEqual({ ok: false, problem: 'invalid-ip' });
    expect(() => toDottedSubnet('nope')).toThrow(RangeError);
  });

  it('canonicalises IPv6 prefixes', () => {
    expect(canonicalIPv6('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(parseIPv6Prefix('2001:db8::1')).toEqual({ ok: true, ip: '2001:db8::1', prefix: 128 });
    expect(parseIPv6Prefix('2001:db8::/32')).toEqual({ ok: true, ip: '2001:db8::', prefix: 32 });
    expect(parseIPv6Prefix('2001:db8::/129')).toEqual({ ok: false, problem: 'invalid-mask' });
    expect(parseIPv6Prefix('10.0.0.1')).toEqual({ ok: false, problem: 'invalid-ip' });
  });
});
