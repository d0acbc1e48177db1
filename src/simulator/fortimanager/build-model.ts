import { randomUUID } from 'node:crypto';
import { Adom } from './adoms.js';
import type { GlobalWorkspaceMode } from './adoms.js';
import type { FmgModel, FmgSettings } from './model.js';
import type { AdomContext } from './objects.js';
import { SessionRegistry } from './sessions.js';
import { TaskRegistry } from './tasks.js';
import type { ManagedDevice } from './tasks.js';
import type { FortiManagerSimulatorOptions } from './types.js';

export type Version = [number, number, number];

export interface BuiltModel {
  model: FmgModel;
  /** Back to the start: fresh ADOMs, no sessions, tasks or searches, the start-up settings. */
  reset(): void;
}

/** The FMG state behind the JSON-RPC handlers, from the simulator's options. */
export function buildModel(
  options: FortiManagerSimulatorOptions,
  version: Version,
  devices: ReadonlyMap<string, ManagedDevice>,
  installFault: (pkg: string, device: string) => string | undefined,
): BuiltModel {
  const now = options.clock ?? Date.now;
  let oid = 100;
  let counter = 0;
  const startSettings = (): FmgSettings => ({
    workspaceMode: options.workspaceMode ?? ('disabled' as GlobalWorkspaceMode),
    lockPreempt: options.lockPreempt ?? false,
    installDurationMs: options.installDurationMs ?? 3_000,
  });
  const adomSpecs = [
    { name: 'global' },
    ...(options.adoms ?? ['root']).map((a) => (typeof a === 'string' ? { name: a } : a)),
  ];
  const freshAdoms = (): Map<string, Adom> =>
    new Map(
      adomSpecs.map((spec) => {
        const v = spec.version ? parseVersion(spec.version) : version;
        const ctx: AdomContext = {
          // ADOMs for FortiOS 7.2 and later accept empty groups.
          emptyGroupsAllowed: () => v[0] > 7 || (v[0] === 7 && v[1] >= 2),
          nextOid: () => ++oid,
          newUuid: randomUUID,
          now,
        };
        return [spec.name, new Adom(spec.name, ++oid, [v[0], v[1]], ctx)];
      }),
    );
  const model: FmgModel = {
    identity: {
      hostname: options.hostname ?? 'FMG-VM64',
      serial: options.serial ?? 'FMG-VM0000000001',
      version,
      build: options.build ?? 2650,
      platform: 'FortiManager-VM64',
    },
    settings: startSettings(),
    adoms: freshAdoms(),
    sessions: new SessionRegistry({
      admins: options.admins,
      idleTimeoutMs: options.idleTimeoutMs ?? 900_000,
      loginMax: options.loginMax ?? 32,
      now,
      onEnd: (s) => {
        for (const adom of model.adoms.values()) adom.sessionEnded(s);
      },
    }),
    tasks: new TaskRegistry({ now, device: (name) => devices.get(name), installFault }),
    devices: new Map(devices),
    now,
    nextWorkflowId: () => ++counter,
    whereUsed: new Map(),
    nextToken: () => ++counter,
  };
  return {
    model,
    reset: () => {
      model.sessions.clear();
      model.adoms = freshAdoms();
      model.tasks.clear();
      model.whereUsed.clear();
      // The handle hands out this very object: change it in place.
      Object.assign(model.settings, startSettings());
    },
  };
}

export function parseVersion(text: string): Version {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new RangeError(`not a FortiManager version: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
