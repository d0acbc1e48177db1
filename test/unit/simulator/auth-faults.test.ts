import { describe, expect, it } from '@jest/globals';
import { Authenticator, normaliseIp, trustedHostMatcher } from '../../../src/simulator/auth.js';
import { FaultInjector, seededRandom } from '../../../src/simulator/faults.js';
import { matchesFilters, parseFilters } from '../../../src/simulator/filter-eval.js';

describe('authenticator', () => {
  it('locks out after the threshold and lifts the lockout after its duration', () => {
    let now = 0;
    const auth = new Authenticator({
      tokens: ['t'],
      allowUrlToken: false,
      lockout: { threshold: 3, windowMs: 60_000, durationMs: 60_000 },
      now: () => now,
    });
    expect(auth.check('1.2.3.4', 'Bearer t', null)).toMatchObject({ ok: true });
    expect(auth.check('1.2.3.4', 'Bearer x', null)).toMatchObject({
      ok: false,
      status: 401,
      reason: 'bad-token',
    });
    expect(auth.check('1.2.3.4', undefined, 't')).toMatchObject({ ok: false, reason: 'url-token-refused' });
    expect(auth.check('1.2.3.4', undefined, null)).toMatchObject({ ok: false, reason: 'no-token' });
    expect(auth.check('1.2.3.4', 'Bearer t', null)).toMatchObject({ ok: false, status: 429 });
    expect(auth.check('5.6.7.8', 'Bearer t', null)).toMatchObject({ ok: true });
    now = 60_000;
    expect(auth.check('1.2.3.4', 'Bearer t', null)).toMatchObject({ ok: true });
  });

  it('matches trusted hosts written as CIDR or dotted mask, IPv4 and IPv6', () => {
    const trusted = trustedHostMatcher(['10.0.0.0/8', '192.168.1.0 255.255.255.0', '2001:db8::/32']);
    expect(trusted('10.1.2.3')).toBe(true);
    expect(trusted('192.168.1.7')).toBe(true);
    expect(trusted('192.168.2.7')).toBe(false);
    expect(trusted('2001:db8::1')).toBe(true);
    expect(() => trustedHostMatcher(['nope'])).toThrow(RangeError);
    expect(normaliseIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('fault injector', () => {
  it('fires rules by match, count and probability', () => {
    const faults = new FaultInjector(seededRandom(7), { ms: 0, jitterMs: 0 });
    faults.addRule({
      match: { method: 'post', table: 'firewall/address' },
      action: { type: 'reset' },
      times: 1,
    });
    expect(faults.pick({ method: 'GET', path: '/', table: 'firewall/address' })).toBeUndefined();
    expect(faults.pick({ method: 'POST', path: '/', table: 'firewall/address' })?.action.type).toBe('reset');
    expect(faults.pick({ method: 'POST', path: '/', table: 'firewall/address' })).toBeUndefined();
    faults.addRule({ action: { type: 'error', status: 503 }, probability: 0 });
    expect(faults.pick({ method: 'GET', path: '/' })).toBeUndefined();
    expect(() => faults.addRule({ action: { type: 'reset' }, probability: 2 })).toThrow(RangeError);
  });

  it('hides fresh entries for the configured number of reads', () => {
    const faults = new FaultInjector(seededRandom(1), { ms: 0, jitterMs: 0 });
    faults.notFoundAfterCreate(2);
    faults.recordCreate('root', 'firewall/address', 'a');
    expect([1, 2, 3].map(() => faults.hideOnRead('root', 'firewall/address', 'a'))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('adds jitter within bounds and restores start-up latency on clear', () => {
    const faults = new FaultInjector(seededRandom(3), { ms: 5, jitterMs: 0 });
    faults.setLatency(10, 4);
    for (let i = 0; i < 50; i++) {
      const ms = faults.latencyMs();
      expect(ms).toBeGreaterThanOrEqual(10);
      expect(ms).toBeLessThan(14);
    }
    faults.clear();
    expect(faults.latencyMs()).toBe(5);
  });
});

describe('filter evaluation', () => {
  it('matches reference lists by member name', () => {
    const clauses = parseFilters(['member==a']);
    expect(clauses && matchesFilters({ name: 'g', member: [{ name: 'b' }, { name: 'a' }] }, clauses)).toBe(
      true,
    );
    const negated = parseFilters(['member!=a']);
    expect(negated && matchesFilters({ name: 'g', member: [{ name: 'a' }] }, negated)).toBe(false);
    expect(parseFilters(['bad'])).toBeUndefined();
  });
});
