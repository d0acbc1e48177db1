import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { TargetKind } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import type { DeviceInput } from '../../domain/desired.js';
import type { TargetPolicy } from '../../domain/selection.js';
import { describeDeviceError, readLiveDevice, type LiveDevice } from './device-access.js';
import { PluginError } from './errors.js';
import type { KubeReader } from './kube.js';

/**
 * A device (or, with `kind`, a FortiManagerTarget's ADOM) as the plugin saw it: its validated spec
 * and live state, or why either is missing.
 */
export interface DeviceView<O = FortiGateDevice, S extends TargetPolicy = ValidDeviceSpec> {
  name: string;
  /** Absent: a FortiGateDevice. */
  kind?: TargetKind;
  object?: O;
  input?: DeviceInput<S>;
  specProblem?: string;
  live?: LiveDevice;
  /** Why the device could not be read live, and what to do. */
  error?: string;
  next?: string;
}

/** Reads each named device live, side by side; a device that fails is reported, not fatal. */
export async function readDevices(
  reader: KubeReader,
  views: DeviceView[],
  opts: { policies: boolean; clusterName?: string },
): Promise<DeviceView[]> {
  await Promise.all(
    views.map(async (v) => {
      if (!v.object || !v.input) return;
      try {
        v.live = await readLiveDevice(reader, v.object, v.input.spec, opts);
      } catch (err) {
        v.error = describeDeviceError(err);
        if (err instanceof PluginError && err.next) v.next = err.next;
      }
    }),
  );
  return views;
}
