import type { DeviceSnapshot, DeviceState } from './model/device-state.js';
import type { JsonObject } from './model/json.js';
import type { SimTableName } from './model/tables.js';
import type { VdomConfig } from './model/vdom-config.js';

/** Inspecting and seeding the simulated configuration from tests and the control API. */
export interface SimulatorStateApi {
  snapshot(): DeviceSnapshot;
  /** Replaces the whole configuration (e.g. a snapshot taken earlier). */
  load(snapshot: DeviceSnapshot): void;
  list(table: SimTableName, vdom?: string): JsonObject[];
  get(table: SimTableName, name: string, vdom?: string): JsonObject | undefined;
  refCount(table: SimTableName, name: string, vdom?: string): number;
  revision(vdom?: string): string;
  /** Creates an entry with every check a POST makes; throws the CLI failure otherwise. */
  seed(table: SimTableName, entry: JsonObject, vdom?: string): void;
  /** Changes an entry with every check a PUT makes (a FortiManager install writes this way). */
  update(table: SimTableName, name: string, patch: JsonObject, vdom?: string): void;
  /** Deletes an entry with every check a DELETE makes (-23 while referenced). */
  remove(table: SimTableName, name: string, vdom?: string): void;
  vdoms(): string[];
}

export function createStateApi(
  current: () => DeviceState,
  load: (snapshot: DeviceSnapshot) => void,
  defaultVdom: string,
  changed: () => void,
): SimulatorStateApi {
  const vdomOf = (name = defaultVdom): VdomConfig => {
    const vdom = current().vdom(name);
    if (!vdom) throw new RangeError(`no VDOM ${name}`);
    return vdom;
  };
  return {
    snapshot: () => current().snapshot(),
    load: (snapshot) => {
      load(snapshot);
      changed();
    },
    list: (table, vdom) => structuredClone(vdomOf(vdom).entries(table)),
    get: (table, name, vdom) => {
      const entry = vdomOf(vdom).find(table, name);
      return entry && structuredClone(entry);
    },
    refCount: (table, name, vdom) => {
      const v = vdomOf(vdom);
      const entry = v.find(table, name);
      return entry ? v.refCount(table, entry) : 0;
    },
    revision: (vdom) => vdomOf(vdom).revision,
    seed: (table, entry, vdom) => {
      vdomOf(vdom).create(table, entry);
      changed();
    },
    update: (table, name, patch, vdom) => {
      if (vdomOf(vdom).update(table, name, patch).changed) changed();
    },
    remove: (table, name, vdom) => {
      vdomOf(vdom).remove(table, name);
      changed();
    },
    vdoms: () => [...current().vdoms.keys()],
  };
}
