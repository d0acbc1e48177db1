import { AuthGate } from '../../src/fortigate/auth-gate.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { FortiGateClient, FortiOSError } from '../../src/fortigate/index.js';
import type { FortiOSErrorKind } from '../../src/fortigate/index.js';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { TOKEN, clientFor, simulator } from './helpers.js';

async function failure(promise: Promise<unknown>): Promise<FortiOSError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof FortiOSError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

async function expectKind(promise: Promise<unknown>, kind: FortiOSErrorKind): Promise<FortiOSError> {
  const err = await failure(promise);
  expect(err.kind).toBe(kind);
  expect(err.message).not.toContain(TOKEN);
  return err;
}

describe('client against the simulator over HTTPS', () => {
  let sim: SimulatorHandle;
  let client: FortiGateClient;

  beforeAll(async () => {
    sim = await simulator({
      fortiosVersion: '7.2.8',
      vdoms: ['root', 'dmz'],
      limits: { addresses: 12, membersPerGroup: 3 },
    });
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeAll(() => {
    client = clientFor(sim).client;
  });
  afterAll(() => client.close());
  afterEach(() => {
    sim.reset();
  });

  it('reads the system status', async () => {
    const status = await client.systemStatus();
    expect(status).toMatchObject({
      version: 'v7.2.8',
      build: 1639,
      serial: sim.serial,
      modelName: 'FortiGate',
    });
    expect(status.hostname).not.toBe('');
  });

  it('creates, reads, lists, updates and deletes an address', async () => {
    const created = await client.create('firewall/address', {
      name: 'k8s-node-a',
      subnet: '10.1.0.5/32',
      comment: 'fortisync:c1',
    });
    expect(created).toMatchObject({ mkey: 'k8s-node-a', revisionChanged: true });
    expect(created.revision).toMatch(/^[0-9a-f]{32}$/);
    expect(created.revision).not.toBe(created.oldRevision);

    const entry = await client.get('firewall/address', 'k8s-node-a');
    expect(entry).toMatchObject({
      name: 'k8s-node-a',
      subnet: '10.1.0.5 255.255.255.255',
      type: 'ipmask',
      comment: 'fortisync:c1',
    });

    const listed = await client.list('firewall/address');
    expect(listed.map((a) => a.name)).toEqual(['all', 'none', 'k8s-node-a']);

    const unchanged = await client.update('firewall/address', 'k8s-node-a', { comment: 'fortisync:c1' });
    expect(unchanged.revisionChanged).toBe(false);
    const changed = await client.update('firewall/address', 'k8s-node-a', {
      subnet: '10.1.0.6 255.255.255.255',
    });
    expect(changed.revisionChanged).toBe(true);
    expect((await client.get('firewall/address', 'k8s-node-a'))?.subnet).toBe('10.1.0.6 255.255.255.255');

    await client.delete('firewall/address', 'k8s-node-a');
    expect(await client.get('firewall/address', 'k8s-node-a')).toBeUndefined();
  });

  it('renames with a name in the update and follows the rename into groups', async () => {
    await client.create('firewall/address', { name: 'old', subnet: '10.0.0.1/32' });
    await client.create('firewall/addrgrp', { name: 'grp', member: [{ name: 'old' }] });
    await client.update('firewall/address', 'old', { name: 'new' });
    expect(await client.get('firewall/address', 'old')).toBeUndefined();
    expect((await client.get('firewall/addrgrp', 'grp'))?.member).toEqual([{ name: 'new' }]);
  });

  it('handles IPv6 addresses and groups', async () => {
    await client.create('firewall/address6', { name: 'pod-v6', ip6: '2001:DB8:0:0::1' });
    const entry = await client.get('firewall/address6', 'pod-v6');
    expect(entry).toMatchObject({ ip6: '2001:db8::1/128', type: 'ipprefix' });
    await client.create('firewall/addrgrp6', { name: 'grp6', member: [{ name: 'pod-v6' }] });
    expect((await client.get('firewall/addrgrp6', 'grp6'))?.member).toEqual([{ name: 'pod-v6' }]);
  });

  it('lists with filter, format, start and count', async () => {
    for (let i = 0; i < 5; i++) {
      await client.create('firewall/address', {
        name: `a${i}`,
        subnet: `10.0.0.${i}/32`,
        comment: i % 2 ? 'fortisync:c1' : 'manual',
      });
    }
    const mine = await client.list('firewall/address', {
      filter: [[{ field: 'comment', op: '=@', value: 'fortisync:c1' }]],
      format: ['name', 'comment'],
    });
    expect(mine).toEqual([
      { q_origin_key: 'a1', name: 'a1', comment: 'fortisync:c1', type: 'ipmask', color: 0 },
      { q_origin_key: 'a3', name: 'a3', comment: 'fortisync:c1', type: 'ipmask', color: 0 },
    ]);
    const either = await client.list('firewall/address', {
      filter: [
        [
          { field: 'name', op: '==', value: 'a0' },
          { field: 'name', op: '==', value: 'a4' },
        ],
      ],
    });
    expect(either.map((a) => a.name)).toEqual(['a0', 'a4']);
    const page = await client.list('firewall/address', { start: 2, count: 2 });
    expect(page.map((a) => a.name)).toEqual(['a0', 'a1']);
    const counted = await client.list('firewall/address', { withMeta: true, filter: ['name==a2'] });
    expect(counted[0]?.q_ref).toBe(0);
  });

  it('escapes filter values that contain commas, dots and backslashes', async () => {
    await client.create('firewall/address', { name: 'odd', subnet: '10.9.9.9/32', comment: 'a,b.c\\d' });
    const found = await client.list('firewall/address', {
      filter: [[{ field: 'comment', op: '==', value: 'a,b.c\\d' }]],
    });
    expect(found.map((a) => a.name)).toEqual(['odd']);
  });

  it('adds and removes group members through the child endpoint', async () => {
    await client.create('firewall/address', { name: 'm1', subnet: '10.0.1.1/32' });
    await client.create('firewall/address', { name: 'm2', subnet: '10.0.1.2/32' });
    await client.create('firewall/addrgrp', { name: 'g', member: [{ name: 'm1' }] });
    await client.addMember('firewall/addrgrp', 'g', 'm2');
    expect(await client.listMembers('firewall/addrgrp', 'g')).toEqual([{ name: 'm1' }, { name: 'm2' }]);
    await client.removeMember('firewall/addrgrp', 'g', 'm1');
    expect((await client.get('firewall/addrgrp', 'g'))?.member).toEqual([{ name: 'm2' }]);
    await client.setMembers('firewall/addrgrp', 'g', ['none']);
    expect((await client.get('firewall/addrgrp', 'g'))?.member).toEqual([{ name: 'none' }]);
  });

  it('percent-encodes mkeys with slashes, spaces, colons and percent signs', async () => {
    const name = 'ns/pod 1:80%';
    await client.create('firewall/address', { name, subnet: '10.2.0.1/32' });
    expect((await client.get('firewall/address', name))?.name).toBe(name);
    await client.delete('firewall/address', name);
    expect(sim.state.get('firewall/address', name)).toBeUndefined();
    expect(sim.requestLog.entries({ method: 'DELETE' }).at(-1)?.path).toBe(
      '/api/v2/cmdb/firewall/address/ns%2Fpod%201%3A80%25',
    );
  });

  it('refuses to send a DELETE or PUT without a usable mkey', async () => {
    const before = sim.requestLog.total;
    await expect(client.delete('firewall/address', '')).rejects.toThrow(TypeError);
    await expect(client.delete('firewall/address', '..')).rejects.toThrow(TypeError);
    await expect(client.update('firewall/address', '.', { comment: 'x' })).rejects.toThrow(TypeError);
    expect(sim.requestLog.total).toBe(before);
  });

  it('uses the configured VDOM and reads every VDOM at once', async () => {
    const dmz = clientFor(sim, { vdom: 'dmz' }).client;
    await dmz.create('firewall/address', { name: 'only-in-dmz', subnet: '10.3.0.1/32' });
    expect(await client.get('firewall/address', 'only-in-dmz')).toBeUndefined();
    const byVdom = await client.listByVdom('firewall/address', '*');
    expect([...byVdom.keys()]).toEqual(['root', 'dmz']);
    expect(byVdom.get('dmz')?.map((a) => a.name)).toContain('only-in-dmz');
    dmz.close();
  });

  it('reads policies that reference groups', async () => {
    await client.create('firewall/address', { name: 'web', subnet: '10.4.0.1/32' });
    await client.create('firewall/addrgrp', { name: 'K8S-DMZ', member: [{ name: 'web' }] });
    sim.state.seed('firewall/policy', {
      name: 'dmz-to-db',
      srcaddr: [{ name: 'K8S-DMZ' }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    });
    const [policy] = await client.list('firewall/policy');
    expect(policy).toMatchObject({ policyid: 1, name: 'dmz-to-db', srcaddr: [{ name: 'K8S-DMZ' }] });
    const [group] = await client.list('firewall/addrgrp', { withMeta: true });
    expect(group?.q_ref).toBe(1);
  });

  it('commits and aborts transactions', async () => {
    expect(await client.supportsTransactions()).toBe(true);
    await client.withTransaction(async (tx) => {
      await tx.create('firewall/address', { name: 'tx-a', subnet: '10.5.0.1/32' });
      await tx.create('firewall/addrgrp', { name: 'tx-g', member: [{ name: 'tx-a' }] });
      expect(sim.state.get('firewall/address', 'tx-a')).toBeUndefined();
    });
    expect(sim.state.get('firewall/addrgrp', 'tx-g')).toBeDefined();

    await expect(
      client.withTransaction(async (tx) => {
        await tx.create('firewall/address', { name: 'tx-b', subnet: '10.5.0.2/32' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(sim.state.get('firewall/address', 'tx-b')).toBeUndefined();
  });

  it('re-reads a fresh entry that briefly answers 404, only when told to expect it', async () => {
    sim.faults.notFoundAfterCreate(2);
    await client.create('firewall/address', { name: 'lagging', subnet: '10.6.0.1/32' });
    expect(await client.get('firewall/address', 'lagging', { expectExists: true })).toMatchObject({
      name: 'lagging',
    });
    await client.create('firewall/address', { name: 'lagging2', subnet: '10.6.0.2/32' });
    expect(await client.get('firewall/address', 'lagging2')).toBeUndefined();
  });

  it('reports each request to the onRequest hook', async () => {
    const { client: observed, events } = clientFor(sim);
    await observed.create('firewall/address', { name: 'seen', subnet: '10.7.0.1/32' });
    await observed.get('firewall/address', 'nope');
    expect(events.map((e) => [e.method, e.table, e.mkey, e.status, e.outcome])).toEqual([
      ['POST', 'firewall/address', undefined, 200, 'success'],
      ['GET', 'firewall/address', 'nope', 404, 'not-found'],
    ]);
    expect(events.every((e) => e.durationMs >= 0 && e.attempt === 1)).toBe(true);
    observed.close();
  });

  describe('error classes', () => {
    it('not-found: unknown mkey on update and delete', async () => {
      const err = await expectKind(client.update('firewall/address', 'ghost', { comment: 'x' }), 'not-found');
      expect(err).toMatchObject({ httpStatus: 404, fortiosCode: -3, method: 'PUT', mkey: 'ghost' });
      await expectKind(client.delete('firewall/address', 'ghost'), 'not-found');
    });

    it('exists: POST of a name that exists (-5) or is taken by a group (-163)', async () => {
      await client.create('firewall/address', { name: 'dup', subnet: '10.0.0.1/32' });
      const err = await expectKind(
        client.create('firewall/address', { name: 'dup', subnet: '10.0.0.2/32' }),
        'exists',
      );
      expect(err).toMatchObject({ httpStatus: 500, fortiosCode: -5, method: 'POST' });
      expect(err.cliError).toContain('Return code -5');
      await client.create('firewall/addrgrp', { name: 'shared', member: [{ name: 'dup' }] });
      const clash = await expectKind(
        client.create('firewall/address', { name: 'shared', subnet: '10.0.0.3/32' }),
        'exists',
      );
      expect(clash.fortiosCode).toBe(-163);
    });

    it('in-use: deleting a referenced address (-23) with the reference count', async () => {
      await client.create('firewall/address', { name: 'used', subnet: '10.0.0.1/32' });
      await client.create('firewall/addrgrp', { name: 'g1', member: [{ name: 'used' }] });
      await client.create('firewall/addrgrp', { name: 'g2', member: [{ name: 'used' }] });
      const err = await expectKind(client.delete('firewall/address', 'used'), 'in-use');
      expect(err.fortiosCode).toBe(-23);
      expect(err.cliError).toContain('The entry is used by other 2 entries');
      await expectKind(client.delete('firewall/address', 'none'), 'in-use');
    });

    it('bad-reference: a member that does not exist (-651)', async () => {
      const err = await expectKind(
        client.create('firewall/addrgrp', { name: 'g', member: [{ name: 'missing' }] }),
        'bad-reference',
      );
      expect(err.fortiosCode).toBe(-651);
      await client.create('firewall/addrgrp', { name: 'g', member: [{ name: 'none' }] });
      await expectKind(client.addMember('firewall/addrgrp', 'g', 'missing'), 'bad-reference');
    });

    it('table-full: the address limit and the member limit (-4)', async () => {
      const err = await failure(
        (async () => {
          for (let i = 0; i < 20; i++)
            await client.create('firewall/address', { name: `f${i}`, subnet: `10.8.0.${i}/32` });
        })(),
      );
      expect(err).toMatchObject({ kind: 'table-full', fortiosCode: -4 });
      expect(sim.state.list('firewall/address')).toHaveLength(12);
      await client.create('firewall/addrgrp', {
        name: 'g',
        member: [{ name: 'f0' }, { name: 'f1' }, { name: 'f2' }],
      });
      await expectKind(client.addMember('firewall/addrgrp', 'g', 'f3'), 'table-full');
    });

    it('too-long: a name over 79 characters or a comment over 255', async () => {
      await expectKind(
        client.create('firewall/address', { name: 'n'.repeat(80), subnet: '10.0.0.1/32' }),
        'too-long',
      );
      await client.create('firewall/address', { name: 'n'.repeat(79), subnet: '10.0.0.1/32' });
      await expectKind(
        client.create('firewall/address', { name: 'c', comment: 'c'.repeat(256) }),
        'too-long',
      );
    });

    it('invalid: an empty group, a bad address or mask', async () => {
      const empty = await expectKind(client.create('firewall/addrgrp', { name: 'g', member: [] }), 'invalid');
      expect(empty.fortiosCode).toBe(-56);
      expect(
        (
          await expectKind(
            client.create('firewall/address', { name: 'x', subnet: '10.0.0.300/32' }),
            'invalid',
          )
        ).fortiosCode,
      ).toBe(-8);
      expect(
        (
          await expectKind(
            client.create('firewall/address', { name: 'x', subnet: '10.0.0.1 255.0.255.0' }),
            'invalid',
          )
        ).fortiosCode,
      ).toBe(-9);
    });

    it('unauthorized: a wrong token (HTML 401), then a cool-down that sends nothing', async () => {
      const { client: wrong } = clientFor(sim, { token: 'wrong', unauthorizedCooldownMs: 60_000 });
      const err = await expectKind(wrong.systemStatus(), 'unauthorized');
      expect(err.httpStatus).toBe(401);
      expect(err.message).toContain('401 Unauthorized');
      const sent = sim.requestLog.total;
      await expectKind(wrong.list('firewall/address'), 'unauthorized');
      expect(sim.requestLog.total).toBe(sent);
      wrong.setToken(TOKEN);
      await expect(wrong.list('firewall/address')).resolves.toHaveLength(2);
      wrong.close();
    });

    it('locked-out: three failed logins lock the source out (HTML 429), never retried', async () => {
      // A gate that lets three refusals through (the operator's allows two a minute), to reach the lockout.
      const authGate = new AuthGate({ retryAfterMs: 0, failureBudget: 3 });
      const { client: wrong, events } = clientFor(sim, { token: 'wrong', authGate });
      for (let i = 0; i < 3; i++) await expectKind(wrong.systemStatus(), 'unauthorized');
      const err = await expectKind(client.list('firewall/address'), 'locked-out');
      expect(err.httpStatus).toBe(429);
      expect(events).toHaveLength(3);
      wrong.close();
    });

    it('forbidden: a read-only API admin writing (403)', async () => {
      const ro = await simulator({ http: true, tokens: [{ token: TOKEN, readOnly: true }] });
      const { client: reader } = clientFor(ro);
      await expect(reader.list('firewall/address')).resolves.toHaveLength(2);
      await expectKind(reader.create('firewall/address', { name: 'x', subnet: '10.0.0.1/32' }), 'forbidden');
      reader.close();
      await ro.close();
    });

    it('server: 503 retried on GET until it succeeds, never on POST', async () => {
      sim.faults.add({ match: { method: 'GET' }, action: { type: 'error', status: 503 }, times: 2 });
      const { client: retrying, events } = clientFor(sim);
      await expect(retrying.list('firewall/address')).resolves.toHaveLength(2);
      expect(events.map((e) => e.status)).toEqual([503, 503, 200]);

      sim.faults.add({ match: { method: 'POST' }, action: { type: 'error', status: 502 }, times: 1 });
      const err = await expectKind(
        retrying.create('firewall/address', { name: 'p', subnet: '10.0.0.1/32' }),
        'server',
      );
      expect(err.httpStatus).toBe(502);
      expect(events.filter((e) => e.method === 'POST')).toHaveLength(1);
      retrying.close();
    });

    it('server errors beyond the retry budget surface as server', async () => {
      sim.faults.add({ action: { type: 'error', status: 504 } });
      const { client: retrying, events } = clientFor(sim);
      await expectKind(retrying.list('firewall/address'), 'server');
      expect(events).toHaveLength(3);
      retrying.close();
    });

    it('other: a CLI error the client has no name for is not retried', async () => {
      sim.faults.add({ action: { type: 'error', status: 500, fortiosCode: -999, cliError: 'odd' } });
      const { client: c, events } = clientFor(sim);
      const err = await expectKind(c.list('firewall/address'), 'other');
      expect(err).toMatchObject({ fortiosCode: -999, cliError: 'odd' });
      expect(events).toHaveLength(1);
      c.close();
    });

    it('unreachable: a connection reset, retried on idempotent calls', async () => {
      sim.faults.add({ action: { type: 'reset' } });
      const { client: c, events } = clientFor(sim);
      await expectKind(c.get('firewall/address', 'all'), 'unreachable');
      expect(events).toHaveLength(3);
      c.close();
    });

    it('unreachable: nothing listening', async () => {
      const closed = await simulator({ http: true });
      const url = closed.url;
      await closed.close();
      const c = new FortiGateClient({ baseUrl: url, token: TOKEN, retry: { retries: 0 } });
      await expectKind(c.systemStatus(), 'unreachable');
      c.close();
    });

    it('timeout: a device that hangs', async () => {
      sim.faults.add({ action: { type: 'hang' } });
      const { client: c } = clientFor(sim, {
        timeouts: { responseMs: 100, requestMs: 200 },
        retry: { retries: 0 },
      });
      await expectKind(c.systemStatus(), 'timeout');
      c.close();
    });

    it('tls: a certificate nobody told the client to trust, unless verification is skipped', async () => {
      const untrusting = new FortiGateClient({ baseUrl: sim.url, token: TOKEN, retry: { retries: 0 } });
      await expectKind(untrusting.systemStatus(), 'tls');
      untrusting.close();
      const skipping = new FortiGateClient({ baseUrl: sim.url, token: TOKEN, insecureSkipVerify: true });
      await expect(skipping.systemStatus()).resolves.toMatchObject({ version: 'v7.2.8' });
      skipping.close();
    });

    it('aborted: the caller aborts a hanging request', async () => {
      sim.faults.add({ action: { type: 'hang' } });
      const controller = new AbortController();
      const { client: c } = clientFor(sim, { signal: controller.signal });
      const pending = c.systemStatus();
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toBeDefined();
      c.close();
    });
  });
});

describe('client against older and newer firmware', () => {
  it('declines transactions before 6.4 and reads 404s without an error code on 6.2', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '6.2.3' });
    const { client } = clientFor(sim);
    expect(await client.supportsTransactions()).toBe(false);
    await expect(client.withTransaction(async () => undefined)).rejects.toMatchObject({ kind: 'other' });
    const err = await failure(client.delete('firewall/address', 'ghost'));
    expect(err).toMatchObject({ kind: 'not-found', fortiosCode: undefined });
    client.close();
    await sim.close();
  });

  it('reads 7.6 lists that carry size and matched_count', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '7.6.0' });
    const { client } = clientFor(sim);
    expect((await client.list('firewall/address', { filter: ['name==all'] })).map((a) => a.name)).toEqual([
      'all',
    ]);
    client.close();
    await sim.close();
  });
});
