import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { DeviceInput } from '../../domain/desired.js';
import { describeDeviceError, readLiveDevice, type LiveDevice } from './device-access.js';
import { PluginError } from './errors.js';
import type { KubeReader } from './kube.js';

/** A device as the plugin saw it: its validated spec and live state, or why either is missing. */
export interface DeviceView {
  name: string;
  object?: FortiGateDevice;
  input?: DeviceInput;
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
