import { DEVICE_KIND, type FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { EventRegarding } from '../../runtime/event-recorder.js';
import { objectRef } from '../resources.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';

/** Requests in flight to the device at once: the plan's concurrency and the client's sockets. */
export function concurrencyOf(spec: Pick<ValidDeviceSpec, 'maxConcurrentRequests'>): number {
  return spec.maxConcurrentRequests;
}

export function deviceRef(device: FortiGateDevice): EventRegarding {
  return objectRef(DEVICE_KIND, device);
}
