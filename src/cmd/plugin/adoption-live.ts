import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { ValidDeviceSpec } from '../../api/v1alpha1/validation.js';
import { isTigeraComment, TIGERA_FILTER_TEXT } from '../../domain/adoption.js';
import { addressKey } from '../../domain/model.js';
import { addressTable } from '../../fortigate/types.js';
import { deviceClient, deviceCredentials, describeDeviceError } from './device-access.js';
import type { KubeReader } from './kube.js';

/**
 * The addresses Calico Enterprise's controller made on a device (keys `family/name`): one filtered
 * list per family, read only for a device with `spec.adoption`, after its main read succeeded (so
 * a refused token is not tried twice).
 */
export async function readTigeraAddresses(
  reader: KubeReader,
  device: FortiGateDevice,
  spec: ValidDeviceSpec,
): Promise<Set<string> | { error: string }> {
  let client: ReturnType<typeof deviceClient> | undefined;
  try {
    client = deviceClient(spec, await deviceCredentials(reader, spec));
    const found = new Set<string>();
    for (const family of ['IPv4', 'IPv6'] as const) {
      const entries = await client.list(addressTable(family), {
        filter: [[{ field: 'comment', op: '=@', value: TIGERA_FILTER_TEXT }]],
        format: ['name', 'comment'],
      });
      for (const a of entries) if (isTigeraComment(a.comment)) found.add(addressKey(family, a.name));
    }
    return found;
  } catch (err) {
    return {
      error: `FortiGateDevice ${device.metadata.name}: Calico Enterprise addresses not read: ${describeDeviceError(err)}`,
    };
  } finally {
    client?.close();
  }
}
