import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { CODE_KINDS, FortiManagerClient, isFortiManagerError } from '../../src/fortimanager/index.js';
import type { FortiManagerClientOptions, FortiManagerError, RpcEvent } from '../../src/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, PASSWORD, rpc, startFmg } from './helpers.js';

let sim: FortiManagerSimulatorHandle;
const clients: FortiManagerClient[] = [];

function client(options: Partial<FortiManagerClientOptions> = {}): FortiManagerClient {
  const c = new FortiManagerClient({
    baseUrl: sim.url,
    ca: sim.caCertPem,
    adom: 'root',
    auth: { apiKey: API_KEY },
    retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
    ...options,
  });
  clients.push(c);
  return c;
}

const asAlice = (): Partial<FortiManagerClientOptions> => ({
  auth: { username: 'alice', password: 'alice-pw' },
});
const asSession = (): Partial<FortiManagerClientOptions> => ({
  auth: { username: 'fortisync', password: PASSWORD },
});

async function failure(promise: Promise<unknown>): Promise<FortiManagerError> {
  try {
    await promise;
  } catch (err) {
    if (isFortiManagerError(err)) return err;
    throw err;
  }
  throw new Error('expected a FortiManagerError');
}

const host = (name: string, ip: string) => ({ name, subnet: `${ip}/32`, comment: '[fortisync:prod] test' });

beforeAll(async () => {
  sim = await startFmg();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await sim.close();
});
beforeEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  sim.reset();
});

describe('authentication', () => {
  it('API key: Bearer on every call, no session', async () => {
    const fmg = client();
    const status = await fmg.systemStatus();
    expect(status).toMatchObject({ hostname: 'FMG-VM64', version: { major: 7, minor: 4, patch: 5 } });
    expect(sim.sessions.list()).toEqual([]);
  });

  it('session: logs in once for many calls, and logs out on close', async () => {
    const fmg = client(asSession());
    await Promise.all([fmg.systemStatus(), fmg.workspaceMode(), fmg.list('firewall/address')]);
    expect(sim.sessions.list()).toHaveLength(1);
    expect(
      sim.requestLog.entries({ method: 'exec' }).filter((e) => e.path === 'sys/login/user'),
    ).toHaveLength(1);
    await fmg.close();
    expect(sim.sessions.list()).toHaveLength(0);
  });

  it('an expired session (-11) is replaced by one new login and the call repeated', async () => {
    const sessions: (string | undefined)[] = [];
    const fmg = client({ ...asSession(), onSession: (s) => sessions.push(s) });
    await fmg.add('firewall/address', host('h1', '10.0.0.1'));
    expect(sim.sessions.expire('fortisync')).toBe(1);
    await fmg.add('firewall/address', host('h2', '10.0.0.2'));
    expect(sim.adom('root').get('firewall/address', 'h2')).toBeDefined();
    expect(sim.sessions.list()).toHaveLength(1);
    expect(sessions.filter((s) => s !== undefined)).toHaveLength(2);
    expect(new Set(sessions.filter((s) => s !== undefined)).size).toBe(2);
  });

  it('a refused API key is unauthorized', async () => {
    const err = await failure(client({ auth: { apiKey: 'wrong' } }).systemStatus());
    expect(err).toMatchObject({ kind: 'unauthorized', code: -11 });
  });

  it('a refused password is login-failed, and the next call waits instead of trying again', async () => {
    const fmg = client({ auth: { username: 'fortisync', password: 'nope' }, loginCooldownMs: 60_000 });
    expect(await failure(fmg.systemStatus())).toMatchObject({ kind: 'login-failed', code: -22 });
    const before = sim.requestLog.total;
    expect(await failure(fmg.systemStatus())).toMatchObject({ kind: 'login-failed' });
    expect(sim.requestLog.total).toBe(before);
  });

  it('rpc-permit none cannot log in; read-only admins cannot write; other ADOMs are not permitted', async () => {
    expect(
      await failure(client({ auth: { username: 'nobody', password: 'nobody-pw' } }).systemStatus()),
    ).toMatchObject({ kind: 'unauthorized' });
    const reader = client({ auth: { username: 'reader', password: 'reader-pw' } });
    expect(await reader.list('firewall/address')).toHaveLength(2);
    for (const n of ['h1', 'h2', 'h3']) {
      expect(await failure(reader.add('firewall/address', host(n, '10.0.0.1')))).toMatchObject({
        kind: 'unauthorized',
      });
    }
    // Each -11 tried one new login, and logged the previous session out: no sessions pile up.
    expect(sim.sessions.list()).toEqual([{ sid: expect.any(Number), user: 'reader' }]);
    const dmzOnly = client({ auth: { username: 'dmz-only', password: 'dmz-pw' } });
    expect(await failure(dmzOnly.list('firewall/address'))).toMatchObject({ kind: 'unauthorized' });
    expect(
      await client({ adom: 'dmz', auth: { username: 'dmz-only', password: 'dmz-pw' } }).list(
        'firewall/address',
      ),
    ).toHaveLength(2);
  });

  it('login-max reached is login-limit', async () => {
    const small = await startFmg({ loginMax: 1, devices: [] });
    try {
      const opts = { baseUrl: small.url, ca: small.caCertPem, adom: 'root' };
      const first = new FortiManagerClient({ ...opts, auth: { username: 'alice', password: 'alice-pw' } });
      const second = new FortiManagerClient({ ...opts, auth: { username: 'fortisync', password: PASSWORD } });
      await first.systemStatus();
      expect(await failure(second.systemStatus())).toMatchObject({ kind: 'login-limit', code: -23 });
      await Promise.all([first.close(), second.close()]);
    } finally {
      await small.close();
    }
  });

  it('no password, key or session string appears in request events, errors or the simulator log', async () => {
    const events: RpcEvent[] = [];
    const sessions: string[] = [];
    const fmg = client({
      ...asSession(),
      onRequest: (e) => events.push(e),
      onSession: (s) => s && sessions.push(s),
    });
    await fmg.add('firewall/address', host('h1', '10.0.0.1'));
    const errors = [await failure(fmg.add('firewall/address', host('h1', '10.0.0.1')))];
    errors.push(await failure(client({ auth: { apiKey: 'wrong-key-123' } }).systemStatus()));
    const text = JSON.stringify({
      events,
      errors,
      messages: errors.map((e) => e.message),
      log: sim.requestLog.entries(),
    });
    expect(sessions).toHaveLength(1);
    for (const secret of [PASSWORD, API_KEY, 'wrong-key-123', ...sessions])
      expect(text).not.toContain(secret);
    expect(events.length).toBeGreaterThan(0);
  });
});

describe('objects', () => {
  it('add, get, list with filter/fields/range, update, delete', async () => {
    const fmg = client();
    await fmg.add('firewall/address', host('k8s-prod-node-a', '10.0.0.1'));
    await fmg.add('firewall/address', host('k8s-prod-node-b', '10.0.0.2'));
    await fmg.add('firewall/address', { name: 'admin-host', subnet: '10.9.9.9/32' });
    expect(await fmg.get('firewall/address', 'k8s-prod-node-a')).toMatchObject({
      subnet: ['10.0.0.1', '255.255.255.255'],
      type: 'ipmask',
    });
    expect(await fmg.get('firewall/address', 'missing')).toBeUndefined();
    const mine = await fmg.list('firewall/address', {
      filter: ['comment', 'like', '%[fortisync:prod]%'],
      fields: ['name', 'subnet'],
    });
    expect(mine.map((a) => a.name).sort()).toEqual(['k8s-prod-node-a', 'k8s-prod-node-b']);
    expect(Object.keys(mine[0] ?? {}).sort()).toEqual(['name', 'subnet']);
    expect(await fmg.list('firewall/address', { range: [0, 2] })).toHaveLength(2);
    await fmg.update('firewall/address', 'k8s-prod-node-a', { subnet: '10.0.0.3/32' });
    expect((await fmg.get('firewall/address', 'k8s-prod-node-a'))?.subnet).toEqual([
      '10.0.0.3',
      '255.255.255.255',
    ]);
    await fmg.delete('firewall/address', 'k8s-prod-node-b');
    expect(await fmg.get('firewall/address', 'k8s-prod-node-b')).toBeUndefined();
  });

  it('typed refusals: exists (shared name space), in-use, bad-reference, invalid, not-found, empty-group', async () => {
    const fmg = client();
    await fmg.add('firewall/address', host('h1', '10.0.0.1'));
    await fmg.add('firewall/addrgrp', { name: 'g1', member: ['h1'] });
    expect(await failure(fmg.add('firewall/address', host('h1', '10.0.0.1')))).toMatchObject({
      kind: 'exists',
      code: -2,
    });
    expect(await failure(fmg.add('firewall/addrgrp', { name: 'h1', member: ['h1'] }))).toMatchObject({
      kind: 'exists',
    });
    expect(await failure(fmg.delete('firewall/address', 'h1'))).toMatchObject({
      kind: 'in-use',
      code: -10015,
    });
    expect(await failure(fmg.addMembers('firewall/addrgrp', 'g1', ['ghost']))).toMatchObject({
      kind: 'bad-reference',
      code: -10131,
    });
    expect(
      await failure(fmg.add('firewall/address', { name: 'bad', subnet: '10.0.0.300/32' })),
    ).toMatchObject({
      kind: 'invalid',
      code: -10,
    });
    expect(await failure(fmg.delete('firewall/address', 'missing'))).toMatchObject({
      kind: 'not-found',
      code: -3,
    });
    // FortiOS 7.4 ADOMs take empty groups; a 7.0 ADOM answers -9998.
    await fmg.removeMembers('firewall/addrgrp', 'g1', ['h1']);
    const legacy = client({ adom: 'legacy' });
    await legacy.add('firewall/address', host('h1', '10.0.0.1'));
    await legacy.add('firewall/addrgrp', { name: 'g1', member: ['h1'] });
    expect(await failure(legacy.removeMembers('firewall/addrgrp', 'g1', ['h1']))).toMatchObject({
      kind: 'empty-group',
      code: -9998,
    });
    expect(await legacy.adomInfo()).toEqual({ name: 'legacy', version: { major: 7, minor: 0 } });
  });

  it('every FMG status code becomes its typed kind', async () => {
    const fmg = client();
    for (const [code, kind] of CODE_KINDS) {
      sim.faults.add({
        match: { method: 'get', pathPrefix: 'sys/status' },
        action: { type: 'status', code },
        times: 1,
      });
      expect(await failure(fmg.systemStatus())).toMatchObject({ kind, code });
    }
    sim.faults.add({ match: { method: 'get' }, action: { type: 'status', code: -12345 }, times: 1 });
    expect(await failure(fmg.systemStatus())).toMatchObject({ kind: 'other', code: -12345 });
  });

  it('names with "/" are escaped as \\/ in the url', async () => {
    const fmg = client();
    await fmg.add('firewall/address', host('10.0.0.0/24', '10.0.0.1'));
    expect(await fmg.get('firewall/address', '10.0.0.0/24')).toMatchObject({ name: '10.0.0.0/24' });
    expect(sim.requestLog.entries({ method: 'get' }).at(-1)?.path).toBe(
      'pm/config/adom/root/obj/firewall/address/10.0.0.0\\/24',
    );
    await fmg.delete('firewall/address', '10.0.0.0/24');
    expect(sim.adom('root').get('firewall/address', '10.0.0.0/24')).toBeUndefined();
  });

  it('member edits go to …/member and leave other members alone', async () => {
    const fmg = client();
    for (const [n, ip] of [
      ['a', '10.0.0.1'],
      ['b', '10.0.0.2'],
      ['c', '10.0.0.3'],
    ] as const)
      await fmg.add('firewall/address', host(n, ip));
    await fmg.add('firewall/addrgrp', { name: 'g', member: ['a'] });
    // Someone else adds their member in the meantime.
    sim.adom('root').seed('firewall/address', { name: 'theirs', subnet: '10.1.1.1/32' });
    const since = sim.requestLog.total;
    await client().addMembers('firewall/addrgrp', 'g', ['theirs']);
    await fmg.addMembers('firewall/addrgrp', 'g', ['b', 'c']);
    await fmg.removeMembers('firewall/addrgrp', 'g', ['a']);
    expect(await fmg.listMembers('firewall/addrgrp', 'g')).toEqual(['theirs', 'b', 'c']);
    const writes = sim.requestLog.entries({ since }).filter((e) => e.method !== 'GET');
    expect(writes.map((e) => `${e.method} ${e.path}`)).toEqual([
      'ADD pm/config/adom/root/obj/firewall/addrgrp/g/member',
      'ADD pm/config/adom/root/obj/firewall/addrgrp/g/member',
      'DELETE pm/config/adom/root/obj/firewall/addrgrp/g/member',
    ]);
  });

  it('where-used names the groups and the policies (with their package) that use an object', async () => {
    const fmg = client();
    await fmg.add('firewall/address', host('h1', '10.0.0.1'));
    await fmg.add('firewall/addrgrp', { name: 'K8S-DMZ', member: ['h1'] });
    sim.adom('root').seedPackage({
      name: 'dmz-pkg',
      scope: [{ name: 'fgt-dmz', vdom: 'dmz' }],
      policies: [{ policyid: 7, name: 'to-db', srcaddr: ['K8S-DMZ'], dstaddr: ['all'], action: 'accept' }],
    });
    expect(await fmg.whereUsed('firewall/addrgrp', 'K8S-DMZ')).toEqual([
      { attr: 'srcaddr', mappingName: 'firewall policy', mkey: 7, pkg: 'dmz-pkg' },
    ]);
    expect(await fmg.whereUsed('firewall/address', 'h1')).toEqual([
      { attr: 'member', mappingName: 'firewall addrgrp', mkey: 'K8S-DMZ', pkg: undefined },
    ]);
  });
});

describe('workspace', () => {
  beforeEach(() => {
    sim.settings.workspaceMode = 'normal';
  });

  it('withWorkspace: lock → writes → commit → unlock; others see the change only after commit', async () => {
    const fmg = client();
    const alice = client(asAlice());
    let seenByOthersBeforeCommit: unknown;
    await fmg.withWorkspace(async () => {
      await fmg.add('firewall/address', host('h1', '10.0.0.1'));
      expect(await fmg.get('firewall/address', 'h1')).toBeDefined();
      seenByOthersBeforeCommit = await alice.get('firewall/address', 'h1');
      expect(sim.adom('root').lockInfo()).toMatchObject({ user: 'fortisync', dirty: true });
    });
    expect(seenByOthersBeforeCommit).toBeUndefined();
    expect(await alice.get('firewall/address', 'h1')).toBeDefined();
    expect(sim.adom('root').lockInfo()).toBeUndefined();
    const ops = sim.requestLog
      .entries({ method: 'exec' })
      .map((e) => e.path)
      .filter((p) => p.includes('/workspace/'));
    expect(ops).toEqual([
      'dvmdb/adom/root/workspace/lock',
      'dvmdb/adom/root/workspace/commit',
      'dvmdb/adom/root/workspace/unlock',
    ]);
  });

  it('withLazyWorkspace: no lock while fn only reads; one lock and one commit however often begin is called', async () => {
    const fmg = client();
    const workspaceCalls = () =>
      sim.requestLog
        .entries({ method: 'exec' })
        .map((e) => e.path)
        .filter((p) => p.includes('/workspace/'));
    await fmg.withLazyWorkspace(async () => {
      await fmg.list('firewall/address');
    });
    expect(workspaceCalls()).toEqual([]);
    await fmg.withLazyWorkspace(async (begin) => {
      await fmg.list('firewall/address');
      await Promise.all([begin(), begin()]);
      await fmg.add('firewall/address', host('h1', '10.0.0.1'));
      await begin();
      await fmg.add('firewall/address', host('h2', '10.0.0.2'));
    });
    expect(workspaceCalls()).toEqual([
      'dvmdb/adom/root/workspace/lock',
      'dvmdb/adom/root/workspace/commit',
      'dvmdb/adom/root/workspace/unlock',
    ]);
    expect(sim.adom('root').get('firewall/address', 'h2')).toBeDefined();
    expect(sim.adom('root').lockInfo()).toBeUndefined();
  });

  it('withLazyWorkspace: a lock someone else holds fails begin; nothing is committed or unlocked', async () => {
    const alice = client(asAlice());
    await alice.lock();
    const fmg = client();
    const err = await failure(fmg.withLazyWorkspace((begin) => begin()));
    expect(err).toMatchObject({ kind: 'locked', lockedBy: { user: 'alice' } });
    expect(sim.adom('root').lockInfo()).toMatchObject({ user: 'alice' });
    await alice.unlock();
  });

  it('a failure inside withWorkspace discards the uncommitted writes and unlocks', async () => {
    const fmg = client();
    const boom = new Error('boom');
    await expect(
      fmg.withWorkspace(async () => {
        await fmg.add('firewall/address', host('h1', '10.0.0.1'));
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(sim.adom('root').get('firewall/address', 'h1')).toBeUndefined();
    expect(sim.adom('root').lockInfo()).toBeUndefined();
  });

  it('a write without the lock is no-write-permission', async () => {
    expect(await failure(client().add('firewall/address', host('h1', '10.0.0.1')))).toMatchObject({
      kind: 'no-write-permission',
      code: -10147,
    });
  });

  it('a lock held by someone else is a locked error naming the holder; their lock stays', async () => {
    const alice = client(asAlice());
    await alice.lock();
    const err = await failure(client().withWorkspace(() => Promise.resolve()));
    expect(err).toMatchObject({ kind: 'locked', code: -20055, lockedBy: { user: 'alice' } });
    expect(err.message).toMatch(/ADOM root is locked by alice since \d{4}-/);
    expect(sim.adom('root').lockInfo()).toMatchObject({ user: 'alice' });
    await alice.unlock();
    await client().withWorkspace(() => Promise.resolve());
  });

  it('concurrent withWorkspace calls of one client run one after the other', async () => {
    const fmg = client();
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((n, i) =>
        fmg.withWorkspace(async () => {
          order.push(`start ${n}`);
          await fmg.add('firewall/address', host(n, `10.0.0.${i + 1}`));
          order.push(`end ${n}`);
        }),
      ),
    );
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(sim.adom('root').list('firewall/address')).toHaveLength(5);
  });

  it('a session that expires while holding the lock fails the change instead of logging in again', async () => {
    const fmg = client(asSession());
    const err = await failure(
      fmg.withWorkspace(async () => {
        await fmg.add('firewall/address', host('h1', '10.0.0.1'));
        sim.sessions.expire('fortisync');
        await fmg.add('firewall/address', host('h2', '10.0.0.2'));
      }),
    );
    expect(err).toMatchObject({ kind: 'unauthorized' });
    expect(sim.adom('root').list('firewall/address')).toHaveLength(2);
    expect(sim.adom('root').lockInfo()).toBeUndefined();
    await fmg.withWorkspace(() => fmg.add('firewall/address', host('h1', '10.0.0.1')));
    expect(sim.adom('root').get('firewall/address', 'h1')).toBeDefined();
  });

  it('crash between lock and commit, API key: the restarted client releases its own stale lock', async () => {
    const crashed = client();
    await crashed.lock();
    await crashed.add('firewall/address', host('h1', '10.0.0.1'));
    const restarted = client();
    expect(await client(asAlice()).releaseStaleLock('alice')).toBe(false);
    expect(await restarted.releaseStaleLock('fortisync')).toBe(true);
    expect(sim.adom('root').lockInfo()).toBeUndefined();
    expect(sim.adom('root').get('firewall/address', 'h1')).toBeUndefined();
  });

  it('crash between lock and commit, session: logging the old session out releases its lock', async () => {
    let saved: string | undefined;
    const crashed = client({ ...asSession(), onSession: (s) => (saved = s ?? saved) });
    await crashed.lock();
    expect(sim.adom('root').lockInfo()).toMatchObject({ user: 'fortisync' });
    const restarted = client(asSession());
    expect(await failure(restarted.lock())).toMatchObject({
      kind: 'locked',
      lockedBy: { user: 'fortisync' },
    });
    await restarted.logoutStaleSession(saved as string);
    expect(sim.adom('root').lockInfo()).toBeUndefined();
    await restarted.withWorkspace(() => restarted.add('firewall/address', host('h1', '10.0.0.1')));
  });

  it('workflow mode is refused with workflow-unsupported; disabled mode writes without a lock', async () => {
    sim.settings.workspaceMode = 'workflow';
    expect(await failure(client().withWorkspace(() => Promise.resolve()))).toMatchObject({
      kind: 'workflow-unsupported',
    });
    sim.settings.workspaceMode = 'per-adom';
    sim.adom('root').setWorkspaceMode('disabled');
    const fmg = client();
    expect(await fmg.workspaceMode()).toBe('disabled');
    await fmg.withWorkspace(() => fmg.add('firewall/address', host('h1', '10.0.0.1')));
    expect(sim.requestLog.entries({ method: 'exec' })).toHaveLength(0);
  });
});

describe('installs', () => {
  const BOTH = [
    { name: 'fgt-dmz', vdom: 'dmz' },
    { name: 'fgt-edge', vdom: 'root' },
  ];
  const wait = { timeoutMs: 10_000, pollMs: 20, maxPollMs: 40 };

  /** The FMG admin's side: a package whose policy uses K8S-DMZ, written into the ADOM. */
  async function groupAndPackage(fmg: FortiManagerClient): Promise<void> {
    await fmg.add('firewall/address', host('node-a', '10.0.0.1'));
    await fmg.add('firewall/address', host('unused', '10.0.0.9'));
    await fmg.add('firewall/addrgrp', { name: 'K8S-DMZ', member: ['node-a'] });
    sim.adom('root').seedPackage({
      name: 'dmz-pkg',
      scope: BOTH,
      policies: [
        { policyid: 1, name: 'frontend-to-db', srcaddr: ['K8S-DMZ'], dstaddr: ['all'], action: 'accept' },
      ],
    });
  }

  it('in workspace mode an install needs the lock: refused without it, started under withWorkspace', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    const before = sim.settings.workspaceMode;
    sim.settings.workspaceMode = 'normal';
    try {
      expect(await failure(fmg.installPackage('dmz-pkg'))).toMatchObject({ kind: 'no-write-permission' });
      const id = await fmg.withWorkspace(() => fmg.installPackage('dmz-pkg'));
      expect(sim.adom('root').lockInfo()).toBeUndefined();
      expect((await fmg.waitForTask(id, wait)).succeeded).toBe(true);
    } finally {
      sim.settings.workspaceMode = before;
    }
  });

  it('installs the package: progress, then the used objects and policies on every device', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    const progress: number[] = [];
    const id = await fmg.installPackage('dmz-pkg');
    const result = await fmg.waitForTask(id, { ...wait, onProgress: (t) => progress.push(t.percent) });
    expect(result).toMatchObject({ finished: true, succeeded: true, numErrors: 0, state: 'done' });
    expect(result.lines.map((l) => `${l.name}/${l.vdom} ${l.state}`)).toEqual([
      'fgt-dmz/dmz done',
      'fgt-edge/root done',
    ]);
    expect(progress.some((p) => p < 100)).toBe(true);
    const dmz = sim.devices.get('fgt-dmz')?.state;
    expect(dmz?.get('firewall/policy', '1', 'dmz')).toMatchObject({
      name: 'frontend-to-db',
      action: 'accept',
      srcaddr: [{ name: 'K8S-DMZ' }],
    });
    expect(dmz?.get('firewall/addrgrp', 'K8S-DMZ', 'dmz')).toMatchObject({ member: [{ name: 'node-a' }] });
    expect(dmz?.get('firewall/address', 'node-a', 'dmz')).toMatchObject({
      subnet: '10.0.0.1 255.255.255.255',
    });
    expect(dmz?.get('firewall/address', 'node-a', 'root')).toBeUndefined();
    expect(sim.devices.get('fgt-edge')?.state.get('firewall/addrgrp', 'K8S-DMZ')).toBeDefined();
  });

  it('objects no policy uses never reach the device, and leave it once unused', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    const scope = [{ name: 'fgt-dmz', vdom: 'dmz' }];
    expect((await fmg.waitForTask(await fmg.installPackage('dmz-pkg', scope), wait)).succeeded).toBe(true);
    const device = sim.devices.get('fgt-dmz')?.state;
    expect(device?.get('firewall/address', 'unused', 'dmz')).toBeUndefined();
    // The FMG admin points the policy elsewhere: the next install removes group and member.
    const edit = await rpc(
      sim,
      {
        method: 'update',
        params: [{ url: 'pm/config/adom/root/pkg/dmz-pkg/firewall/policy/1', data: { srcaddr: ['all'] } }],
      },
      { authorization: `Bearer ${API_KEY}` },
    );
    expect(edit.result[0]?.status.code).toBe(0);
    expect((await fmg.waitForTask(await fmg.installPackage('dmz-pkg', scope), wait)).succeeded).toBe(true);
    expect(device?.get('firewall/addrgrp', 'K8S-DMZ', 'dmz')).toBeUndefined();
    expect(device?.get('firewall/address', 'node-a', 'dmz')).toBeUndefined();
    expect(device?.get('firewall/policy', '1', 'dmz')).toMatchObject({ srcaddr: [{ name: 'all' }] });
  });

  it('a failing device makes a finished task with an error line; the other device is installed', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    sim.faults.add({
      match: { method: 'install', mkey: 'fgt-edge' },
      action: { type: 'install-error', detail: 'device unreachable' },
    });
    const done = await fmg.waitForTask(await fmg.installPackage('dmz-pkg'), wait);
    expect(done).toMatchObject({ finished: true, succeeded: false, numErrors: 1, state: 'error' });
    expect(done.lines.find((l) => l.name === 'fgt-edge')).toMatchObject({
      state: 'error',
      detail: 'device unreachable',
    });
    expect(done.lines.find((l) => l.name === 'fgt-dmz')).toMatchObject({ state: 'done' });
    expect(sim.devices.get('fgt-edge')?.state.get('firewall/addrgrp', 'K8S-DMZ')).toBeUndefined();
  });

  it('a device that refuses the configuration is rolled back and reported', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    // An empty group is fine in a 7.4 ADOM; the simulated FortiGate refuses it (-56).
    await fmg.removeMembers('firewall/addrgrp', 'K8S-DMZ', ['node-a']);
    const done = await fmg.waitForTask(
      await fmg.installPackage('dmz-pkg', [{ name: 'fgt-dmz', vdom: 'dmz' }]),
      wait,
    );
    expect(done.succeeded).toBe(false);
    expect(done.lines[0]?.detail).toMatch(/empty/i);
    expect(sim.devices.get('fgt-dmz')?.state.get('firewall/policy', '1', 'dmz')).toBeUndefined();
  });

  it('waiting longer than the timeout is a timeout error', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    sim.settings.installDurationMs = 60_000;
    const id = await fmg.installPackage('dmz-pkg');
    expect(await failure(fmg.waitForTask(id, { timeoutMs: 100, pollMs: 30 }))).toMatchObject({
      kind: 'timeout',
    });
  });

  it('in workspace mode an install needs the lock; someone else’s lock refuses it', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    sim.settings.workspaceMode = 'normal';
    expect(await failure(fmg.installPackage('dmz-pkg'))).toMatchObject({ kind: 'no-write-permission' });
    const id = await fmg.withWorkspace(() => fmg.installPackage('dmz-pkg'));
    expect((await fmg.waitForTask(id, wait)).succeeded).toBe(true);
    await client(asAlice()).lock();
    expect(await failure(fmg.installPackage('dmz-pkg'))).toMatchObject({ kind: 'locked' });
  });

  it('packages and their policies are readable', async () => {
    const fmg = client();
    await groupAndPackage(fmg);
    expect(await fmg.packages()).toEqual([{ name: 'dmz-pkg', scope: BOTH }]);
    expect(await fmg.policies('dmz-pkg')).toMatchObject([{ policyid: 1, action: 'accept', 'obj seq': 1 }]);
  });
});

describe('faults', () => {
  it('a 503 on a read is retried; a reset on an add is not', async () => {
    const fmg = client();
    sim.faults.add({ match: { method: 'get' }, action: { type: 'http', status: 503 }, times: 2 });
    expect(await fmg.list('firewall/address')).toHaveLength(2);
    sim.faults.add({ match: { method: 'add' }, action: { type: 'reset' }, times: 1 });
    const since = sim.requestLog.total;
    expect(await failure(fmg.add('firewall/address', host('h1', '10.0.0.1')))).toMatchObject({
      kind: 'unreachable',
    });
    expect(sim.requestLog.entries({ since, method: 'add' })).toHaveLength(1);
  });

  it('a hang ends in a timeout; TLS without the CA fails as tls', async () => {
    const fmg = client({ timeouts: { responseMs: 200 }, retry: { retries: 0 } });
    sim.faults.add({ match: { method: 'get' }, action: { type: 'hang' }, times: 1 });
    expect(await failure(fmg.systemStatus())).toMatchObject({ kind: 'timeout' });
    expect(await failure(client({ ca: undefined }).systemStatus())).toMatchObject({ kind: 'tls' });
  });
});
