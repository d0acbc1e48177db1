import { Command } from 'commander';
import type { PlanOp } from '../../domain/model.js';
import { clusterView, readSnapshot } from './cluster.js';
import { action, addKubeFlags, defaultNamespace, readerFor, type KubeFlags } from './context.js';
import { PluginError } from './errors.js';
import { readDevices } from './live-devices.js';
import { applyManifests, manifestFiles, readManifests } from './manifests.js';
import { opRow } from './ops.js';
import { paint, parseFormat, table, withProgress, writeData, type Io } from './output.js';
import { deviceViews, plansOf } from './trace.js';
import type { DevicePlan } from './domain-adapter.js';
import { readTargets, targetViews, viewKey, type AnyView } from './target-views.js';
import { adoptionPlanRows, renderAdoptionPlan, type AdoptionPlanRow } from './adoption-report.js';
import { readTigeraAddresses } from './adoption-live.js';

export interface DevicePlanReport {
  /** The device's name, or `fortimanagertarget/NAME` for a FortiManagerTarget's ADOM. */
  device: string;
  /** Why the plan could not be computed (device unreadable, invalid spec…). */
  error?: string;
  next?: string;
  operations: (PlanOp & { alreadyPending: boolean })[];
  problems: { group: string; reason: string; message: string }[];
  /** spec.adoption: the next step of each listed group (ADR 0004), or why it could not be read. */
  adoption?: AdoptionPlanRow[] | { error: string };
}

export interface PlanReport {
  devices: DevicePlanReport[];
  /** The same for the FortiManagerTargets the manifests can change. */
  targets: DevicePlanReport[];
  ignored: string[];
}

function renderPlan(io: Io, r: PlanReport): string {
  let out = '';
  for (const d of [...r.devices, ...r.targets]) {
    if (d.error) {
      out += `${d.device}: ${paint(io, 'red', 'cannot plan')}: ${d.error}\n${d.next ? `  next: ${d.next}\n` : ''}\n`;
      continue;
    }
    const n = d.operations.length;
    out += `${paint(io, 'bold', d.device)}: ${n === 0 ? 'no change' : `${n} operation(s)`}\n`;
    if (n)
      out += table(
        ['op', 'family', 'object', 'detail', ''],
        d.operations.map((op) => [
          ...opRow(op),
          op.alreadyPending ? '(pending already, without these manifests)' : '',
        ]),
      );
    for (const p of d.problems)
      out += `${paint(io, 'yellow', 'problem')}: ${p.group}: ${p.reason}: ${p.message}\n`;
    if (d.adoption && 'error' in d.adoption)
      out += `${paint(io, 'yellow', 'adoption')}: ${d.adoption.error}\n`;
    else out += renderAdoptionPlan(io, d.adoption);
    out += '\n';
  }
  if (r.ignored.length)
    out += `ignored (not FortiGateEndpointMapping, FortiGateDevice, FortiManagerTarget or Namespace): ${r.ignored.join(', ')}\n`;
  return out;
}

type PlanFlags = KubeFlags & { filename: string[]; output?: string };

export function registerPlan(program: Command, io: Io): void {
  const cmd = new Command('plan')
    .description(
      "What applying these manifests would change on each FortiGate and FortiManager ADOM: the operator's own desired state and plan, against the live state (a read-only token or API key is enough), every operation listed",
    )
    .requiredOption('-f, --filename <path...>', 'manifest files or directories')
    .option('-o, --output <format>', 'json or yaml (default: tables)');
  addKubeFlags(cmd).action(
    action(io, async (flags: PlanFlags) => {
      const format = parseFormat(flags.output);
      const reader = readerFor(flags);
      const manifests = readManifests(manifestFiles(flags.filename));
      if (manifests.length === 0) throw new PluginError('the manifests hold no object');
      const live = await withProgress(io, 'reading the cluster…', () => readSnapshot(reader));
      const applied = applyManifests(live, manifests, defaultNamespace(reader, flags));
      // The device is read as it will be (a manifest may point it elsewhere); the baseline as it is.
      const [after, afterTargets] = await withProgress(io, 'reading the FortiGates and FortiManagers…', () =>
        Promise.all([
          readDevices(reader, deviceViews(applied.snapshot, applied.devices), { policies: false }),
          readTargets(reader, targetViews(applied.snapshot, applied.targets), { policies: false }),
        ]),
      );
      const views: AnyView[] = [...after, ...afterTargets];
      const afterPlans = plansOf(applied.snapshot, clusterView(applied.snapshot), views);
      const tigera = new Map<string, Awaited<ReturnType<typeof readTigeraAddresses>>>();
      for (const v of after)
        if (v.object && v.input && v.live && v.object.spec.adoption)
          tigera.set(v.name, await readTigeraAddresses(reader, v.object, v.input.spec));
      const beforePlans = plansOf(
        live,
        clusterView(live),
        views.filter((v) =>
          v.kind === 'FortiManagerTarget'
            ? live.targets?.some((t) => t.metadata.name === v.name)
            : live.devices.some((d) => d.metadata.name === v.name),
        ),
      );
      const report: PlanReport = {
        devices: after.map((v) => planReport(v, afterPlans, beforePlans, tigera.get(v.name))),
        targets: afterTargets.map((v) => planReport(v, afterPlans, beforePlans)),
        ignored: applied.ignored,
      };
      if (format === 'text') io.out.write(renderPlan(io, report));
      else writeData(io, format, report);
    }),
  );
  program.addCommand(cmd);
}

/** One device's or target's operations, each marked when it is pending without the manifests too. */
function planReport(
  v: AnyView,
  afterPlans: ReadonlyMap<string, DevicePlan>,
  beforePlans: ReadonlyMap<string, DevicePlan>,
  tigera?: Awaited<ReturnType<typeof readTigeraAddresses>>,
): DevicePlanReport {
  const key = viewKey(v);
  const p = afterPlans.get(key);
  if (!p) {
    const kind = v.kind ?? 'FortiGateDevice';
    const error = !v.object
      ? `no such ${kind} (in the cluster or the manifests)`
      : (v.specProblem ?? v.error ?? 'not read');
    return { device: key, error, ...(v.next ? { next: v.next } : {}), operations: [], problems: [] };
  }
  const before = new Set((beforePlans.get(key)?.plan.ops ?? []).map((op) => JSON.stringify(op)));
  return {
    device: key,
    operations: p.plan.ops.map((op) => ({ ...op, alreadyPending: before.has(JSON.stringify(op)) })),
    problems: [...p.plan.problems].map(([group, pr]) => ({ group, ...pr })),
    ...(tigera && v.object && v.live && v.kind !== 'FortiManagerTarget'
      ? {
          adoption:
            tigera instanceof Set
              ? adoptionPlanRows({ ...v.object, kind: 'FortiGateDevice' }, p.desired, v.live.observed, tigera)
              : tigera,
        }
      : {}),
  };
}
