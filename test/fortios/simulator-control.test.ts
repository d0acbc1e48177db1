import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorHandle, SimulatorOptions } from '../../src/simulator/index.js';
import { field, raw, simulator } from './helpers.js';

const ADDR = '/api/v2/cmdb/firewall/address';

describe('simulator control API, request log, faults and state file', () => {
  const running: SimulatorHandle[] = [];
  let now = 5_000_000;
  const start = async (options: Partial<SimulatorOptions> = {}) => {
    const sim = await simulator({ http: true, clock: () => now, ...options });
    running.push(sim);
    return sim;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });

  it('logs every request with time, method, path, table, mkey, vdom, status and body summary', async () => {
    const sim = await start();
    await raw(sim, 'POST', ADDR, { body: { name: 'a', subnet: '10.0.0.1/32' } });
    now += 10;
    await raw(sim, 'GET', `${ADDR}/a?vdom=root`);
    await raw(sim, 'DELETE', `${ADDR}/ghost`);
    const [created, read, missing] = sim.requestLog.entries();
    expect(created).toMatchObject({
      seq: 1,
      method: 'POST',
      path: ADDR,
      table: 'firewall/address',
      mkey: 'a',
      status: 200,
      vdom: 'root',
      sourceIp: '127.0.0.1',
    });
    expect(created?.body).toContain('"name":"a"');
    expect(created?.time).toBe(new Date(5_000_000).toISOString());
    expect(read).toMatchObject({ method: 'GET', mkey: 'a', timestampMs: 5_000_010, query: 'vdom=root' });
    expect(missing).toMatchObject({ status: 404, fortiosCode: -3 });
    expect(sim.requestLog.entries({ since: 2 })).toHaveLength(1);
    expect(sim.requestLog.entries({ method: 'get' })).toHaveLength(1);
  });

  it('keeps the request log bounded', async () => {
    const sim = await start({ requestLogCapacity: 2 });
    for (let i = 0; i < 4; i++) await raw(sim, 'GET', ADDR);
    expect(sim.requestLog.entries().map((e) => e.seq)).toEqual([3, 4]);
    expect(sim.requestLog.total).toBe(4);
  });

  it('serves state, seeding, requests, faults and reset under /__sim', async () => {
    const sim = await start();
    const seeded = await raw(sim, 'POST', '/__sim/state/seed', {
      body: { table: 'firewall/address', entries: [{ name: 's1', subnet: '10.0.0.1/32' }] },
    });
    expect(seeded.json).toMatchObject({ status: 'ok', seeded: 1 });
    expect(
      field(
        (
          await raw(sim, 'POST', '/__sim/state/seed', {
            body: { table: 'firewall/addrgrp', entries: [{ name: 'g', member: [] }] },
          })
        ).json,
        'status',
      ),
    ).toBe('error');
    const list = await raw(sim, 'GET', '/__sim/state?table=firewall/address');
    expect((list.json as { name: string }[]).map((e) => e.name)).toEqual(['all', 'none', 's1']);
    const snapshot = (await raw(sim, 'GET', '/__sim/state')).json;
    expect(field(snapshot, 'format')).toBe('fortisync-simulator-state/v1');

    const rule = await raw(sim, 'POST', '/__sim/faults/rules', {
      body: {
        match: { method: 'GET', table: 'firewall/address' },
        action: { type: 'error', status: 500, fortiosCode: -4 },
        times: 1,
      },
    });
    const id = field(rule.json, 'id') as string;
    expect((await raw(sim, 'GET', ADDR)).json).toMatchObject({ status: 'error', error: -4 });
    expect((await raw(sim, 'GET', ADDR)).status).toBe(200);
    const faults = await raw(sim, 'GET', '/__sim/faults');
    expect(field(faults.json, 'rules', 0, 'hits')).toBe(1);
    expect((await raw(sim, 'DELETE', `/__sim/faults/rules/${id}`)).status).toBe(200);
    expect((await raw(sim, 'DELETE', `/__sim/faults/rules/${id}`)).status).toBe(404);

    await raw(sim, 'PUT', '/__sim/faults/latency', { body: { ms: 5, jitterMs: 1 } });
    expect(sim.faults.settings().latency).toEqual({ ms: 5, jitterMs: 1 });
    await raw(sim, 'PUT', '/__sim/faults/not-found-after-create', { body: { reads: 1 } });
    expect(sim.faults.settings().notFoundAfterCreate.reads).toBe(1);
    await raw(sim, 'POST', '/__sim/faults/lockout', { body: {} });
    expect((await raw(sim, 'GET', ADDR)).status).toBe(429);
    expect((await raw(sim, 'GET', '/__sim/requests')).status).toBe(200);
    await raw(sim, 'DELETE', '/__sim/faults');
    expect((await raw(sim, 'GET', ADDR)).status).toBe(200);

    const requests = (await raw(sim, 'GET', '/__sim/requests?method=GET')).json as { path: string }[];
    expect(requests.every((r) => !r.path.startsWith('/__sim'))).toBe(true);

    expect((await raw(sim, 'POST', '/__sim/reset')).status).toBe(200);
    expect(sim.state.get('firewall/address', 's1')).toBeUndefined();
    expect(sim.requestLog.total).toBe(0);
  });

  it('guards the control API with its own token when one is set', async () => {
    const sim = await start({ controlToken: 'ctl' });
    expect((await raw(sim, 'GET', '/__sim/info')).status).toBe(401);
    const info = await raw(sim, 'GET', '/__sim/info', { token: 'ctl' });
    expect(info.json).toMatchObject({ version: 'v7.2.8', vdoms: ['root'] });
  });

  it('injects latency with jitter, hangs and resets', async () => {
    const sim = await start();
    sim.faults.setLatency(30, 10);
    const begin = performance.now();
    await raw(sim, 'GET', ADDR);
    expect(performance.now() - begin).toBeGreaterThanOrEqual(29);
    sim.faults.clear();

    sim.faults.add({ match: { table: 'firewall/address' }, action: { type: 'reset' }, times: 1 });
    await expect(raw(sim, 'GET', ADDR)).rejects.toThrow();
    expect(sim.requestLog.entries().at(-1)).toMatchObject({
      status: 0,
      fault: expect.stringContaining('reset'),
    });

    sim.faults.add({ action: { type: 'hang', ms: 20 }, times: 1 });
    await expect(raw(sim, 'GET', ADDR)).rejects.toThrow();
    expect((await raw(sim, 'GET', ADDR)).status).toBe(200);
  });

  it('fires probabilistic faults reproducibly from the seed', async () => {
    const outcomes: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const sim = await start({ seed: 42 });
      sim.faults.add({ action: { type: 'error', status: 503 }, probability: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await raw(sim, 'GET', ADDR)).status);
      outcomes.push(statuses);
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toContain(503);
    expect(outcomes[0]).toContain(200);
  });

  it('keeps its configuration in the state file across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fortisync-sim-'));
    const statePath = join(dir, 'state.json');
    try {
      const first = await start({ statePath, vdoms: ['root', 'dmz'] });
      await raw(first, 'POST', ADDR, { body: { name: 'persisted', subnet: '10.0.0.1/32' } });
      await raw(first, 'POST', '/api/v2/cmdb/firewall/addrgrp', {
        body: { name: 'g', member: [{ name: 'persisted' }] },
      });
      const revision = first.state.revision();
      await first.close();
      expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({
        format: 'fortisync-simulator-state/v1',
      });

      const second = await start({ statePath, vdoms: ['root'] });
      expect(second.state.get('firewall/address', 'persisted')).toMatchObject({
        subnet: '10.0.0.1 255.255.255.255',
      });
      expect(second.state.revision()).toBe(revision);
      expect(second.state.vdoms()).toEqual(['root', 'dmz']);
      expect(field((await raw(second, 'DELETE', `${ADDR}/persisted`)).json, 'error')).toBe(-23);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bodies over the size limit with 413', async () => {
    const sim = await start({ maxBodyBytes: 100 });
    const reply = await raw(sim, 'POST', ADDR, { body: { name: 'x', comment: 'c'.repeat(200) } });
    expect(reply.status).toBe(413);
  });
});
