import { describe, expect, it } from '@jest/globals';
import { CliFailure } from '../../../src/simulator/model/cli-failure.js';
import { DeviceState } from '../../../src/simulator/model/device-state.js';
import { DEFAULT_LIMITS, VdomConfig } from '../../../src/simulator/model/vdom-config.js';
import type { ModelContext } from '../../../src/simulator/model/vdom-config.js';
import { DEFAULT_ERROR_CODES, deviceProfile } from '../../../src/simulator/profile.js';

function context(overrides: Partial<ModelContext> = {}): ModelContext {
  let n = 0;
  return {
    codes: DEFAULT_ERROR_CODES,
    profile: deviceProfile('7.2.8'),
    limits: DEFAULT_LIMITS,
    caseSensitiveNames: true,
    newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    newRevision: () => (++n).toString(16).padStart(32, '0'),
    ...overrides,
  };
}

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliFailure) return err.code;
    throw err;
  }
  throw new Error('expected a CLI failure');
}

describe('VDOM model', () => {
  it('counts references from groups and policies and keeps them through renames', () => {
    const vdom = new VdomConfig('root', context());
    vdom.create('firewall/address', { name: 'a', subnet: '10.0.0.1/32' });
    vdom.create('firewall/addrgrp', { name: 'g', member: [{ name: 'a' }] });
    vdom.create('firewall/policy', { srcaddr: [{ name: 'g' }], dstaddr: [{ name: 'a' }] });
    const refs = (table: 'firewall/address' | 'firewall/addrgrp', name: string) =>
      vdom.refCount(table, vdom.find(table, name) ?? {});
    expect(refs('firewall/address', 'a')).toBe(2);
    vdom.update('firewall/address', 'a', { name: 'b' });
    expect(refs('firewall/address', 'b')).toBe(2);
    expect(vdom.find('firewall/policy', '1')?.dstaddr).toEqual([{ name: 'b' }]);
    vdom.update('firewall/addrgrp', 'g', { name: 'g2' });
    expect(vdom.find('firewall/policy', '1')?.srcaddr).toEqual([{ name: 'g2' }]);
    vdom.remove('firewall/policy', '1');
    expect(refs('firewall/address', 'b')).toBe(1);
    expect(code(() => vdom.remove('firewall/address', 'b'))).toBe(-23);
  });

  it('keeps a renamed entry in its place', () => {
    const vdom = new VdomConfig('root', context());
    for (const name of ['x', 'y', 'z']) vdom.create('firewall/address', { name });
    vdom.update('firewall/address', 'y', { name: 'yy' });
    expect(vdom.entries('firewall/address').map((e) => e.name)).toEqual(['all', 'none', 'x', 'yy', 'z']);
  });

  it('changes the revision only when the configuration changes', () => {
    const vdom = new VdomConfig('root', context());
    const first = vdom.revision;
    vdom.create('firewall/address', { name: 'a', subnet: '10.0.0.1/32' });
    const second = vdom.revision;
    expect(second).not.toBe(first);
    expect(vdom.update('firewall/address', 'a', { subnet: '10.0.0.1 255.255.255.255' }).changed).toBe(false);
    expect(vdom.revision).toBe(second);
    expect(code(() => vdom.create('firewall/address', { name: 'a' }))).toBe(-5);
    expect(vdom.revision).toBe(second);
  });

  it('rebuilds references from a snapshot', () => {
    const ctx = context();
    const state = DeviceState.fresh(['root'], ctx);
    const vdom = state.vdom('root') as VdomConfig;
    vdom.create('firewall/address', { name: 'a' });
    vdom.create('firewall/addrgrp', { name: 'g', member: [{ name: 'a' }] });
    const restored = DeviceState.fromSnapshot(state.snapshot(), ['root'], ctx).vdom('root') as VdomConfig;
    expect(code(() => restored.remove('firewall/address', 'a'))).toBe(-23);
    expect(restored.revision).toBe(vdom.revision);
  });

  it('clones independently', () => {
    const vdom = new VdomConfig('root', context());
    const copy = vdom.clone();
    copy.create('firewall/address', { name: 'only-in-copy' });
    expect(vdom.find('firewall/address', 'only-in-copy')).toBeUndefined();
  });

  it('purges unreferenced entries of one table', () => {
    const vdom = new VdomConfig('root', context());
    vdom.create('firewall/address', { name: 'a' });
    vdom.create('firewall/address', { name: 'b' });
    vdom.create('firewall/addrgrp', { name: 'g', member: [{ name: 'b' }] });
    expect(vdom.purge('firewall/address')).toBe(1);
    expect(vdom.purge('firewall/addrgrp')).toBe(1);
    expect(vdom.purge('firewall/address')).toBe(1);
    expect(vdom.entries('firewall/address').map((e) => e.name)).toEqual(['all', 'none']);
  });

  it('ignores q_ fields a client echoes back', () => {
    const vdom = new VdomConfig('root', context());
    vdom.create('firewall/address', { name: 'a', q_origin_key: 'a', q_ref: 3 });
    expect(Object.keys(vdom.find('firewall/address', 'a') ?? {}).some((k) => k.startsWith('q_'))).toBe(false);
  });
});
