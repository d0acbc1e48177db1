import { describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import {
  claimantOf,
  scopeDecision,
  scopeOwner,
  type ScopeClaimant,
  type ScopeDecision,
} from '../../../src/controllers/device/scope-owner.js';

const scope = { serial: 'FGVM01', vdom: 'root', clusterName: 'prod' };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const claim = (name: string, second: number | undefined, over: Partial<typeof scope> | null = {}) =>
  ({
    name,
    ...(second !== undefined ? { creationTimestamp: at(second) } : {}),
    ...(over ? { scope: { ...scope, ...over } } : {}),
  }) as ScopeClaimant;

describe('scopeOwner: one device per FortiGate serial, VDOM and clusterName', () => {
  it.each<[string, ScopeClaimant[], string | undefined]>([
    ['the only claimant owns it', [claim('a', 5)], 'a'],
    ['the oldest wins', [claim('b', 1), claim('a', 5)], 'b'],
    ['same second: the first name wins', [claim('b', 5), claim('a', 5)], 'a'],
    ['a device that never answered claims nothing', [claim('old', 1, null), claim('new', 9)], 'new'],
    ['another VDOM is another scope', [claim('old', 1, { vdom: 'dmz' }), claim('new', 9)], 'new'],
    [
      'another clusterName is another scope',
      [claim('old', 1, { clusterName: 'dev' }), claim('new', 9)],
      'new',
    ],
    [
      'another serial is another box (URLs do not matter)',
      [claim('old', 1, { serial: 'X' }), claim('new', 9)],
      'new',
    ],
    ['no creation time sorts last', [claim('x', undefined), claim('y', 9)], 'y'],
    ['nobody on the scope', [claim('a', 1, { serial: 'X' })], undefined],
  ])('%s', (_what, claimants, owner) => {
    expect(scopeOwner(scope, claimants)).toBe(owner);
    // The order the cache lists them in never matters.
    expect(scopeOwner(scope, [...claimants].reverse())).toBe(owner);
  });
});

describe('claimantOf: what a device claims', () => {
  const device = (over: Partial<FortiGateDevice> = {}): FortiGateDevice => ({
    metadata: { name: 'fw', creationTimestamp: '2026-01-01T00:00:05Z' as unknown as Date },
    spec: {
      url: 'https://fw.example',
      clusterName: 'prod',
      credentialsSecretRef: { name: 't', namespace: 'fortisync-system' },
    },
    ...over,
  });

  it('the identity probed in this process, with the VDOM that answered', () => {
    expect(claimantOf(device(), { serial: 'S1', vdom: 'dmz' })).toEqual({
      name: 'fw',
      creationTimestamp: '2026-01-01T00:00:05.000Z',
      scope: { serial: 'S1', vdom: 'dmz', clusterName: 'prod' },
    });
  });

  it('else the identity its status recorded (an operator just restarted), VDOM from the spec', () => {
    expect(claimantOf(device({ status: { fortios: { serial: 'S2' } } }), undefined).scope).toEqual({
      serial: 'S2',
      vdom: 'root',
      clusterName: 'prod',
    });
  });

  it('nothing while it never answered, or with an invalid spec', () => {
    expect(claimantOf(device(), undefined).scope).toBeUndefined();
    const invalid = device({ spec: { ...device().spec, url: 'ftp://x' } });
    expect(claimantOf(invalid, { serial: 'S1' }).scope).toBeUndefined();
  });
});

describe('scopeDecision: write, stand aside, or wait for an older device to identify its FortiGate', () => {
  const identifying = (name: string, second: number, clusterName = 'prod'): ScopeClaimant => ({
    name,
    creationTimestamp: at(second),
    identifying: { clusterName },
  });
  it.each<[string, string, ScopeClaimant[], ScopeDecision]>([
    ['alone: owner', 'a', [claim('a', 5)], { kind: 'owner' }],
    [
      'an older device owns it: conflict',
      'b',
      [claim('a', 1), claim('b', 5)],
      { kind: 'conflict', owner: 'a' },
    ],
    [
      'an older device is still identifying: wait',
      'b',
      [identifying('a', 1), claim('b', 5)],
      { kind: 'wait', for: 'a' },
    ],
    [
      'a younger one identifying is no reason to wait',
      'a',
      [claim('a', 1), identifying('b', 5)],
      { kind: 'owner' },
    ],
    [
      'one identifying for another clusterName neither',
      'b',
      [identifying('a', 1, 'dev'), claim('b', 5)],
      { kind: 'owner' },
    ],
  ])('%s', (_what, me, claimants, decision) => {
    expect(scopeDecision(me, scope, claimants)).toEqual(decision);
  });

  it('claimantOf: a device not yet tried is identifying; one tried and failed, or suspended, is not', () => {
    const d: FortiGateDevice = {
      metadata: { name: 'fw' },
      spec: { url: 'https://fw', clusterName: 'prod', credentialsSecretRef: { name: 't', namespace: 'n' } },
    };
    expect(claimantOf(d, undefined).identifying).toEqual({ clusterName: 'prod' });
    expect(claimantOf(d, undefined, true).identifying).toBeUndefined();
    expect(claimantOf({ ...d, spec: { ...d.spec, suspend: true } }, undefined).identifying).toBeUndefined();
  });
});
