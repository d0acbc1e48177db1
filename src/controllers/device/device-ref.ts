import {
  DEFAULT_MAX_CONCURRENT_REQUESTS,
  type FortiGateDevice,
  type FortiGateDeviceSpec,
} from '../../api/v1alpha1/fortigate-device.js';

/** Requests in flight to the device at once: the plan's concurrency and the client's sockets. */
export function concurrencyOf(spec: FortiGateDeviceSpec): number {
  return spec.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS;
}

export function deviceRef(device: FortiGateDevice) {
  return {
    apiVersion: 'fortisync.io/v1alpha1',
    kind: 'FortiGateDevice',
    name: device.metadata.name,
    ...(device.metadata.uid ? { uid: device.metadata.uid } : {}),
  };
}
