import { isIPv4, isIPv6 } from 'node:net';

/** Why a subnet was refused: FortiOS answers different codes for a bad address and a bad mask. */
export type SubnetProblem = 'invalid-ip' | 'invalid-mask';

export type ParsedSubnet =
  { ok: true; ip: string; mask: string; prefix: number } | { ok: false; problem: SubnetProblem };

export function prefixToMask(prefix: number): string {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    throw new RangeError(`invalid IPv4 prefix ${prefix}`);
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.');
}

/** The prefix length of a dotted mask, or undefined when the mask is not contiguous. */
export function maskToPrefix(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const value = mask.split('.').reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
  const inverted = ~value >>> 0;
  // A contiguous mask inverted is 2^n - 1, so adding one gives a power of two.
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

/**
 * Reads a subnet the way FortiOS accepts it: `a.b.c.d/nn`, `a.b.c.d/m.m.m.m`, `a.b.c.d m.m.m.m`
 * or a bare address (a host, /32).
 */
export function parseIPv4Subnet(text: string): ParsedSubnet {
  const parts = text.trim().split(/[\s/]+/);
  if (parts.length === 0 || parts.length > 2) return { ok: false, problem: 'invalid-ip' };
  const [ip, maskPart] = parts as [string, string | undefined];
  if (!isIPv4(ip)) return { ok: false, problem: 'invalid-ip' };
  if (maskPart === undefined) return { ok: true, ip, mask: '255.255.255.255', prefix: 32 };
  if (/^\d{1,2}$/.test(maskPart)) {
    const prefix = Number(maskPart);
    if (prefix > 32) return { ok: false, problem: 'invalid-mask' };
    return { ok: true, ip, mask: prefixToMask(prefix), prefix };
  }
  const prefix = maskToPrefix(maskPart);
  if (prefix === undefined) return { ok: false, problem: 'invalid-mask' };
  return { ok: true, ip, mask: maskPart, prefix };
}

/** `10.0.0.1/32` → `10.0.0.1 255.255.255.255`, the form FortiOS answers with. */
export function toDottedSubnet(text: string): string {
  const parsed = parseIPv4Subnet(text);
  if (!parsed.ok) throw new RangeError(`not an IPv4 subnet: ${text}`);
  return `${parsed.ip} ${parsed.mask}`;
}

export type ParsedPrefix6 = { ok: true; ip: string; prefix: number } | { ok: false; problem: SubnetProblem };

/** Canonical (compressed, lower-case) form of an IPv6 address. */
export function canonicalIPv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** Reads `2001:db8::1/128` or a bare address (/128); answers the canonical text. */
export function parseIPv6Prefix(text: string): ParsedPrefix6 {
  const [ip, prefixText, ...rest] = text.trim().split('/');
  if (ip === undefined || rest.length > 0 || !isIPv6(ip)) return { ok: false, problem: 'invalid-ip' };
  if (prefixText === undefined) return { ok: true, ip: canonicalIPv6(ip), prefix: 128 };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > 128)
    return { ok: false, problem: 'invalid-mask' };
  return { ok: true, ip: canonicalIPv6(ip), prefix: Number(prefixText) };
}

export function formatIPv6Prefix(parsed: { ip: string; prefix: number }): string {
  return `${parsed.ip}/${parsed.prefix}`;
}
