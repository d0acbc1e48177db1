import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, PASSWORD, call, login, rpc, startFmg } from './helpers.js';

let sim: FortiManagerSimulatorHandle;
const bearer = { authorization: `Bearer ${API_KEY}` };
const ADDR = 'pm/config/adom/root/obj/firewall/address';
const GRP = 'pm/config/adom/root/obj/firewall/addrgrp';

beforeAll(async () => {
  sim = await startFmg();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

describe('sessions', () => {
  it('logs in, answers with a session, and refuses calls without one (-11)', async () => {
    const session = await login(sim, 'fortisync', PASSWORD);
    expect(session.length).toBeGreaterThan(20);
    const status = await call(sim, session, 'get', { url: '/sys/status' });
    expect(status.status.code).toBe(0);
    expect(status.data).toMatchObject({ Hostname: 'FMG-VM64', Major: 7, Minor: 4, Patch: 5 });
    const anonymous = await call(sim, null, 'get', { url: '/sys/status' });
    expect(anonymous.status).toEqual({ code: -11, message: 'No permission for the resource' });
  });
});

describe('objects', () => {
  it('creates an address and reads it back with the subnet as [ip, mask]', async () => {
    const add = await call(
      sim,
      null,
      'add',
      { url: ADDR, data: { name: 'h1', subnet: '10.0.0.1/32', comment: 'x' } },
      {},
    );
    expect(add.status.code).toBe(-11);
    const r = await rpc(
      sim,
      { method: 'add', params: [{ url: ADDR, data: { name: 'h1', subnet: '10.0.0.1/32' } }] },
      bearer,
    );
    expect(r.result[0]).toMatchObject({ status: { code: 0 }, url: ADDR, data: { name: 'h1' } });
    const got = await rpc(sim, { method: 'get', params: [{ url: `${ADDR}/h1` }] }, bearer);
    expect(got.result[0]?.data).toMatchObject({
      name: 'h1',
      subnet: ['10.0.0.1', '255.255.255.255'],
      type: 0,
    });
    const grp = await rpc(
      sim,
      { method: 'add', params: [{ url: GRP, data: { name: 'g', member: ['h1'] } }] },
      bearer,
    );
    expect(grp.result[0]?.status.code).toBe(0);
  });
});
