import { GROUP, VERSION } from '../api/v1alpha1/common.js';
import { DEVICE_PLURAL } from '../api/v1alpha1/fortigate-device.js';
import { MAPPING_PLURAL } from '../api/v1alpha1/fortigate-endpoint-mapping.js';

export const DEVICE_GVP = { group: GROUP, version: VERSION, plural: DEVICE_PLURAL } as const;
export const MAPPING_GVP = { group: GROUP, version: VERSION, plural: MAPPING_PLURAL } as const;

/** Held by a mapping until its members left every device; by a device until its objects are gone. */
export const CLEANUP_FINALIZER = 'fortisync.io/cleanup';

export const mappingKeyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
