import { VdomConfig } from './vdom-config.js';
import type { ModelContext, VdomSnapshot } from './vdom-config.js';

export interface DeviceSnapshot {
  format: 'fortisync-simulator-state/v1';
  vdoms: VdomSnapshot[];
}

/** All VDOMs of the simulated device; replaced wholesale when a transaction commits. */
export class DeviceState {
  readonly vdoms: Map<string, VdomConfig>;

  constructor(vdoms: Iterable<VdomConfig>) {
    this.vdoms = new Map([...vdoms].map((v) => [v.name, v]));
  }

  static fresh(names: readonly string[], ctx: ModelContext): DeviceState {
    return new DeviceState(names.map((name) => new VdomConfig(name, ctx)));
  }

  static fromSnapshot(snapshot: DeviceSnapshot, names: readonly string[], ctx: ModelContext): DeviceState {
    const byName = new Map(snapshot.vdoms.map((v) => [v.name, v]));
    // VDOMs asked for on the command line but missing from the file start empty (built-ins only).
    const all = new Set([...names, ...byName.keys()]);
    return new DeviceState(
      [...all].map((name) => {
        const saved = byName.get(name);
        return saved ? VdomConfig.fromSnapshot(saved, ctx) : new VdomConfig(name, ctx);
      }),
    );
  }

  vdom(name: string): VdomConfig | undefined {
    return this.vdoms.get(name);
  }

  clone(): DeviceState {
    return new DeviceState([...this.vdoms.values()].map((v) => v.clone()));
  }

  snapshot(): DeviceSnapshot {
    return {
      format: 'fortisync-simulator-state/v1',
      vdoms: [...this.vdoms.values()].map((v) => v.snapshot()),
    };
  }
}
