import { describe, expect, it } from '@jest/globals';
import {
  ADOPTION_RECHECK_MS,
  adoptedGroupComment,
  adoptionPreview,
  adoptionStep,
  cleanupCandidates,
  FIGHT_WINDOW_MS,
  isTigeraComment,
  memberCounts,
  retryClears,
  TIGERA_PLACEHOLDER,
  type AdoptionInput,
  type AdoptionMemory,
} from '../../../src/domain/adoption.js';
import type { ObservedGroup } from '../../../src/domain/model.js';
import { groupComment, isOwnedBy } from '../../../src/domain/naming.js';

const C = 'prod';
const G = 'fortigate.payments';
const TIGERA = 'Managed by Calico Enterprise';
const OURS = ['k8s-prod-node-w1', 'k8s-prod-node-w2'];
const THEIRS = ['w1', 'w2'];
const SETTLE = 30_000;
const T0 = 1_000_000;

const group = (members: string[], comment = TIGERA): ObservedGroup => ({
  name: G,
  family: 'IPv4',
  members,
  comment,
});

function input(over: Partial<AdoptionInput>): AdoptionInput {
  return {
    group: group(THEIRS),
    wanted: new Set(OURS),
    isOurs: (m) => m.startsWith('k8s-prod-'),
    isTigera: (m) => m === TIGERA_PLACEHOLDER || THEIRS.includes(m),
    ownedByUs: false,
    clusterName: C,
    device: 'fw1',
    memory: undefined,
    retryToken: '',
    now: T0,
    settleMs: SETTLE,
    ...over,
  };
}

const memory = (over: Partial<AdoptionMemory>): AdoptionMemory => ({
  state: 'Adding',
  since: T0 - 5000,
  seenOurs: [],
  rewrites: [],
  ...over,
});

describe('adoptionStep', () => {
  const cases: {
    name: string;
    in: Partial<AdoptionInput>;
    state: AdoptionMemory['state'];
    write?: string[];
    event?: string;
    recheck?: boolean;
  }[] = [
    {
      name: 'first look, ours not in yet: Adding, started, look again soon',
      in: {},
      state: 'Adding',
      event: 'AdoptionStarted',
      recheck: true,
    },
    {
      name: 'ours all in for the first time: Settling, nothing removed',
      in: { group: group([...THEIRS, ...OURS]), memory: memory({}) },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'settling, not yet long enough: nothing written',
      in: {
        group: group([...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE + 1, seenOurs: OURS }),
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'settled: one write, Tigera’s members leave, ours stay, comment becomes ours',
      in: {
        group: group([...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE, seenOurs: OURS }),
      },
      state: 'Adopted',
      write: OURS,
      event: 'GroupAdopted',
    },
    {
      name: 'settled, but the drain is held (FortiManager: the add not installed yet): Settling, nothing written',
      in: {
        group: group([...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE, seenOurs: OURS }),
        drainHold: (since) => (since === T0 - SETTLE ? 'waiting for the install of pkg' : undefined),
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'settled, and the hold is lifted: one write',
      in: {
        group: group([...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE, seenOurs: OURS }),
        drainHold: () => undefined,
      },
      state: 'Adopted',
      write: OURS,
      event: 'GroupAdopted',
    },
    {
      name: 'not yet settled: the hold is not even asked',
      in: {
        group: group([...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - 1000, seenOurs: OURS }),
        drainHold: () => {
          throw new Error('asked too early');
        },
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'settled with a foreign (admin) member: it stays',
      in: {
        group: group(['admin-host', ...THEIRS, ...OURS]),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE, seenOurs: OURS }),
      },
      state: 'Adopted',
      write: ['admin-host', ...OURS],
      event: 'GroupAdopted',
    },
    {
      name: 'empty desired set: no-members leaves for FortiOS’s none',
      in: {
        group: group([TIGERA_PLACEHOLDER]),
        wanted: new Set(),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE }),
      },
      state: 'Adopted',
      write: ['none'],
      event: 'GroupAdopted',
    },
    {
      name: 'settled but a stale member of ours is still in: wait (not the right set)',
      in: {
        group: group([...THEIRS, ...OURS, 'k8s-prod-node-old']),
        memory: memory({ state: 'Settling', completeSince: T0 - SETTLE, seenOurs: OURS }),
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'a new member of ours missing while settling is not a rewrite; the clock keeps running',
      in: {
        group: group([...THEIRS, ...OURS]),
        wanted: new Set([...OURS, 'k8s-prod-node-w3']),
        memory: memory({ state: 'Settling', completeSince: T0 - 10_000, seenOurs: OURS }),
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'ours gone behind our back while settling (first time): back to Adding, reported',
      in: {
        group: group(THEIRS),
        memory: memory({ state: 'Settling', completeSince: T0 - 10_000, seenOurs: OURS }),
      },
      state: 'Adding',
      event: 'AdoptionRewritten',
      recheck: true,
    },
    {
      name: 'second rewrite within the window: Conflict, nothing written',
      in: {
        group: group(THEIRS),
        memory: memory({
          state: 'Settling',
          completeSince: T0 - 1000,
          seenOurs: OURS,
          rewrites: [T0 - 20_000],
        }),
      },
      state: 'Conflict',
      event: 'AdoptionConflict',
    },
    {
      name: 'a rewrite long after the last one is a first one again',
      in: {
        group: group(THEIRS),
        memory: memory({ state: 'Settling', seenOurs: OURS, rewrites: [T0 - FIGHT_WINDOW_MS] }),
      },
      state: 'Adding',
      event: 'AdoptionRewritten',
      recheck: true,
    },
    {
      name: 'a member of ours we no longer want leaving is not a rewrite',
      in: {
        group: group([...THEIRS, 'k8s-prod-node-w1']),
        wanted: new Set(['k8s-prod-node-w1']),
        memory: memory({ state: 'Settling', completeSince: T0 - 1000, seenOurs: OURS }),
      },
      state: 'Settling',
      recheck: true,
    },
    {
      name: 'after adoption, Tigera’s comment back: a rewrite',
      in: { group: group(THEIRS), memory: memory({ state: 'Adopted' }) },
      state: 'Adding',
      event: 'AdoptionRewritten',
      recheck: true,
    },
    {
      name: 'after adoption, Tigera’s comment back a second time: Conflict',
      in: { group: group(THEIRS), memory: memory({ state: 'Adopted', rewrites: [T0 - 60_000] }) },
      state: 'Conflict',
      event: 'AdoptionConflict',
    },
    {
      name: 'adopted and ours: stays Adopted, nothing written',
      in: {
        group: group(OURS, adoptedGroupComment(C, G)),
        ownedByUs: true,
        memory: memory({ state: 'Adopted' }),
      },
      state: 'Adopted',
    },
    {
      name: 'already ours after a restart (no memory): Adopted, no event',
      in: { group: group(OURS, groupComment(C, G)), ownedByUs: true },
      state: 'Adopted',
    },
    {
      name: 'stopped: stays stopped whatever the group holds',
      in: { group: group([...THEIRS, ...OURS]), memory: memory({ state: 'Conflict', retryToken: '' }) },
      state: 'Conflict',
    },
    {
      name: 'a group without Tigera’s comment is not adopted',
      in: { group: group(['admin-host'], 'made by hand') },
      state: 'NotCalicoEnterprise',
    },
  ];

  it.each(cases)('$name', (c) => {
    const d = adoptionStep(input(c.in));
    expect(d.memory.state).toBe(c.state);
    expect(d.write?.members).toEqual(c.write);
    if (c.write) expect(isOwnedBy(d.write?.comment, C, G)).toBe(true);
    expect(d.event?.reason).toBe(c.event);
    expect(d.recheckMs !== undefined).toBe(c.recheck === true);
    if (d.recheckMs !== undefined) expect(d.recheckMs).toBeLessThanOrEqual(ADOPTION_RECHECK_MS);
  });

  it('the Conflict message names the group, the device and the way out', () => {
    const d = adoptionStep(
      input({
        group: group(THEIRS),
        memory: memory({ state: 'Settling', seenOurs: OURS, rewrites: [T0 - 1] }),
      }),
    );
    expect(d.memory.message).toContain(`group ${G} on fw1`);
    expect(d.memory.message).toContain('fortisync.io/retry-adoption');
  });

  it('the settle clock starts when ours are first all in, and drains exactly settleMs later', () => {
    const first = adoptionStep(input({ group: group([...THEIRS, ...OURS]), memory: memory({}) }));
    expect(first.memory.completeSince).toBe(T0);
    const early = adoptionStep(
      input({ group: group([...THEIRS, ...OURS]), memory: first.memory, now: T0 + SETTLE - 1 }),
    );
    expect(early.write).toBeUndefined();
    const due = adoptionStep(
      input({ group: group([...THEIRS, ...OURS]), memory: early.memory, now: T0 + SETTLE }),
    );
    expect(due.write?.members).toEqual(OURS);
  });
});

describe('adoption helpers', () => {
  it.each([
    ['Managed by Calico Enterprise', true],
    ['Managed by Tigera Calico Enterprise', true],
    ['x Managed by Calico Enterprise y', true],
    ['Calico Enterprise', false],
    ['', false],
  ])('isTigeraComment(%j) is %s', (comment, want) => expect(isTigeraComment(comment)).toBe(want));

  it('the adopted comment is owned by exactly this cluster and this group', () => {
    const c = adoptedGroupComment(C, G);
    expect(isOwnedBy(c, C, G)).toBe(true);
    expect(isOwnedBy(c, 'prod2', G)).toBe(false);
    expect(isOwnedBy(c, C, 'other')).toBe(false);
  });

  it('counts members by owner, placeholders aside', () => {
    const isOurs = (m: string) => m.startsWith('k8s-');
    const isTigera = (m: string) => m === TIGERA_PLACEHOLDER || m === 'w1';
    expect(
      memberCounts(group(['w1', TIGERA_PLACEHOLDER, 'k8s-a', 'admin', 'none']), isOurs, isTigera),
    ).toEqual({
      ours: 1,
      tigera: 2,
      foreign: 1,
    });
  });

  it.each([
    [undefined, 'x', false],
    [memory({ state: 'Adding' }), 'x', false],
    [memory({ state: 'Conflict', retryToken: '' }), '', false],
    [memory({ state: 'Conflict', retryToken: '' }), '1', true],
    [memory({ state: 'Conflict', retryToken: '1' }), '1', false],
    [memory({ state: 'Conflict', retryToken: '1' }), '2', true],
  ])('retryClears(%j, %j) is %s', (m, token, want) => expect(retryClears(m, token)).toBe(want));
});

describe('cleanupCandidates', () => {
  const t = (name: string, refs: number | undefined, comment: string | undefined = TIGERA) => ({
    name,
    comment,
    refs,
  });
  it.each([
    ['an unreferenced Tigera address', [t('w1', 0)], [], ['w1']],
    ['a referenced one stays', [t('w1', 1)], [], []],
    ['an unknown count stays (never delete on doubt)', [t('w1', undefined)], [], []],
    ['someone else’s unreferenced object stays', [t('admin', 0, 'made by hand')], [], []],
    ['a comment that only mentions the product stays', [t('x', 0, 'Calico Enterprise notes')], [], []],
    ['a group being adopted stays, even unreferenced', [t(G, 0)], [G], []],
    ['sorted', [t('b', 0), t(TIGERA_PLACEHOLDER, 0), t('a', 0)], [], ['a', 'b', TIGERA_PLACEHOLDER]],
  ])('%s', (_name, objects, keep, want) => {
    expect(cleanupCandidates(objects, new Set(keep))).toEqual(want);
  });
});

describe('adoptionPreview (kubectl fortisync plan)', () => {
  const base = {
    wanted: new Set(OURS),
    isOurs: (m: string) => m.startsWith('k8s-prod-'),
    isTigera: (m: string) => m === TIGERA_PLACEHOLDER || THEIRS.includes(m),
    clusterName: C,
    ownedByUs: false,
  };
  it.each([
    ['a stop in the status wins', { group: group(THEIRS), stopped: 'rewritten twice' }, 'StoppedByConflict'],
    ['no group', { group: undefined }, 'NotAdopted'],
    ['ours already', { group: group(OURS, adoptedGroupComment(C, G)), ownedByUs: true }, 'Done'],
    ['not Tigera’s', { group: group(['admin-host'], 'by hand') }, 'NotAdopted'],
    ['ours missing', { group: group([...THEIRS, 'k8s-prod-node-w1']) }, 'AddFortisyncMembers'],
    ['ours all in', { group: group([...THEIRS, ...OURS, 'admin-host']) }, 'DropTigeraMembers'],
  ] as const)('%s → %s', (_name, over, step) => {
    expect(adoptionPreview({ ...base, ...over }).step).toBe(step);
  });

  it('add lists only the members still missing; drop is the drain’s exact write', () => {
    expect(adoptionPreview({ ...base, group: group([...THEIRS, 'k8s-prod-node-w1']) }).add).toEqual([
      'k8s-prod-node-w2',
    ]);
    const drop = adoptionPreview({
      ...base,
      group: group(['admin-host', ...THEIRS, ...OURS, TIGERA_PLACEHOLDER]),
    });
    expect(drop.write).toEqual({
      members: ['admin-host', ...OURS],
      comment: adoptedGroupComment(C, G),
      removed: [...THEIRS, TIGERA_PLACEHOLDER],
    });
  });
});
