import { describe, expect, it } from '@jest/globals';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import { checkMappingSpec } from '../../../src/api/v1alpha1/validation.js';
import type { DeviceSyncReport, GroupSyncState } from '../../../src/controllers/device/sync-state.js';
import { computeMappingStatus, type DeviceView } from '../../../src/controllers/mapping/status.js';
import type { Problem } from '../../../src/domain/problem.js';
import { namespace, node, pod, view } from '../domain/fixtures.js';
import { endpointMapping, fortigateDevice } from './fakes.js';

const NOW = 1_700_000_000_000;
const cluster = view(
  [
    pod('shop', 'web-1', 'n1', { app: 'web' }, ['10.1.0.1']),
    pod('shop', 'web-2', 'n1', { app: 'web' }, ['10.1.0.2']),
  ],
  [node('n1', '192.168.0.1')],
  [namespace('shop', { team: 'a' })],
);

/** A device's last sync as the mapping sees it. */
function report(
  groups: Record<string, GroupSyncState> = {},
  problem?: Problem,
  released: string[] = [],
  generationSeen = Number.MAX_SAFE_INTEGER,
  mappingProblems: Record<string, Problem> = {},
): DeviceSyncReport {
  return {
    problem,
    group: (key) => groups[key],
    mappingProblem: (key) => mappingProblems[key],
    released: (uid) => released.includes(uid),
    generationSeen: () => generationSeen,
  };
}

const synced = (lastSyncTime = '2026-01-01T00:00:00Z'): Record<string, GroupSyncState> => ({
  'IPv4/K8S-WEB': { ok: true, lastSyncTime },
});

function statusOf(
  mapping: FortiGateEndpointMapping,
  devices: Record<string, DeviceView>,
): ReturnType<typeof computeMappingStatus> {
  const check = checkMappingSpec(mapping.spec);
  return computeMappingStatus(
    mapping,
    check.ok ? check.spec : undefined,
    check.ok ? undefined : 'bad',
    new Map(Object.entries(devices)),
    cluster,
    NOW,
  );
}

const fw1 = (sync: DeviceSyncReport | undefined, spec = {}): DeviceView => ({
  device: fortigateDevice(spec),
  sync,
});

/** [Reconciling, Stalled] per table row: the reason of the one that is True, '-' for False. */
const HEALTH: Record<string, [string, string]> = {
  'in sync': ['-', '-'],
  'invalid spec': ['-', 'InvalidSpec'],
  'device missing': ['-', 'DeviceNotFound'],
  'device spec invalid': ['-', 'DeviceInvalid'],
  'namespace not allowed': ['-', 'NamespaceNotAllowed'],
  'group not allowed': ['-', 'GroupNotAllowed'],
  'device problem': ['-', 'Unauthorized'],
  'never synced': ['Pending', '-'],
  'group failed': ['-', 'TableFull'],
  'dry run': ['-', '-'],
  suspended: ['-', '-'],
};

describe('computeMappingStatus', () => {
  it.each<[string, FortiGateEndpointMapping, Record<string, DeviceView>, string, string, string]>([
    ['in sync', endpointMapping(), { fw1: fw1(report(synced())) }, 'True', 'Synced', 'True'],
    ['invalid spec', endpointMapping({ addressGroup: '' }), {}, 'False', 'InvalidSpec', 'False'],
    ['device missing', endpointMapping(), {}, 'False', 'DeviceNotFound', 'False'],
    [
      'device spec invalid',
      endpointMapping(),
      { fw1: fw1(report(), { url: 'nope' }) },
      'False',
      'DeviceInvalid',
      'False',
    ],
    [
      'namespace not allowed',
      endpointMapping(),
      { fw1: fw1(report(synced()), { access: { namespaceSelector: { matchLabels: { team: 'b' } } } }) },
      'False',
      'NamespaceNotAllowed',
      'False',
    ],
    [
      'group not allowed',
      endpointMapping(),
      { fw1: fw1(report(synced()), { access: { allowedGroups: ['OTHER-*'] } }) },
      'False',
      'GroupNotAllowed',
      'False',
    ],
    [
      'device problem',
      endpointMapping(),
      { fw1: fw1(report({}, { reason: 'Unauthorized', message: 'refused' })) },
      'False',
      'Unauthorized',
      'False',
    ],
    ['never synced', endpointMapping(), { fw1: fw1(undefined) }, 'False', 'Pending', 'Unknown'],
    [
      'group failed',
      endpointMapping(),
      {
        fw1: fw1(
          report({ 'IPv4/K8S-WEB': { ok: false, problem: { reason: 'TableFull', message: 'full' } } }),
        ),
      },
      'False',
      'TableFull',
      'False',
    ],
    [
      'dry run',
      endpointMapping({ dryRun: true }),
      { fw1: fw1(report({ 'IPv4/K8S-WEB': { ok: true, plannedOps: new Map([['shop/web', []]]) } })) },
      'False',
      'DryRun',
      'Unknown',
    ],
    [
      'suspended',
      endpointMapping({ suspend: true }),
      { fw1: fw1(report(synced())) },
      'False',
      'Suspended',
      'True',
    ],
  ])('%s', (_name, mapping, devices, ready, reason, syncedStatus) => {
    const { status } = statusOf(mapping, devices);
    const cond = (type: string) => status.conditions?.find((c) => c.type === type);
    expect(cond('Ready')).toMatchObject({ status: ready, reason, observedGeneration: 1 });
    expect(cond('Synced')?.status).toBe(syncedStatus);
    // kstatus: Reconciling and Stalled carry Ready's reason when they apply, and are never both True.
    const health = [cond('Reconciling'), cond('Stalled')].map((c) => (c?.status === 'True' ? c.reason : '-'));
    expect(health).toEqual(HEALTH[_name]);
  });

  it("keeps observedGeneration and says Pending until every device synced the mapping's generation", () => {
    const mapping = endpointMapping({}, { generation: 2 });
    mapping.status = { observedGeneration: 1 };
    const behind = statusOf(mapping, { fw1: fw1(report(synced(), undefined, [], 1)) });
    const cond = (s: typeof behind, type: string) => s.status.conditions?.find((c) => c.type === type);
    expect(behind.status.observedGeneration).toBe(1);
    expect(cond(behind, 'Ready')).toMatchObject({ status: 'False', reason: 'Pending' });
    expect(cond(behind, 'Ready')?.message).toMatch(/generation 2 .* not yet applied to fw1/);
    expect(cond(behind, 'Reconciling')).toMatchObject({ status: 'True', reason: 'Pending' });
    const applied = statusOf(mapping, { fw1: fw1(report(synced(), undefined, [], 2)) });
    expect(applied.status.observedGeneration).toBe(2);
    expect(cond(applied, 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(cond(applied, 'Reconciling')?.status).toBe('False');
  });

  it('a problem the mapping can see at once advances observedGeneration without waiting for a sync', () => {
    const mapping = endpointMapping({}, { generation: 3 });
    const denied = fw1(report(synced(), undefined, [], 1), {
      access: { allowedGroups: ['OTHER-*'] },
    });
    const { status } = statusOf(mapping, { fw1: denied });
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'GroupNotAllowed',
    });
  });

  it('a missing device is progress for a minute after creation, then Stalled', () => {
    const young = endpointMapping({}, { creationTimestamp: new Date(NOW - 10_000) });
    const first = statusOf(young, {});
    const cond = (s: typeof first, type: string) => s.status.conditions?.find((c) => c.type === type);
    expect(cond(first, 'Reconciling')).toMatchObject({ status: 'True', reason: 'DeviceNotFound' });
    expect(cond(first, 'Stalled')?.status).toBe('False');
    expect(first.recheckAfterMs).toBe(50_000);
    const old = endpointMapping({}, { creationTimestamp: new Date(NOW - 61_000) });
    const later = statusOf(old, {});
    expect(cond(later, 'Stalled')).toMatchObject({ status: 'True', reason: 'DeviceNotFound' });
    expect(cond(later, 'Reconciling')?.status).toBe('False');
    expect(later.recheckAfterMs).toBeUndefined();
  });

  it('counts members across devices once and previews them', () => {
    const mapping = endpointMapping({ devices: ['fw1', 'fw2'] });
    const { status, ready } = statusOf(mapping, {
      fw1: fw1(report(synced('2026-01-01T00:00:02Z'))),
      fw2: { device: fortigateDevice({}, { name: 'fw2' }), sync: report(synced('2026-01-01T00:00:01Z')) },
    });
    expect(ready).toBe(true);
    expect(status.members).toBe(2);
    expect(status.memberPreview?.map((m) => m.address)).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(status.devices?.map((d) => [d.name, d.synced, d.members])).toEqual([
      ['fw1', true, 2],
      ['fw2', true, 2],
    ]);
    expect(status.lastSyncTime).toBe('2026-01-01T00:00:01Z'); // the oldest: every device has it
  });

  it('summarises a dry run plan', () => {
    const planned = [
      {
        op: 'createGroup' as const,
        family: 'IPv4' as const,
        name: 'K8S-WEB',
        members: ['a'],
        comment: '',
        added: ['a'],
      },
    ];
    const { status } = statusOf(endpointMapping({ dryRun: true }), {
      fw1: fw1(report({ 'IPv4/K8S-WEB': { ok: true, plannedOps: new Map([['shop/web', planned]]) } })),
    });
    expect(status.plan).toEqual({ createGroups: ['K8S-WEB'], addMembers: ['a'] });
  });

  it('while deleting: released only once every existing device let the members go', () => {
    const deleting = endpointMapping(
      { devices: ['fw1', 'gone'] },
      { deletionTimestamp: new Date('2026-01-01T00:00:00Z') },
    );
    const waiting = statusOf(deleting, { fw1: fw1(report(synced())) });
    expect(waiting.released).toBe(false);
    expect(waiting.readyReason).toBe('Deleting');
    // Waits for fw1 (a device that does not exist has nothing to release) and says why the other is odd.
    expect(waiting.status.conditions?.find((c) => c.type === 'Ready')?.message).toBe(
      'removing members from fw1 (FortiGateDevice gone does not exist; create it or fix spec.devices)',
    );
    const done = statusOf(deleting, { fw1: fw1(report(synced(), undefined, ['m1'])) });
    expect(done.released).toBe(true);
  });

  it('keeps the transition time of an unchanged condition', () => {
    const first = statusOf(endpointMapping(), { fw1: fw1(report(synced())) }).status;
    const mapping = { ...endpointMapping(), status: first };
    const check = checkMappingSpec(mapping.spec);
    const again = computeMappingStatus(
      mapping,
      check.ok ? check.spec : undefined,
      undefined,
      new Map([['fw1', fw1(report(synced()))]]),
      cluster,
      NOW + 60_000,
    ).status;
    expect(again.conditions).toEqual(first.conditions);
  });
});
