/**
 * The one place `kubectl fortisync` calls the operator's decisions: validation, the desired state
 * and the plan, exactly as the device controller calls them, so what the plugin shows is what the
 * operator does.
 */
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { checkDeviceSpec, checkMappingSpec, formatProblems } from '../../api/v1alpha1/validation.js';
import { mappingInputs } from '../../controllers/device/sync.js';
import {
  desiredDeviceState,
  type ClusterView,
  type DeviceInput,
  type MappingInput,
} from '../../domain/desired.js';
import type { DesiredDeviceState, ObservedDeviceState, Plan } from '../../domain/model.js';
import { plan, planOptions } from '../../domain/plan.js';
import { foreignGroups } from '../../domain/tenancy.js';
import type { TargetPolicy } from '../../domain/selection.js';
import { orphanOps, type OrphanOp } from '../../inspect/orphans.js';

export {
  accessProblem,
  isActivePod,
  mappingSelectsPod,
  namingScope,
  nodeAddress,
} from '../../domain/desired.js';
export { nodeAddressName, podAddressName } from '../../domain/naming.js';
export { canonicalIp, familyOfIp, groupKey } from '../../domain/model.js';
export { mappingInputs };

/** The device's validated spec, or the problem that keeps the operator from using it. */
export function deviceInput(d: FortiGateDevice): { input: DeviceInput } | { problem: string } {
  const check = checkDeviceSpec(d.spec);
  return check.ok
    ? { input: { name: d.metadata.name, spec: check.spec } }
    : { problem: formatProblems(check.problems) };
}

/** Why the operator ignores a mapping's spec, when it does. */
export function mappingSpecProblem(m: FortiGateEndpointMapping): string | undefined {
  const check = checkMappingSpec(m.spec);
  return check.ok ? undefined : formatProblems(check.problems);
}

export interface DevicePlan {
  desired: DesiredDeviceState;
  plan: Plan;
}

/** What the device should hold and the operations that get it there from what it holds now. */
export function devicePlan(
  device: DeviceInput<TargetPolicy>,
  mappings: readonly MappingInput[],
  view: ClusterView,
  observed: ObservedDeviceState,
): DevicePlan {
  // As the operator after a restart: groups of others refused unless named, no frozen memory.
  const desired = desiredDeviceState(device, [...mappings], view, undefined, {
    foreignGroup: foreignGroups(observed, device.spec.clusterName),
  });
  return { desired, plan: plan(desired, observed, planOptions(device.spec)) };
}

/**
 * The removals nothing in the cluster wants, under `clusterName`'s marker. Another cluster name
 * than the device's (a renamed cluster) wants nothing: everything carrying that marker is left over.
 */
export function orphanPlan(
  device: DeviceInput,
  mappings: readonly MappingInput[],
  view: ClusterView,
  observed: ObservedDeviceState,
  clusterName: string,
): OrphanOp[] {
  const desired: DesiredDeviceState =
    clusterName === device.spec.clusterName
      ? desiredDeviceState(device, [...mappings], view, undefined, {
          foreignGroup: foreignGroups(observed, device.spec.clusterName),
        })
      : { addresses: new Map(), groups: new Map(), releasing: new Map() };
  return orphanOps(plan(desired, observed, { ...planOptions(device.spec), clusterName }), desired);
}
