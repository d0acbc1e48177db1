import { describe, expect, it } from '@jest/globals';
import type { ValidFortiManagerTargetSpec } from '../../../src/api/v1alpha1/validation.js';
import { PackageInstaller } from '../../../src/controllers/fortimanager/installer.js';
import { LockOnWrite } from '../../../src/controllers/fortimanager/workspace-writes.js';
import { targetStatus } from '../../../src/controllers/fortimanager/target-status.js';
import type { FortiOSApi } from '../../../src/controllers/device/fortios-api.js';
import type { TaskStatus, Usage } from '../../../src/fortimanager/index.js';

// ADR 0004 on FortiManager: the drain waits for the install that carries the add, and one sync's
// writes take the workspace lock once, only when something is written.

const KEY = 'IPv4/fortigate.web';
const spec = (policy: 'None' | 'Packages', packages = ['pkg-a', 'pkg-b']) =>
  ({
    install: { policy, packages: packages.map((name) => ({ name })), coalesceSeconds: 5 },
  }) as unknown as ValidFortiManagerTargetSpec;

function installer(usage: Usage[] | 'fails', succeeds = true) {
  let now = 1_000;
  let finished = (): void => undefined;
  const client = {
    installPackage: () => Promise.resolve(7),
    waitForTask: (): Promise<TaskStatus> =>
      Promise.resolve({
        id: 7,
        percent: 100,
        state: succeeds ? 'done' : 'error',
        numErrors: succeeds ? 0 : 1,
        numWarnings: 0,
        lines: [],
        finished: true,
        succeeded: succeeds,
      }),
    whereUsed: () => (usage === 'fails' ? Promise.reject(new Error('no')) : Promise.resolve(usage)),
  };
  const inst = new PackageInstaller(
    () => now,
    () => finished(),
  );
  /** Runs the due installs at `at` and waits for them to end. */
  const installAt = async (at: number, s: ValidFortiManagerTargetSpec) => {
    now = at;
    const done = new Promise<void>((resolve) => (finished = resolve));
    await inst.startDue(client, s);
    await done;
  };
  return { inst, client, installAt };
}

const usedBy = (...pkgs: string[]): Usage[] =>
  pkgs.map((pkg, i) => ({ attr: 'srcaddr', mappingName: 'firewall policy', mkey: i, pkg }));

describe('PackageInstaller.drainHold', () => {
  it('install policy None: never holds (the FMG admins install; ADR 0004 "As built")', () => {
    expect(installer([]).inst.drainHold(spec('None'), KEY, 500)).toBeUndefined();
  });

  it('holds until every listed package using the group finished an install started after the add', async () => {
    const { inst, client, installAt } = installer(usedBy('pkg-a'));
    await inst.noteChange(client, spec('Packages'), [KEY], new Map([[KEY, {}]]));
    const hold = inst.drainHold(spec('Packages'), KEY, 1_500);
    expect(hold).toContain('pkg-a');
    expect(hold).not.toContain('pkg-b'); // no policy of pkg-b uses the group
    await installAt(2_000, spec('Packages'));
    expect(inst.drainHold(spec('Packages'), KEY, 1_500)).toBeUndefined();
    // An add completed after that install started needs another one.
    expect(inst.drainHold(spec('Packages'), KEY, 2_001)).toContain('pkg-a');
  });

  it('asks for the install it waits for (after a restart nothing else would)', async () => {
    const { inst, client, installAt } = installer(usedBy('pkg-a'));
    await inst.noteChange(client, spec('Packages'), [KEY], new Map([[KEY, {}]]));
    await installAt(1_000, spec('Packages'));
    expect(inst.busy()).toBe(false);
    inst.drainHold(spec('Packages'), KEY, 50_000);
    expect(inst.busy()).toBe(true);
  });

  it('usage unknown (where-used failed or not asked yet): every listed package', () => {
    const { inst } = installer('fails');
    expect(inst.drainHold(spec('Packages'), KEY, 1_500)).toContain('pkg-a, pkg-b');
  });

  it('no listed package uses the group: nothing would install it, no hold', async () => {
    const { inst, client } = installer(usedBy('someone-elses-pkg'));
    await inst.noteChange(client, spec('Packages'), [KEY], new Map([[KEY, {}]]));
    expect(inst.drainHold(spec('Packages'), KEY, 1_500)).toBeUndefined();
  });

  it('a failed install keeps the hold and says so', async () => {
    const { inst, client, installAt } = installer(usedBy('pkg-a'), false);
    await inst.noteChange(client, spec('Packages'), [KEY], new Map([[KEY, {}]]));
    await installAt(2_000, spec('Packages'));
    expect(inst.drainHold(spec('Packages'), KEY, 1_500)).toContain('the last install of pkg-a failed');
  });
});

describe('LockOnWrite', () => {
  const calls: string[] = [];
  const objects = new Proxy(
    {},
    {
      get:
        (_t, name: string) =>
        (...args: unknown[]) => {
          calls.push(`${name} ${String(args[1] ?? '')}`);
          return Promise.resolve(name === 'list' ? [] : {});
        },
    },
  ) as unknown as FortiOSApi;

  it('reads never lock; every write awaits begin first', async () => {
    calls.length = 0;
    let begun = 0;
    const w = new LockOnWrite(objects, () => {
      begun++;
      calls.push('begin');
      return Promise.resolve();
    });
    await w.list('firewall/address');
    await w.get('firewall/addrgrp', 'g');
    expect(begun).toBe(0);
    await w.update('firewall/addrgrp', 'g', { comment: 'c' });
    await w.delete('firewall/address', 'a');
    expect(calls).toEqual(['list ', 'get g', 'begin', 'update g', 'begin', 'delete a']);
  });

  it('a refused lock is the write’s failure (nothing is sent)', async () => {
    calls.length = 0;
    const w = new LockOnWrite(objects, () => Promise.reject(new Error('ADOM locked by alice')));
    await expect(w.addMember('firewall/addrgrp', 'g', 'm')).rejects.toThrow('locked by alice');
    expect(calls).toEqual([]);
  });
});

describe('targetStatus: status.adoption', () => {
  const conflict = {
    groups: [
      { name: 'g', family: 'IPv4' as const, state: 'Conflict' as const, since: '2026-12-02T10:00:00Z' },
    ],
  };
  const status = (adoption: Parameters<typeof targetStatus>[0]['adoption'], previous = {}) =>
    targetStatus(
      { connected: true, groups: new Map(), ...(adoption !== undefined ? { adoption } : {}) },
      previous,
      1,
      0,
    ).adoption;

  it('a sync’s adoption status is written', () => expect(status(conflict)).toEqual(conflict));
  it('kept when a write has none (a stop survives until a sync says otherwise)', () =>
    expect(status(undefined, { adoption: conflict })).toEqual(conflict));
  it('null (the spec has no adoption): the field goes', () =>
    expect(status(null, { adoption: conflict })).toBeUndefined());
});
