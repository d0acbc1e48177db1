/**
 * The simulator's behaviour, bullet by bullet from ../shared/fortios-rest-api.md, over plain HTTP
 * with raw requests (no client in between).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { field, raw, simulator } from './helpers.js';

const ADDR = '/api/v2/cmdb/firewall/address';
const GRP = '/api/v2/cmdb/firewall/addrgrp';
const ADDR6 = '/api/v2/cmdb/firewall/address6';
const GRP6 = '/api/v2/cmdb/firewall/addrgrp6';
const POLICY = '/api/v2/cmdb/firewall/policy';

function results(json: unknown): Record<string, unknown>[] {
  return field(json, 'results') as Record<string, unknown>[];
}

function names(json: unknown): unknown[] {
  return results(json).map((r) => r.name);
}

describe('simulator, FortiOS 7.2.8', () => {
  let sim: SimulatorHandle;
  const post = (path: string, body: unknown) => raw(sim, 'POST', path, { body });
  const put = (path: string, body: unknown) => raw(sim, 'PUT', path, { body });
  const get = (path: string) => raw(sim, 'GET', path);
  const del = (path: string) => raw(sim, 'DELETE', path);
  const address = (name: string, subnet = '10.0.0.1/32', extra: object = {}) =>
    post(ADDR, { name, subnet, ...extra });

  beforeAll(async () => {
    sim = await simulator({
      http: true,
      vdoms: ['root', 'dmz'],
      limits: { addresses: 10, membersPerGroup: 4 },
    });
  });
  afterAll(() => sim.close());
  afterEach(() => sim.reset());

  describe('§1 URLs and methods', () => {
    it('GET of one entry answers an array of one and carries mkey', async () => {
      await address('one');
      const reply = await get(`${ADDR}/one`);
      expect(reply.status).toBe(200);
      expect(results(reply.json)).toHaveLength(1);
      expect(field(reply.json, 'mkey')).toBe('one');
    });

    it('POST creates and never upserts', async () => {
      expect((await address('a')).status).toBe(200);
      const again = await address('a', '10.0.0.2/32');
      expect(again.status).toBe(500);
      expect(field(again.json, 'error')).toBe(-5);
      expect(field(results((await get(`${ADDR}/a`)).json), 0, 'subnet')).toBe('10.0.0.1 255.255.255.255');
    });

    it('PUT updates only the attributes sent, and a name renames', async () => {
      await address('a', '10.0.0.1/32', { comment: 'keep' });
      await put(`${ADDR}/a`, { subnet: '10.0.0.9/32' });
      const after = results((await get(`${ADDR}/a`)).json)[0];
      expect(after).toMatchObject({ subnet: '10.0.0.9 255.255.255.255', comment: 'keep' });
      const renamed = await put(`${ADDR}/a`, { name: 'b' });
      expect(field(renamed.json, 'mkey')).toBe('b');
      expect((await get(`${ADDR}/a`)).status).toBe(404);
      expect(results((await get(`${ADDR}/b`)).json)[0]).toMatchObject({ comment: 'keep', uuid: after?.uuid });
    });

    it('a rename onto an existing name is refused', async () => {
      await address('a');
      await address('b');
      expect(field((await put(`${ADDR}/a`, { name: 'b' })).json, 'error')).toBe(-5);
    });

    it('DELETE removes one entry', async () => {
      await address('gone');
      expect((await del(`${ADDR}/gone`)).status).toBe(200);
      expect((await get(`${ADDR}/gone`)).status).toBe(404);
    });

    it('DELETE on the collection purges every entry nothing references, built-ins stay', async () => {
      await address('free');
      await address('held');
      await post(GRP, { name: 'g', member: [{ name: 'held' }] });
      const reply = await del(ADDR);
      expect(reply.status).toBe(200);
      expect(names((await get(ADDR)).json)).toEqual(['all', 'none', 'held']);
    });

    it('member child endpoints list, append and remove one member', async () => {
      await address('a1');
      await address('a2');
      await post(GRP, { name: 'g', member: [{ name: 'a1' }] });
      expect(results((await get(`${GRP}/g/member`)).json)).toEqual([{ name: 'a1', q_origin_key: 'a1' }]);
      expect((await post(`${GRP}/g/member`, { name: 'a2' })).status).toBe(200);
      expect(field((await post(`${GRP}/g/member`, { name: 'a2' })).json, 'error')).toBe(-5);
      expect(results((await get(`${GRP}/g/member/a2`)).json)).toEqual([{ name: 'a2', q_origin_key: 'a2' }]);
      expect((await del(`${GRP}/g/member/a1`)).status).toBe(200);
      expect(names((await get(`${GRP}/g/member`)).json)).toEqual(['a2']);
      expect((await del(`${GRP}/g/member/a1`)).status).toBe(404);
    });

    it('mkeys are percent-decoded; an unencoded slash addresses something else', async () => {
      await address('ns/pod 1:80%');
      expect((await get(`${ADDR}/${encodeURIComponent('ns/pod 1:80%')}`)).status).toBe(200);
      expect((await get(`${ADDR}/ns/pod`)).status).toBe(404);
      expect((await del(`${ADDR}/ns/pod`)).status).toBe(404);
      expect(sim.state.get('firewall/address', 'ns/pod 1:80%')).toBeDefined();
    });

    it('a PUT replaces list attributes wholesale', async () => {
      for (const n of ['a', 'b', 'c']) await address(n);
      await post(GRP, { name: 'g', member: [{ name: 'a' }, { name: 'b' }] });
      await put(`${GRP}/g`, { member: [{ name: 'c' }] });
      expect(field(results((await get(`${GRP}/g`)).json), 0, 'member')).toEqual([
        { name: 'c', q_origin_key: 'c' },
      ]);
    });

    it('vdom= picks the VDOM; vdom=*, vdom=a,b and global=1 answer one envelope per VDOM', async () => {
      await raw(sim, 'POST', `${ADDR}?vdom=dmz`, { body: { name: 'dmz-only', subnet: '10.1.1.1/32' } });
      expect((await get(`${ADDR}/dmz-only`)).status).toBe(404);
      expect((await get(`${ADDR}/dmz-only?vdom=dmz`)).status).toBe(200);
      for (const query of ['vdom=*', 'vdom=root,dmz', 'global=1']) {
        const reply = await get(`${ADDR}?${query}`);
        expect(Array.isArray(reply.json)).toBe(true);
        const envelopes = reply.json as unknown[];
        expect(envelopes.map((e) => field(e, 'vdom'))).toEqual(['root', 'dmz']);
        expect(names(envelopes[1])).toContain('dmz-only');
      }
      expect((await get(`${ADDR}?vdom=nowhere`)).status).toBe(404);
    });
  });

  describe('§1 filters, format, paging and meta', () => {
    beforeEach(async () => {
      await address('web-1', '10.0.0.1/32', { comment: 'fortisync:prod', color: 3 });
      await address('Web-2', '10.0.0.2/32', { comment: 'FortiSync:prod', color: 7 });
      await address('db.1', '10.0.0.3/32', { comment: 'a,b\\c', color: 12 });
    });
    const list = async (query: string) => names((await get(`${ADDR}?${query}`)).json);

    it('== is case-sensitive, =* is not', async () => {
      expect(await list('filter=name==web-1')).toEqual(['web-1']);
      expect(await list('filter=name==WEB-1')).toEqual([]);
      expect(await list('filter=name=*WEB-1')).toEqual(['web-1']);
    });

    it('!=, =@ and !@', async () => {
      expect(await list('filter=comment!=fortisync:prod')).toEqual(['all', 'none', 'Web-2', 'db.1']);
      expect(await list('filter=comment=@fortisync')).toEqual(['web-1', 'Web-2']);
      expect(await list('filter=name!@web')).toEqual(['all', 'none', 'db.1']);
    });

    it('<, <=, > and >= compare numbers as numbers', async () => {
      expect(await list('filter=color>5')).toEqual(['Web-2', 'db.1']);
      expect(await list('filter=color>=7')).toEqual(['Web-2', 'db.1']);
      expect(await list('filter=color<7&filter=color>0')).toEqual(['web-1']);
      expect(await list('filter=color<=3&filter=name=@e')).toEqual(['none', 'web-1']);
    });

    it('commas OR within one filter, repeated filters AND', async () => {
      expect(await list('filter=name==web-1,name==db\\.1')).toEqual(['web-1', 'db.1']);
      expect(await list('filter=comment=@prod&filter=name=@2')).toEqual(['Web-2']);
    });

    it('backslash escapes commas, dots and backslashes in values', async () => {
      expect(await list(`filter=${encodeURIComponent('comment==a\\,b\\\\c')}`)).toEqual(['db.1']);
      expect(await list(`filter=${encodeURIComponent('name==db\\.1')}`)).toEqual(['db.1']);
    });

    it('a malformed filter is refused', async () => {
      expect((await get(`${ADDR}?filter=name~~x`)).status).toBe(400);
    });

    it('format returns only the named fields (and q_origin_key)', async () => {
      const reply = await get(`${ADDR}?format=name|comment&filter=name==web-1`);
      expect(results(reply.json)).toEqual([
        { name: 'web-1', q_origin_key: 'web-1', comment: 'fortisync:prod' },
      ]);
    });

    it('start and count page through the (filtered) list', async () => {
      expect(await list('start=1&count=2')).toEqual(['none', 'web-1']);
      expect(await list('filter=name!=all&start=3')).toEqual(['db.1']);
    });

    it('with_meta adds reference counts; datasource names member tables', async () => {
      await post(GRP, { name: 'g', member: [{ name: 'web-1' }] });
      await post(GRP, { name: 'outer', member: [{ name: 'g' }, { name: 'web-1' }] });
      const meta = results((await get(`${ADDR}?with_meta=1&filter=name==web-1`)).json)[0];
      expect(meta).toMatchObject({ q_ref: 2, q_static: false });
      expect(results((await get(`${ADDR}/all?with_meta=1`)).json)[0]).toMatchObject({ q_static: true });
      const outer = results((await get(`${GRP}/outer?datasource=1`)).json)[0];
      expect(outer?.member).toEqual([
        { name: 'g', q_origin_key: 'g', datasource: 'firewall.addrgrp' },
        { name: 'web-1', q_origin_key: 'web-1', datasource: 'firewall.address' },
      ]);
    });
  });

  describe('§1 transactions', () => {
    const start = async () =>
      field(
        (await post('/api/v2/cmdb?action=transaction-start', { timeout: 60 })).json,
        'results',
        'transaction-id',
      ) as number;
    const staged = (id: number, method: string, path: string, body?: unknown) =>
      raw(sim, method, path, { body, headers: { 'X-TRANSACTION-ID': String(id) } });

    it('stages requests until commit', async () => {
      const id = await start();
      expect(typeof id).toBe('number');
      expect((await staged(id, 'POST', ADDR, { name: 't1', subnet: '10.0.0.1/32' })).status).toBe(200);
      expect((await staged(id, 'POST', GRP, { name: 'tg', member: [{ name: 't1' }] })).status).toBe(200);
      expect((await staged(id, 'GET', `${ADDR}/t1`)).status).toBe(200);
      expect((await get(`${ADDR}/t1`)).status).toBe(404);
      const commit = await post('/api/v2/cmdb?action=transaction-commit', { 'transaction-id': id });
      expect(commit.status).toBe(200);
      expect((await get(`${GRP}/tg`)).status).toBe(200);
    });

    it('abort discards, and the id is gone afterwards', async () => {
      const id = await start();
      await staged(id, 'POST', ADDR, { name: 't2', subnet: '10.0.0.1/32' });
      expect((await post('/api/v2/cmdb?action=transaction-abort', { 'transaction-id': id })).status).toBe(
        200,
      );
      expect((await get(`${ADDR}/t2`)).status).toBe(404);
      expect((await staged(id, 'POST', ADDR, { name: 't3', subnet: '10.0.0.1/32' })).status).toBe(400);
    });

    it('a staged write that fails answers its error at once', async () => {
      const id = await start();
      const reply = await staged(id, 'POST', GRP, { name: 'bad', member: [{ name: 'missing' }] });
      expect(field(reply.json, 'error')).toBe(-651);
    });

    it('a commit that no longer applies changes nothing', async () => {
      const id = await start();
      await staged(id, 'POST', ADDR, { name: 'x1', subnet: '10.0.0.1/32' });
      await staged(id, 'POST', ADDR, { name: 'x2', subnet: '10.0.0.2/32' });
      await address('x2');
      const commit = await post('/api/v2/cmdb?action=transaction-commit', { 'transaction-id': id });
      expect(commit.status).toBe(500);
      expect(field(commit.json, 'error')).toBe(-5);
      expect((await get(`${ADDR}/x1`)).status).toBe(404);
    });
  });

  describe('§3 envelopes', () => {
    it('a write answers revision, old_revision, revision_changed, mkey and the device', async () => {
      const reply = await address('1.1.1.1', '1.1.1.1/32');
      expect(reply.json).toEqual({
        http_method: 'POST',
        revision: expect.stringMatching(/^[0-9a-f]{32}$/),
        revision_changed: true,
        old_revision: expect.stringMatching(/^[0-9a-f]{32}$/),
        mkey: '1.1.1.1',
        status: 'success',
        http_status: 200,
        vdom: 'root',
        path: 'firewall',
        name: 'address',
        serial: sim.serial,
        version: 'v7.2.8',
        build: 1639,
      });
      expect(field(reply.json, 'revision')).not.toBe(field(reply.json, 'old_revision'));
    });

    it('PUT and DELETE look the same with their own http_method; a no-op PUT keeps the revision', async () => {
      const created = await address('a');
      const same = await put(`${ADDR}/a`, { subnet: '10.0.0.1 255.255.255.255' });
      expect(same.json).toMatchObject({
        http_method: 'PUT',
        revision_changed: false,
        revision: field(created.json, 'revision'),
      });
      const removed = await del(`${ADDR}/a`);
      expect(removed.json).toMatchObject({ http_method: 'DELETE', revision_changed: true, mkey: 'a' });
    });

    it('an address reads back in dotted-mask form with the device fields', async () => {
      await address('1.1.1.1', '1.1.1.1/32');
      const entry = results((await get(`${ADDR}/1.1.1.1`)).json)[0];
      expect(entry).toMatchObject({
        name: '1.1.1.1',
        q_origin_key: '1.1.1.1',
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        subnet: '1.1.1.1 255.255.255.255',
        type: 'ipmask',
        comment: '',
        color: 0,
        'associated-interface': '',
        'allow-routing': 'disable',
        tagging: [],
      });
    });

    it('subnets are accepted as /nn, /mask, "ip mask" and bare host', async () => {
      for (const [name, subnet] of [
        ['p', '10.1.0.0/16'],
        ['m', '10.1.0.0/255.255.0.0'],
        ['s', '10.1.0.0 255.255.0.0'],
      ]) {
        await address(name as string, subnet);
        expect(sim.state.get('firewall/address', name as string)?.subnet).toBe('10.1.0.0 255.255.0.0');
      }
      await address('h', '10.1.2.3');
      expect(sim.state.get('firewall/address', 'h')?.subnet).toBe('10.1.2.3 255.255.255.255');
    });

    it('address6 uses ipprefix and ip6', async () => {
      await post(ADDR6, { name: 'v6', ip6: '2001:db8::1/128' });
      expect(results((await get(`${ADDR6}/v6`)).json)[0]).toMatchObject({
        type: 'ipprefix',
        ip6: '2001:db8::1/128',
      });
    });

    it('an empty list is results [] with status success', async () => {
      const reply = await get(GRP);
      expect(reply.json).toMatchObject({ results: [], status: 'success', http_status: 200 });
      expect(field(reply.json, 'size')).toBeUndefined();
    });

    it('monitor system status has no http_status or revision; device facts at the top', async () => {
      const reply = await get('/api/v2/monitor/system/status');
      expect(reply.json).toMatchObject({
        version: 'v7.2.8',
        serial: sim.serial,
        build: 1639,
        status: 'success',
      });
      expect(field(reply.json, 'http_status')).toBeUndefined();
      expect(field(reply.json, 'revision')).toBeUndefined();
      expect(field(reply.json, 'results')).toMatchObject({
        model_name: 'FortiGate',
        model_number: 'VM64',
        hostname: expect.any(String),
      });
    });

    it('CLI failures are HTTP 500 with error and (7.x) cli_error', async () => {
      await post(GRP, { name: 'g', member: [{ name: 'all' }] });
      const reply = await post(GRP, { name: 'g2', member: [{ name: 'X' }] });
      expect(reply.status).toBe(500);
      expect(reply.json).toMatchObject({ status: 'error', http_status: 500, error: -651 });
      expect(field(reply.json, 'cli_error')).toContain('node_check_object fail! for name X');
      expect(field(reply.json, 'cli_error')).toContain('Return code -651');
    });

    it('an unknown mkey is 404 with error -3 on 7.x, for GET, PUT and DELETE', async () => {
      for (const reply of [
        await get(`${ADDR}/ghost`),
        await put(`${ADDR}/ghost`, { comment: 'x' }),
        await del(`${ADDR}/ghost`),
      ]) {
        expect(reply.status).toBe(404);
        expect(reply.json).toMatchObject({ status: 'error', http_status: 404, error: -3, mkey: 'ghost' });
      }
    });

    it('unknown tables and paths answer 404', async () => {
      expect((await get('/api/v2/cmdb/firewall/nothing')).status).toBe(404);
      expect((await get('/api/v2/elsewhere')).status).toBe(404);
    });
  });

  describe('§4 objects and limits', () => {
    it('names: 79 characters at most, quotes and angle brackets refused, / : and spaces allowed', async () => {
      expect((await address('n'.repeat(79))).status).toBe(200);
      expect(field((await address('m'.repeat(80))).json, 'error')).toBe(-72);
      for (const bad of ['a"b', "a'b", 'a<b', 'a>b'])
        expect(field((await address(bad)).json, 'error')).toBe(-15);
      expect((await address('ns/app: pod 1')).status).toBe(200);
    });

    it('names are case-sensitive by default', async () => {
      await address('Web');
      expect((await address('web')).status).toBe(200);
    });

    it('comment at most 255 characters, color 0–32', async () => {
      expect((await address('c1', '10.0.0.1/32', { comment: 'c'.repeat(255) })).status).toBe(200);
      expect(field((await address('c2', '10.0.0.1/32', { comment: 'c'.repeat(256) })).json, 'error')).toBe(
        -72,
      );
      expect(field((await address('c3', '10.0.0.1/32', { color: 33 })).json, 'error')).toBe(-15);
    });

    it("an empty option value takes the option's default, as Tigera's controller relied on (POST and PUT)", async () => {
      // Tigera's body, byte for byte in shape: every address carried "type":"" and "sub-type":"".
      const tigera = {
        name: 'worker-1',
        type: '',
        'sub-type': '',
        comment: 'Managed by Calico Enterprise',
        subnet: '10.0.0.1 255.255.255.255',
      };
      expect((await post(ADDR, tigera)).status).toBe(200);
      expect(results((await get(`${ADDR}/worker-1`)).json)[0]).toMatchObject({
        type: 'ipmask',
        'sub-type': 'sdn',
      });
      expect((await put(`${ADDR}/worker-1`, { ...tigera, subnet: '10.0.0.2 255.255.255.255' })).status).toBe(
        200,
      );
      expect(sim.state.get('firewall/address', 'worker-1')).toMatchObject({
        type: 'ipmask',
        subnet: '10.0.0.2 255.255.255.255',
      });
      expect((await post(GRP, { name: 'g', exclude: '', member: [{ name: 'worker-1' }] })).status).toBe(200);
      expect(sim.state.get('firewall/addrgrp', 'g')?.exclude).toBe('disable');
      // A value that is not empty and not an option is still refused.
      expect(field((await address('bogus', '10.0.0.3/32', { type: 'bogus' })).json, 'error')).toBe(-15);
    });

    it('addresses and groups share one name space (-163); IPv4 and IPv6 do not', async () => {
      await address('shared');
      expect(field((await post(GRP, { name: 'shared', member: [{ name: 'all' }] })).json, 'error')).toBe(
        -163,
      );
      expect((await post(ADDR6, { name: 'shared', ip6: '2001:db8::5' })).status).toBe(200);
    });

    it('iprange and fqdn addresses', async () => {
      expect(
        (await post(ADDR, { name: 'r', type: 'iprange', 'start-ip': '10.0.0.1', 'end-ip': '10.0.0.9' }))
          .status,
      ).toBe(200);
      expect(
        field(
          (await post(ADDR, { name: 'r2', type: 'iprange', 'start-ip': '10.0.0', 'end-ip': '10.0.0.9' }))
            .json,
          'error',
        ),
      ).toBe(-8);
      expect((await post(ADDR, { name: 'f', type: 'fqdn', fqdn: 'db.example.com' })).status).toBe(200);
    });

    it('invalid IP -8 and invalid mask -9', async () => {
      expect(field((await address('x', '10.0.0.256/32')).json, 'error')).toBe(-8);
      expect(field((await address('x', '10.0.0.1/33')).json, 'error')).toBe(-9);
      expect(field((await address('x', '10.0.0.1 255.255.0.255')).json, 'error')).toBe(-9);
      expect(field((await post(ADDR6, { name: 'x', ip6: '2001:db8::zz' })).json, 'error')).toBe(-8);
    });

    it('members must exist (-651) and come from the same family', async () => {
      await post(ADDR6, { name: 'v6only', ip6: '2001:db8::1' });
      expect(field((await post(GRP, { name: 'g', member: [{ name: 'v6only' }] })).json, 'error')).toBe(-651);
      expect((await post(GRP6, { name: 'g6', member: [{ name: 'v6only' }] })).status).toBe(200);
      expect(
        field((await post(GRP6, { name: 'g6b', member: [{ name: 'all' }, { name: 'nope' }] })).json, 'error'),
      ).toBe(-651);
    });

    it('groups nest, but never into a loop', async () => {
      await post(GRP, { name: 'inner', member: [{ name: 'all' }] });
      expect((await post(GRP, { name: 'outer', member: [{ name: 'inner' }] })).status).toBe(200);
      expect(field((await put(`${GRP}/inner`, { member: [{ name: 'outer' }] })).json, 'error')).toBe(-651);
      expect(field((await put(`${GRP}/inner`, { member: [{ name: 'inner' }] })).json, 'error')).toBe(-651);
    });

    it('a group cannot be empty: not created, not emptied by PUT or by removing the last member', async () => {
      expect(field((await post(GRP, { name: 'g', member: [] })).json, 'error')).toBe(-56);
      expect(field((await post(GRP, { name: 'g' })).json, 'error')).toBe(-56);
      await post(GRP, { name: 'g', member: [{ name: 'none' }] });
      expect(field((await put(`${GRP}/g`, { member: [] })).json, 'error')).toBe(-56);
      expect(field((await del(`${GRP}/g/member/none`)).json, 'error')).toBe(-56);
    });

    it('all and none exist in both families with their values and cannot be deleted', async () => {
      expect(results((await get(`${ADDR}/all`)).json)[0]).toMatchObject({ subnet: '0.0.0.0 0.0.0.0' });
      expect(results((await get(`${ADDR}/none`)).json)[0]).toMatchObject({
        subnet: '0.0.0.0 255.255.255.255',
      });
      expect(results((await get(`${ADDR6}/all`)).json)[0]).toMatchObject({ ip6: '::/0' });
      expect(results((await get(`${ADDR6}/none`)).json)[0]).toMatchObject({ ip6: '::/128' });
      for (const path of [`${ADDR}/all`, `${ADDR}/none`, `${ADDR6}/all`, `${ADDR6}/none`]) {
        expect(field((await del(path)).json, 'error')).toBe(-23);
      }
      expect(field((await put(`${ADDR}/none`, { name: 'renamed' })).json, 'error')).toBe(-23);
    });

    it('deleting a referenced entry fails with -23 and says how many reference it', async () => {
      await address('a');
      await post(GRP, { name: 'g', member: [{ name: 'a' }] });
      await post(POLICY, { name: 'p', srcaddr: [{ name: 'g' }], dstaddr: [{ name: 'a' }], action: 'accept' });
      const reply = await del(`${ADDR}/a`);
      expect(field(reply.json, 'cli_error')).toContain('The entry is used by other 2 entries');
      expect(field((await del(`${GRP}/g`)).json, 'error')).toBe(-23);
      expect((await del(`${POLICY}/1`)).status).toBe(200);
      expect((await del(`${GRP}/g`)).status).toBe(200);
      expect((await del(`${ADDR}/a`)).status).toBe(200);
    });

    it('policies reference addresses and groups by name and follow renames', async () => {
      await post(GRP, { name: 'K8S-DMZ', member: [{ name: 'none' }] });
      const created = await post(POLICY, {
        name: 'dmz',
        srcaddr: [{ name: 'K8S-DMZ' }],
        dstaddr: [{ name: 'all' }],
        action: 'accept',
      });
      expect(field(created.json, 'mkey')).toBe(1);
      expect(field((await post(POLICY, { srcaddr: [{ name: 'ghost' }] })).json, 'error')).toBe(-651);
      await put(`${GRP}/K8S-DMZ`, { name: 'K8S-DMZ-2' });
      expect(field(results((await get(`${POLICY}/1`)).json), 0, 'srcaddr')).toEqual([
        { name: 'K8S-DMZ-2', q_origin_key: 'K8S-DMZ-2' },
      ]);
    });

    it('the address table limit and the member limit answer -4', async () => {
      for (let i = 0; i < 8; i++) expect((await address(`a${i}`)).status).toBe(200);
      expect(field((await address('a8')).json, 'error')).toBe(-4);
      const members = ['a0', 'a1', 'a2', 'a3'].map((name) => ({ name }));
      expect((await post(GRP, { name: 'g', member: members })).status).toBe(200);
      expect(field((await post(`${GRP}/g/member`, { name: 'a4' })).json, 'error')).toBe(-4);
    });
  });

  describe('§5 speed and concurrency', () => {
    it('150 parallel creates all succeed', async () => {
      const big = await simulator({ http: true });
      const replies = await Promise.all(
        Array.from({ length: 150 }, (_, i) =>
          raw(big, 'POST', ADDR, { body: { name: `p${i}`, subnet: `10.9.${i >> 8}.${i & 255}/32` } }),
        ),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      expect(big.state.list('firewall/address')).toHaveLength(152);
      await big.close();
    });

    it('a GET right after a create can answer 404 when that lag is injected', async () => {
      sim.faults.notFoundAfterCreate(1);
      await address('fresh');
      expect((await get(`${ADDR}/fresh`)).status).toBe(404);
      expect((await get(`${ADDR}/fresh`)).status).toBe(200);
    });
  });
});

describe('version-dependent details', () => {
  it('6.2: no cli_error, 404 without error, a lone member object is ignored, no transactions', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '6.2.3' });
    const reply = await raw(sim, 'POST', GRP, { body: { name: 'g', member: [{ name: 'ghost' }] } });
    expect(field(reply.json, 'error')).toBe(-651);
    expect(field(reply.json, 'cli_error')).toBeUndefined();
    const missing = await raw(sim, 'GET', `${ADDR}/ghost`);
    expect(missing.status).toBe(404);
    expect(field(missing.json, 'error')).toBeUndefined();
    await raw(sim, 'POST', GRP, { body: { name: 'g', member: [{ name: 'all' }] } });
    await raw(sim, 'PUT', `${GRP}/g`, { body: { member: { name: 'none' } } });
    expect(sim.state.get('firewall/addrgrp', 'g')?.member).toEqual([{ name: 'all' }]);
    expect((await raw(sim, 'POST', '/api/v2/cmdb?action=transaction-start', { body: {} })).status).toBe(404);
    expect(field((await raw(sim, 'GET', '/api/v2/monitor/system/status')).json, 'build')).toBe(1066);
    await sim.close();
  });

  it('6.0: names are limited to 63 characters', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '6.0.9' });
    expect(
      (await raw(sim, 'POST', ADDR, { body: { name: 'n'.repeat(64), subnet: '10.0.0.1/32' } })).status,
    ).toBe(500);
    expect(
      (await raw(sim, 'POST', ADDR, { body: { name: 'n'.repeat(63), subnet: '10.0.0.1/32' } })).status,
    ).toBe(200);
    await sim.close();
  });

  it('7.x: a lone member object is taken as a list of one', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '7.4.1' });
    await raw(sim, 'POST', GRP, { body: { name: 'g', member: [{ name: 'all' }] } });
    await raw(sim, 'PUT', `${GRP}/g`, { body: { member: { name: 'none' } } });
    expect(sim.state.get('firewall/addrgrp', 'g')?.member).toEqual([{ name: 'none' }]);
    await sim.close();
  });

  it('7.6: lists carry size and matched_count', async () => {
    const sim = await simulator({ http: true, fortiosVersion: '7.6.0' });
    const reply = await raw(sim, 'GET', `${ADDR}?filter=name==all`);
    expect(reply.json).toMatchObject({ size: 2, matched_count: 1, results: [{ name: 'all' }] });
    expect(field((await raw(sim, 'GET', `${ADDR}/all`)).json, 'size')).toBeUndefined();
    await sim.close();
  });

  it('error codes marked [guess] are configurable', async () => {
    const sim = await simulator({ http: true, errorCodes: { tooLong: -1, notFound: -33 } });
    expect(field((await raw(sim, 'POST', ADDR, { body: { name: 'n'.repeat(80) } })).json, 'error')).toBe(-1);
    expect(field((await raw(sim, 'GET', `${ADDR}/ghost`)).json, 'error')).toBe(-33);
    await sim.close();
  });

  it('names can be made case-insensitive', async () => {
    const sim = await simulator({ http: true, caseSensitiveNames: false });
    await raw(sim, 'POST', ADDR, { body: { name: 'Web', subnet: '10.0.0.1/32' } });
    expect(
      field((await raw(sim, 'POST', ADDR, { body: { name: 'WEB', subnet: '10.0.0.1/32' } })).json, 'error'),
    ).toBe(-5);
    expect((await raw(sim, 'GET', `${ADDR}/web`)).status).toBe(200);
    await sim.close();
  });
});

describe('simulator with emptyOption: refuse', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await simulator({ http: true, emptyOption: 'refuse' });
  });
  afterAll(() => sim.close());

  it('answers invalidValue for an empty option value', async () => {
    const reply = await raw(sim, 'POST', ADDR, { body: { name: 'n', type: '', subnet: '10.0.0.1/32' } });
    expect(reply.status).toBe(500);
    expect(field(reply.json, 'error')).toBe(-15);
  });
});
