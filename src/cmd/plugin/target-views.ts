import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { TargetKind } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { FORTIMANAGER_TARGET_KIND, type FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import {
  checkFortiManagerTargetSpec,
  formatProblems,
  type ValidFortiManagerTargetSpec,
} from '../../api/v1alpha1/validation.js';
import type { TargetPolicy } from '../../domain/selection.js';
import type { ClusterSnapshot } from './cluster.js';
import { describeDeviceError } from './device-access.js';
import { PluginError } from './errors.js';
import type { KubeReader } from './kube.js';
import type { DeviceView } from './live-devices.js';
import { readLiveTarget } from './target-access.js';

/** A FortiManagerTarget's ADOM as the plugin saw it. */
export type TargetView = DeviceView<FortiManagerTarget, ValidFortiManagerTargetSpec> & {
  kind: typeof FORTIMANAGER_TARGET_KIND;
};

/** Either kind, as trace, plan and status read them. */
export type AnyView = DeviceView<FortiGateDevice | FortiManagerTarget, TargetPolicy>;

/**
 * How output names a target and how views are keyed: a device by its name (as before targets
 * existed), a target `fortimanagertarget/NAME` (kubectl's spelling), so the two kinds never collide.
 */
export function viewKey(v: { name: string; kind?: TargetKind | undefined }): string {
  return v.kind === FORTIMANAGER_TARGET_KIND ? `fortimanagertarget/${v.name}` : v.name;
}

/** The target's validated spec, or the problem that keeps the operator from using it. */
export function targetInput(
  t: FortiManagerTarget,
): { input: NonNullable<TargetView['input']> } | { problem: string } {
  const check = checkFortiManagerTargetSpec(t.spec);
  return check.ok
    ? { input: { name: t.metadata.name, kind: FORTIMANAGER_TARGET_KIND, spec: check.spec } }
    : { problem: formatProblems(check.problems) };
}

/** Views for every target named (missing ones too), with validated specs. */
export function targetViews(snapshot: ClusterSnapshot, names: Iterable<string>): TargetView[] {
  return [...new Set(names)].sort().map((name) => {
    const object = snapshot.targets?.find((t) => t.metadata.name === name);
    if (!object) return { name, kind: FORTIMANAGER_TARGET_KIND };
    const checked = targetInput(object);
    return 'input' in checked
      ? { name, kind: FORTIMANAGER_TARGET_KIND, object, input: checked.input }
      : { name, kind: FORTIMANAGER_TARGET_KIND, object, specProblem: checked.problem };
  });
}

/** The targets the mappings name. */
export function targetNames(snapshot: ClusterSnapshot): string[] {
  return snapshot.mappings.flatMap((m) => m.spec?.fortiManagerTargets ?? []);
}

/** Reads each target's ADOM live, side by side; a target that fails is reported, not fatal. */
export async function readTargets(
  reader: KubeReader,
  views: TargetView[],
  opts: { policies: boolean },
): Promise<TargetView[]> {
  await Promise.all(
    views.map(async (v) => {
      if (!v.object || !v.input) return;
      try {
        v.live = await readLiveTarget(reader, v.object, v.input.spec, opts);
      } catch (err) {
        v.error = describeDeviceError(err);
        if (err instanceof PluginError && err.next) v.next = err.next;
      }
    }),
  );
  return views;
}
