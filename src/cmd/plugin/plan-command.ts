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
import { adoptionPlanRows, renderAdoptionPlan, type AdoptionPlanRow } from './adoption-report.js';
import { readTigeraAddresses } from './adoption-live.js';

export interface DevicePlanReport {
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
  ignored: string[];
}

function renderPlan(io: Io, r: PlanReport): string {
  let out = '';
  for (const d of r.devices) {
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
    out += `ignored (not FortiGateEndpointMapping, FortiGateDevice or Namespace): ${r.ignored.join(', ')}\n`;
  return out;
}

type PlanFlags = KubeFlags & { filename: string[]; output?: string };

export function registerPlan(program: Command, io: Io): void {
  const cmd = new Command('plan')
    .description(
      "What applying these manifests would change on each FortiGate: the operator's own desired state and plan, against the live device state (a read-only token is enough), every operation listed",
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
      const after = await withProgress(io, 'reading the FortiGates…', () =>
        readDevices(reader, deviceViews(applied.snapshot, applied.devices), { policies: false }),
      );
      const afterPlans = plansOf(applied.snapshot, clusterView(applied.snapshot), after);
      const tigera = new Map<string, Awaited<ReturnType<typeof readTigeraAddresses>>>();
      for (const v of after)
        if (v.object && v.input && v.live && v.object.spec.adoption)
          tigera.set(v.name, await readTigeraAddresses(reader, v.object, v.input.spec));
      const beforePlans = plansOf(
        live,
        clusterView(live),
        after.filter((v) => live.devices.some((d) => d.metadata.name === v.name)),
      );
      const report: PlanReport = {
        devices: after.map((v) => {
          const p = afterPlans.get(v.name);
          if (!p) {
            const error = !v.object
              ? 'no such FortiGateDevice (in the cluster or the manifests)'
              : (v.specProblem ?? v.error ?? 'not read');
            return {
              device: v.name,
              error,
              ...(v.next ? { next: v.next } : {}),
              operations: [],
              problems: [],
            };
          }
          const before = new Set((beforePlans.get(v.name)?.plan.ops ?? []).map((op) => JSON.stringify(op)));
          const t = tigera.get(v.name);
          return {
            device: v.name,
            operations: p.plan.ops.map((op) => ({ ...op, alreadyPending: before.has(JSON.stringify(op)) })),
            problems: [...p.plan.problems].map(([group, pr]) => ({ group, ...pr })),
            ...(t && v.object && v.live
              ? {
                  adoption:
                    t instanceof Set
                      ? adoptionPlanRows(
                          { ...v.object, kind: 'FortiGateDevice' },
                          p.desired,
                          v.live.observed,
                          t,
                        )
                      : t,
                }
              : {}),
          };
        }),
        ignored: applied.ignored,
      };
      if (format === 'text') io.out.write(renderPlan(io, report));
      else writeData(io, format, report);
    }),
  );
  program.addCommand(cmd);
}
