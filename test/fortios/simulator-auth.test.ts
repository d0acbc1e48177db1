import { afterEach, describe, expect, it } from '@jest/globals';
import type { SimulatorHandle, SimulatorOptions } from '../../src/simulator/index.js';
import { TOKEN, raw, simulator } from './helpers.js';

const STATUS = '/api/v2/monitor/system/status';

describe('simulator authentication', () => {
  let sim: SimulatorHandle | undefined;
  let now = 1_000_000;
  const start = async (options: Partial<SimulatorOptions> = {}) => {
    now = 1_000_000;
    sim = await simulator({ http: true, clock: () => now, ...options });
    return sim;
  };
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('accepts the Bearer header and refuses a wrong or missing token with an HTML 401', async () => {
    const s = await start();
    expect((await raw(s, 'GET', STATUS)).status).toBe(200);
    for (const token of ['wrong', null]) {
      const reply = await raw(s, 'GET', STATUS, { token });
      expect(reply.status).toBe(401);
      expect(reply.contentType).toContain('text/html');
      expect(reply.text).toContain('<title>401 Unauthorized</title>');
    }
  });

  it('locks a source out for 60 s after 3 failures within 60 s, with an HTML 429 for every request', async () => {
    const s = await start();
    for (let i = 0; i < 3; i++) expect((await raw(s, 'GET', STATUS, { token: 'wrong' })).status).toBe(401);
    const locked = await raw(s, 'GET', STATUS);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('<title>429 Too Many Requests</title>');
    now += 59_999;
    expect((await raw(s, 'GET', STATUS)).status).toBe(429);
    now += 1;
    expect((await raw(s, 'GET', STATUS)).status).toBe(200);
  });

  it('does not lock out failures spread beyond the window', async () => {
    const s = await start();
    await raw(s, 'GET', STATUS, { token: 'wrong' });
    await raw(s, 'GET', STATUS, { token: 'wrong' });
    now += 60_000;
    await raw(s, 'GET', STATUS, { token: 'wrong' });
    expect((await raw(s, 'GET', STATUS)).status).toBe(200);
  });

  it('takes lockout thresholds from the options', async () => {
    const s = await start({ lockout: { threshold: 1, durationMs: 5_000 } });
    await raw(s, 'GET', STATUS, { token: 'wrong' });
    expect((await raw(s, 'GET', STATUS)).status).toBe(429);
    now += 5_000;
    expect((await raw(s, 'GET', STATUS)).status).toBe(200);
  });

  it('accepts access_token in the URL before 7.4.5 and refuses it from 7.4.5 unless re-enabled', async () => {
    const old = await start({ fortiosVersion: '7.4.4' });
    expect((await raw(old, 'GET', `${STATUS}?access_token=${TOKEN}`, { token: null })).status).toBe(200);
    await old.close();
    const recent = await start({ fortiosVersion: '7.4.5' });
    expect((await raw(recent, 'GET', `${STATUS}?access_token=${TOKEN}`, { token: null })).status).toBe(401);
    expect(recent.requestLog.entries().at(-1)?.query).toBe('access_token=REDACTED');
    await recent.close();
    const enabled = await start({ fortiosVersion: '7.6.0', allowUrlToken: true });
    expect((await raw(enabled, 'GET', `${STATUS}?access_token=${TOKEN}`, { token: null })).status).toBe(200);
  });

  it('refuses sources outside the trusted hosts with 401, counted as a failed login', async () => {
    const s = await start({ trustedHosts: ['10.0.0.0/8', '192.168.0.0 255.255.0.0'] });
    for (let i = 0; i < 3; i++) expect((await raw(s, 'GET', STATUS)).status).toBe(401);
    expect((await raw(s, 'GET', STATUS)).status).toBe(429);
    await s.close();
    const trusting = await start({ trustedHosts: ['127.0.0.0/8'] });
    expect((await raw(trusting, 'GET', STATUS)).status).toBe(200);
  });

  it('restricts a token to its VDOMs (403 elsewhere)', async () => {
    const s = await start({ vdoms: ['root', 'dmz'], tokens: [{ token: TOKEN, vdoms: ['dmz'] }] });
    expect((await raw(s, 'GET', '/api/v2/cmdb/firewall/address?vdom=dmz')).status).toBe(200);
    expect((await raw(s, 'GET', '/api/v2/cmdb/firewall/address?vdom=root')).status).toBe(403);
    const all = await raw(s, 'GET', '/api/v2/cmdb/firewall/address?vdom=*');
    expect((all.json as unknown[]).length).toBe(1);
  });

  it('injects a lockout on demand', async () => {
    const s = await start();
    s.faults.lockout('127.0.0.1', 1_000);
    expect((await raw(s, 'GET', STATUS)).status).toBe(429);
    now += 1_000;
    expect((await raw(s, 'GET', STATUS)).status).toBe(200);
  });
});
