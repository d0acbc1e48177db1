import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { request } from 'node:https';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, PASSWORD, call, login, rpc, startFmg } from './helpers.js';

let sim: FortiManagerSimulatorHandle;
let now = Date.parse('2026-12-02T06:00:00Z');
const bearer = { authorization: `Bearer ${API_KEY}` };
const ADDR = 'pm/config/adom/root/obj/firewall/address';
const GRP = 'pm/config/adom/root/obj/firewall/addrgrp';

/** One call with the API key; answers result[0]. */
async function api(method: string, params: Record<string, unknown>, verbose = 1) {
  const reply = await rpc(sim, { method, params: [params], verbose }, bearer);
  return reply.result[0] as { status: { code: number; message: string }; url: string; data?: unknown };
}

beforeAll(async () => {
  sim = await startFmg({ clock: () => now, idleTimeoutMs: 900_000 });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  now = Date.parse('2026-12-02T06:00:00Z');
});

describe('envelope and sessions', () => {
  it('answers one result per params entry, echoing each url verbatim', async () => {
    const reply = await rpc(
      sim,
      {
        method: 'get',
        params: [{ url: '/sys/status' }, { url: `${ADDR}/missing` }, { url: '/no/such/url/' }],
      },
      bearer,
    );
    expect(reply.id).toBe(1);
    expect(reply.result.map((r) => [r.url, r.status.code])).toEqual([
      ['/sys/status', 0],
      [`${ADDR}/missing`, -3],
      ['/no/such/url/', -6],
    ]);
  });

  it('login takes data as an object or a one-element list; bad password -22; permit none -11', async () => {
    const asList = await rpc(sim, {
      method: 'exec',
      params: [{ url: '/sys/login/user', data: [{ user: 'fortisync', passwd: PASSWORD }] }],
    });
    expect(asList.session).toEqual(expect.any(String));
    const bad = await rpc(sim, {
      method: 'exec',
      params: [{ url: 'sys/login/user', data: { user: 'fortisync', passwd: 'x' } }],
    });
    expect(bad.session).toBeUndefined();
    expect(bad.result[0]?.status).toEqual({ code: -22, message: 'Login fail' });
    const none = await rpc(sim, {
      method: 'exec',
      params: [{ url: 'sys/login/user', data: { user: 'nobody', passwd: 'nobody-pw' } }],
    });
    expect(none.result[0]?.status.code).toBe(-11);
  });

  it('sessions expire after idle_timeout_api and logout ends them', async () => {
    const session = await login(sim, 'alice', 'alice-pw');
    now += 899_000;
    expect((await call(sim, session, 'get', { url: 'sys/status' })).status.code).toBe(0);
    now += 901_000;
    expect((await call(sim, session, 'get', { url: 'sys/status' })).status.code).toBe(-11);
    const second = await login(sim, 'alice', 'alice-pw');
    expect((await call(sim, second, 'exec', { url: 'sys/logout' })).status.code).toBe(0);
    expect((await call(sim, second, 'get', { url: 'sys/status' })).status.code).toBe(-11);
  });

  it('ignores Basic authorization (Ansible sends it) and takes the session', async () => {
    const session = await login(sim, 'alice', 'alice-pw');
    const basic = { authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` };
    const reply = await rpc(sim, { method: 'get', params: [{ url: 'sys/status' }], session }, basic);
    expect(reply.result[0]?.status.code).toBe(0);
    const without = await rpc(sim, { method: 'get', params: [{ url: 'sys/status' }] }, basic);
    expect(without.result[0]?.status.code).toBe(-11);
  });

  it('answers what Ansible reads at connect: status ints, workspace mode, ADOMs with tab_status, lockinfo', async () => {
    const session = await login(sim, 'fortisync', PASSWORD);
    const status = await call(sim, session, 'get', { url: '/cli/global/system/status' });
    expect(status.data).toMatchObject({ Major: 7, Minor: 4, Patch: 5, Hostname: 'FMG-VM64' });
    const global = await call(sim, session, 'get', {
      url: '/cli/global/system/global',
      fields: ['workspace-mode', 'adom-status'],
    });
    expect(global.data).toEqual({ 'workspace-mode': 'disabled', 'adom-status': 'enable' });
    const adoms = await call(sim, session, 'get', { url: '/dvmdb/adom' });
    expect(adoms.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'root', tab_status: 'enable' })]),
    );
    for (const url of [
      '/dvmdb/adom/root/workspace/lockinfo',
      '/dvmdb/adom/dmz/workspace/lockinfo/',
      '/dvmdb/global/workspace/lockinfo/',
    ]) {
      const info = await call(sim, session, 'get', { url });
      expect(info.status.code).toBe(0);
      expect(info.data).toBeUndefined();
    }
    const numeric = await rpc(sim, {
      method: 'get',
      params: [{ url: '/cli/global/system/global' }],
      session,
      verbose: 0,
    });
    expect(numeric.result[0]?.data).toMatchObject({ 'workspace-mode': 0, 'adom-status': 1 });
  });
});

describe('objects', () => {
  it('accepts subnets as a/len, "ip mask" or [ip, mask]; answers [ip, mask] and numeric enums without verbose', async () => {
    for (const [name, subnet] of [
      ['a', '10.0.0.1/32'],
      ['b', '10.0.0.2 255.255.255.255'],
      ['c', ['10.0.0.0', '255.255.255.0']],
    ])
      expect((await api('add', { url: ADDR, data: { name, subnet } })).status.code).toBe(0);
    expect((await api('get', { url: `${ADDR}/c` })).data).toMatchObject({
      subnet: ['10.0.0.0', '255.255.255.0'],
      type: 'ipmask',
    });
    expect((await api('get', { url: `${ADDR}/a` }, 0)).data).toMatchObject({ type: 0 });
    expect((await api('add', { url: ADDR, data: { name: 'bad', subnet: '10.0.0.1/33' } })).status.code).toBe(
      -10,
    );
  });

  it('filters: ==, like, contain, in, && and ||, subnet equality; fields, range, count', async () => {
    await api('add', {
      url: ADDR,
      data: [
        { name: 'k8s-prod-node-a', subnet: '10.0.0.1/32', comment: '[fortisync:prod] node a' },
        { name: 'k8s-prod-node-b', subnet: '10.0.0.2/32', comment: '[fortisync:prod] node b' },
        { name: 'admin', subnet: '10.9.9.9/32', comment: 'by hand' },
      ],
    });
    await api('add', { url: GRP, data: { name: 'g', member: ['k8s-prod-node-a', 'admin'] } });
    const names = async (params: Record<string, unknown>, url = ADDR) =>
      ((await api('get', { url, ...params })).data as { name: string }[]).map((e) => e.name);
    expect(await names({ filter: ['comment', 'like', '%[fortisync:prod]%'] })).toEqual([
      'k8s-prod-node-a',
      'k8s-prod-node-b',
    ]);
    expect(await names({ filter: ['subnet', '==', '10.9.9.9/32'] })).toEqual(['admin']);
    expect(await names({ filter: ['name', 'in', 'admin', 'none'] })).toEqual(['none', 'admin']);
    expect(
      await names({ filter: [['name', 'like', 'k8s-%'], '&&', ['comment', 'like', '%node b']] }),
    ).toEqual(['k8s-prod-node-b']);
    expect(await names({ filter: [['name', '==', 'all'], '||', ['name', '==', 'admin']] })).toEqual([
      'all',
      'admin',
    ]);
    expect(await names({ filter: ['member', 'contain', 'admin'] }, GRP)).toEqual(['g']);
    expect(await names({ range: [1, 2] })).toEqual(['none', 'k8s-prod-node-a']);
    expect((await api('get', { url: ADDR, option: 'count' })).data).toBe(5);
    const slim = (await api('get', { url: ADDR, fields: ['comment'], filter: ['name', '==', 'admin'] })).data;
    expect(slim).toEqual([{ name: 'admin', comment: 'by hand' }]);
    expect((await api('get', { url: ADDR, filter: ['name', '~', 'x'] })).status.code).toBe(-10);
  });

  it('get used / object used, and extra info', async () => {
    await api('add', {
      url: ADDR,
      data: [
        { name: 'a', subnet: '10.0.0.1/32' },
        { name: 'b', subnet: '10.0.0.2/32' },
      ],
    });
    await api('add', { url: GRP, data: { name: 'g', member: ['a'] } });
    const used = (await api('get', { url: ADDR, option: ['get used'], filter: ['object used', '==', 1] }))
      .data;
    expect(used).toEqual([expect.objectContaining({ name: 'a', 'obj flags': 1 })]);
    const extra = (await api('get', { url: `${ADDR}/b`, option: 'extra info' })).data;
    expect(extra).toMatchObject({
      '_last-modified-by': 'fortisync',
      '_modified timestamp': Math.floor(now / 1000),
    });
  });

  it('groups: shared name space, members must exist, a comma-joined string is -10131, no loops, in-use on delete', async () => {
    await api('add', {
      url: ADDR,
      data: [
        { name: 'a', subnet: '10.0.0.1/32' },
        { name: 'b', subnet: '10.0.0.2/32' },
      ],
    });
    expect((await api('add', { url: GRP, data: { name: 'a', member: ['b'] } })).status.code).toBe(-2);
    const joined = await api('add', { url: GRP, data: { name: 'g', member: 'a,b' } });
    expect(joined.status.code).toBe(-10131);
    expect(joined.status.message).toMatch(
      /^datasrc invalid\. object: firewall addrgrp\.g:member\. detail: a,b/,
    );
    expect((await api('add', { url: GRP, data: { name: 'g', member: 'a' } })).status.code).toBe(0);
    expect((await api('add', { url: GRP, data: { name: 'outer', member: ['g'] } })).status.code).toBe(0);
    expect((await api('update', { url: `${GRP}/g`, data: { member: ['outer'] } })).status.code).toBe(-10);
    expect((await api('delete', { url: `${ADDR}/a` })).status).toEqual({ code: -10015, message: 'used' });
    expect((await api('delete', { url: `${ADDR}/all` })).status.code).toBe(-10);
  });

  it('member sub-table: add, delete, unset; -9998 for an empty group in an ADOM below 7.2', async () => {
    await api('add', {
      url: ADDR,
      data: [
        { name: 'a', subnet: '10.0.0.1/32' },
        { name: 'b', subnet: '10.0.0.2/32' },
      ],
    });
    await api('add', { url: GRP, data: { name: 'g', member: ['a'] } });
    expect((await api('add', { url: `${GRP}/g/member`, data: ['b'] })).status.code).toBe(0);
    expect((await api('add', { url: `${GRP}/g/member`, data: ['b'] })).status.code).toBe(-2);
    expect((await api('get', { url: `${GRP}/g/member` })).data).toEqual(['a', 'b']);
    expect((await api('delete', { url: `${GRP}/g/member`, data: ['a'] })).status.code).toBe(0);
    expect((await api('delete', { url: `${GRP}/g/member`, data: ['a'] })).status.code).toBe(-3);
    expect((await api('unset', { url: `${GRP}/g/member` })).status.code).toBe(0);
    expect((await api('get', { url: `${GRP}/g` })).data).toMatchObject({ member: [] });
    const legacy = 'pm/config/adom/legacy/obj/firewall';
    await api('add', { url: `${legacy}/address`, data: { name: 'a', subnet: '10.0.0.1/32' } });
    expect(
      (await api('add', { url: `${legacy}/addrgrp`, data: { name: 'g', member: [] } })).status.code,
    ).toBe(-9998);
    await api('add', { url: `${legacy}/addrgrp`, data: { name: 'g', member: ['a'] } });
    expect((await api('unset', { url: `${legacy}/addrgrp/g/member` })).status.code).toBe(-9998);
  });

  it('set overwrites, update patches and renames (references follow), replace needs the object, clone copies', async () => {
    await api('add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32', comment: 'keep?', color: 3 } });
    await api('add', { url: GRP, data: { name: 'g', member: ['a'] } });
    await api('set', { url: ADDR, data: { name: 'a', subnet: '10.0.0.5/32' } });
    expect((await api('get', { url: `${ADDR}/a` })).data).toMatchObject({
      comment: '',
      color: 0,
      subnet: ['10.0.0.5', '255.255.255.255'],
    });
    await api('update', { url: `${ADDR}/a`, data: { comment: 'patched' } });
    expect((await api('get', { url: `${ADDR}/a` })).data).toMatchObject({
      comment: 'patched',
      subnet: ['10.0.0.5', '255.255.255.255'],
    });
    expect((await api('update', { url: `${ADDR}/a`, data: { name: 'a2' } })).data).toEqual({ name: 'a2' });
    expect((await api('get', { url: `${GRP}/g` })).data).toMatchObject({ member: ['a2'] });
    expect((await api('replace', { url: `${ADDR}/zz`, data: { subnet: '10.0.0.9/32' } })).status.code).toBe(
      -3,
    );
    expect((await api('clone', { url: `${ADDR}/a2`, data: { name: 'a3' } })).status.code).toBe(0);
    expect((await api('get', { url: `${ADDR}/a3` })).data).toMatchObject({ comment: 'patched' });
    expect((await api('get', { url: `${ADDR}/` })).data).toHaveLength(4);
  });

  it('names with "/" are written \\/ in the url', async () => {
    await api('add', { url: ADDR, data: { name: 'net/24', subnet: '10.0.0.0/24' } });
    expect((await api('get', { url: `${ADDR}/net\\/24` })).data).toMatchObject({ name: 'net/24' });
    expect((await api('get', { url: `${ADDR}/net/24` })).status.code).toBe(-6);
  });
});

describe('workspace', () => {
  beforeEach(() => {
    sim.settings.workspaceMode = 'normal';
  });

  it('lock, lockinfo, dirty; writes invisible to others until commit; -10147 without lock, -20055 for others', async () => {
    const mine = await login(sim, 'fortisync', PASSWORD);
    const alice = await login(sim, 'alice', 'alice-pw');
    expect(
      (await call(sim, mine, 'add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } })).status.code,
    ).toBe(-10147);
    const lock = await call(sim, mine, 'exec', { url: '/dvmdb/adom/root/workspace/lock/' });
    expect(lock.status).toEqual({ code: 0, message: 'OK' });
    expect(
      (await call(sim, mine, 'add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } })).status.code,
    ).toBe(0);
    expect(
      (await call(sim, alice, 'add', { url: ADDR, data: { name: 'b', subnet: '10.0.0.2/32' } })).status.code,
    ).toBe(-20055);
    expect((await call(sim, alice, 'exec', { url: 'dvmdb/adom/root/workspace/lock' })).status.code).toBe(
      -20055,
    );
    const info = await call(sim, alice, 'get', { url: 'dvmdb/adom/root/workspace/lockinfo' });
    expect(info.data).toEqual([
      expect.objectContaining({ lock_user: 'fortisync', dirty: 1, lock_time: Math.floor(now / 1000) }),
    ]);
    expect((await call(sim, mine, 'get', { url: 'dvmdb/adom/root/workspace/dirty' })).data).toEqual({
      dirty: 1,
    });
    expect((await call(sim, alice, 'get', { url: `${ADDR}/a` })).status.code).toBe(-3);
    expect((await call(sim, mine, 'get', { url: `${ADDR}/a` })).status.code).toBe(0);
    await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/commit' });
    expect((await call(sim, alice, 'get', { url: `${ADDR}/a` })).status.code).toBe(0);
    await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/unlock' });
    expect(sim.adom('root').lockInfo()).toBeUndefined();
  });

  it('unlock without commit, logout and session expiry all discard uncommitted changes and free the lock', async () => {
    const write = async (session: string, name: string) => {
      await call(sim, session, 'exec', { url: 'dvmdb/adom/root/workspace/lock' });
      await call(sim, session, 'add', { url: ADDR, data: { name, subnet: '10.0.0.1/32' } });
    };
    const s1 = await login(sim, 'fortisync', PASSWORD);
    await write(s1, 'u1');
    await call(sim, s1, 'exec', { url: 'dvmdb/adom/root/workspace/unlock' });
    await write(s1, 'u2');
    await call(sim, s1, 'exec', { url: 'sys/logout' });
    const s2 = await login(sim, 'fortisync', PASSWORD);
    await write(s2, 'u3');
    now += 901_000;
    expect(
      sim
        .adom('root')
        .list('firewall/address')
        .map((a) => a.name),
    ).toEqual(['all', 'none']);
    const s3 = await login(sim, 'alice', 'alice-pw');
    expect((await call(sim, s3, 'exec', { url: 'dvmdb/adom/root/workspace/lock' })).status.code).toBe(0);
  });

  it('lock-preempt lets another admin unlock (and discard) a lock; without it -20055', async () => {
    const mine = await login(sim, 'fortisync', PASSWORD);
    const alice = await login(sim, 'alice', 'alice-pw');
    await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/lock' });
    expect((await call(sim, alice, 'exec', { url: 'dvmdb/adom/root/workspace/unlock' })).status.code).toBe(
      -20055,
    );
    sim.settings.lockPreempt = true;
    expect((await call(sim, alice, 'exec', { url: 'dvmdb/adom/root/workspace/unlock' })).status.code).toBe(0);
    expect(sim.adom('root').lockInfo()).toBeUndefined();
  });

  it('workflow mode: writes need a started session; submitted changes apply when approved', async () => {
    sim.settings.workspaceMode = 'workflow';
    const mine = await login(sim, 'fortisync', PASSWORD);
    await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/lock' });
    expect(
      (await call(sim, mine, 'add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } })).status.code,
    ).toBe(-10147);
    const started = await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workflow/start' });
    const id = (started.data as { sessionid: number }).sessionid;
    expect(
      (await call(sim, mine, 'add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } })).status.code,
    ).toBe(0);
    expect((await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/commit' })).status.code).toBe(
      -10147,
    );
    await call(sim, mine, 'exec', {
      url: `dvmdb/adom/root/workflow/submit/${id}`,
      data: { workflow: { desc: 'k8s' } },
    });
    await call(sim, mine, 'exec', { url: 'dvmdb/adom/root/workspace/unlock' });
    expect(sim.adom('root').get('firewall/address', 'a')).toBeUndefined();
    const approver = await login(sim, 'alice', 'alice-pw');
    expect(
      (await call(sim, approver, 'exec', { url: `dvmdb/adom/root/workflow/approve/${id}` })).status.code,
    ).toBe(0);
    expect(sim.adom('root').get('firewall/address', 'a')).toBeDefined();
  });
});

describe('packages, installs and where-used', () => {
  it('policy packages: add, policies with references, obj seq order, numeric action without verbose', async () => {
    await api('add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } });
    expect(
      (
        await api('add', {
          url: 'pm/pkg/adom/root',
          data: { name: 'p', type: 'pkg', 'scope member': [{ name: 'fgt-edge', vdom: 'root' }] },
        })
      ).status.code,
    ).toBe(0);
    const policy = 'pm/config/adom/root/pkg/p/firewall/policy';
    expect(
      (await api('add', { url: policy, data: { name: 'x', srcaddr: ['ghost'], dstaddr: ['all'] } })).status
        .code,
    ).toBe(-10131);
    expect(
      (
        await api('add', {
          url: policy,
          data: { name: 'x', srcaddr: ['a'], dstaddr: ['all'], action: 'accept' },
        })
      ).data,
    ).toEqual({ policyid: 1 });
    expect(
      (
        await api('add', {
          url: policy,
          data: { policyid: 9, name: 'y', srcaddr: ['all'], dstaddr: ['a'], action: 0 },
        })
      ).data,
    ).toEqual({ policyid: 9 });
    const list = (await api('get', { url: policy }, 0)).data as Record<string, unknown>[];
    expect(list.map((p) => [p.policyid, p['obj seq'], p.action])).toEqual([
      [1, 1, 1],
      [9, 2, 0],
    ]);
    expect((await api('delete', { url: `${ADDR}/a` })).status.code).toBe(-10015);
  });

  it('install task: progress with the clock, numeric states without verbose, device written at 100 %', async () => {
    sim.settings.installDurationMs = 10_000;
    await api('add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } });
    sim.adom('root').seedPackage({
      name: 'p',
      scope: [{ name: 'fgt-edge' }],
      policies: [{ policyid: 1, srcaddr: ['a'], dstaddr: ['all'], action: 'accept' }],
    });
    const started = await api('exec', {
      url: 'securityconsole/install/package',
      data: { adom: 'root', pkg: 'p', flags: ['none'] },
    });
    const task = (started.data as { task: number }).task;
    now += 4_000;
    expect((await api('get', { url: `task/task/${task}` })).data).toMatchObject({
      percent: 40,
      state: 'running',
      num_err: 0,
    });
    expect(sim.devices.get('fgt-edge')?.state.get('firewall/address', 'a')).toBeUndefined();
    now += 6_000;
    const done = (await api('get', { url: `task/task/${task}` }, 0)).data as Record<string, unknown>;
    expect(done).toMatchObject({
      percent: 100,
      state: 4,
      num_lines: 1,
      num_err: 0,
      line: [expect.objectContaining({ name: 'fgt-edge', state: 4 })],
    });
    expect(sim.devices.get('fgt-edge')?.state.get('firewall/address', 'a')).toMatchObject({
      subnet: '10.0.0.1 255.255.255.255',
    });
    expect((await api('get', { url: 'task/task/999' })).status.code).toBe(-3);
    const bad = await api('exec', {
      url: 'securityconsole/install/package',
      data: { adom: 'root', pkg: 'p', scope: [{ name: 'fgt-dmz', vdom: 'root' }] },
    });
    expect(bad.status.code).toBe(-10);
  });

  it('where-used search: start, summary, detail', async () => {
    await api('add', { url: ADDR, data: { name: 'a', subnet: '10.0.0.1/32' } });
    await api('add', { url: GRP, data: { name: 'g', member: ['a'] } });
    sim
      .adom('root')
      .seedPackage({ name: 'p', policies: [{ policyid: 3, srcaddr: ['g'], dstaddr: ['all'] }] });
    const start = await api('exec', {
      url: 'cache/search/where/used/start',
      data: { mkey: 'g', obj: 'adom/root/obj/firewall/addrgrp', flags: ['direct used'] },
    });
    const token = (start.data as { token: number }).token;
    expect(
      (await api('exec', { url: 'cache/search/where/used/get/summary', data: { token } })).data,
    ).toMatchObject({ percent: 100 });
    const detail = (await api('exec', { url: 'cache/search/where/used/get/detail', data: { token } })).data;
    expect(detail).toMatchObject({
      where_used: [
        {
          mkey: 'g',
          data: [{ attr: 'srcaddr', mapping_name: 'firewall policy', mkey: 3, pkg: { name: 'p' } }],
        },
      ],
    });
  });
});

describe('faults and the control API', () => {
  it('status faults hit one entry; expire-session ends the session first; the log redacts passwords', async () => {
    const session = await login(sim, 'alice', 'alice-pw');
    sim.faults.add({
      match: { method: 'get', pathPrefix: 'sys/status' },
      action: { type: 'status', code: -10147 },
      times: 1,
    });
    expect((await call(sim, session, 'get', { url: 'sys/status' })).status.code).toBe(-10147);
    expect((await call(sim, session, 'get', { url: 'sys/status' })).status.code).toBe(0);
    sim.faults.add({ match: { method: 'get' }, action: { type: 'expire-session' }, times: 1 });
    expect((await call(sim, session, 'get', { url: 'sys/status' })).status.code).toBe(-11);
    expect(sim.sessions.list()).toHaveLength(0);
    expect(JSON.stringify(sim.requestLog.entries())).not.toContain('alice-pw');
    expect(sim.requestLog.entries({ method: 'exec' })[0]?.body).toContain('******');
  });

  it('/__sim answers with an API key and refuses without', async () => {
    const get = (auth?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${sim.url}/__sim/info`,
          { ca: sim.caCertPem, headers: auth ? { authorization: auth } : {} },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect((await get()).status).toBe(401);
    const info = await get(`Bearer ${API_KEY}`);
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({
      version: 'v7.4.5',
      devices: [{ name: 'fgt-dmz' }, { name: 'fgt-edge' }],
    });
  });
});
