import { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import type { FortiGateClient } from '../../fortigate/client.js';
import { addressTable, groupTable } from '../../fortigate/types.js';
import type { OrphanOp } from '../../inspect/orphans.js';
import { clusterView, readSnapshot } from './cluster.js';
import { action, addKubeFlags, readerFor, type KubeFlags } from './context.js';
import { deviceClient, deviceCredentials, describeDeviceError, fortiosNextStep } from './device-access.js';
import { mappingInputs, orphanPlan } from './domain-adapter.js';
import { PluginError } from './errors.js';
import { readDevices, type DeviceView } from './live-devices.js';
import type { KubeReader } from './kube.js';
import { opRow } from './ops.js';
import { paint, parseFormat, table, withProgress, writeData, type Io } from './output.js';
import { deviceViews } from './trace.js';

export interface DeviceOrphans {
  device: string;
  clusterName?: string;
  error?: string;
  next?: string;
  orphans: OrphanOp[];
  /** With --delete: what each removal answered, in order. */
  deleted?: { object: string; result: string }[];
}

/** The holder of the operator's Lease when it renewed it recently, else undefined (best effort). */
async function runningLeader(reader: KubeReader, namespace: string): Promise<string | undefined> {
  const lease = await reader.lease(namespace, 'fortisync-leader').catch(() => undefined);
  const renewed = lease?.spec?.renewTime as unknown as string | Date | undefined;
  const validMs = (lease?.spec?.leaseDurationSeconds ?? 15) * 1000;
  if (!lease?.spec?.holderIdentity || !renewed || Date.now() - new Date(renewed).getTime() > validMs)
    return undefined;
  return lease.spec.holderIdentity;
}

type OrphanFlags = KubeFlags & {
  operatorNamespace: string;
  device?: string;
  clusterName?: string;
  delete?: boolean;
  yes?: boolean;
  output?: string;
};

/** Performs one removal: our members leave a group (the member endpoint keeps the others), or an object goes. */
async function remove(client: FortiGateClient, op: OrphanOp): Promise<void> {
  if (op.op === 'deleteAddress') await client.delete(addressTable(op.family), op.name);
  else if (op.op === 'deleteGroup') await client.delete(groupTable(op.family), op.name);
  else if (op.members.length === 1 && op.members[0] === 'none')
    // Nothing else is left in the group and FortiOS refuses an empty group: the placeholder stays.
    await client.setMembers(groupTable(op.family), op.name, ['none']);
  else for (const m of op.removed) await client.removeMember(groupTable(op.family), op.name, m);
}

async function deleteOrphans(reader: KubeReader, view: DeviceView, report: DeviceOrphans): Promise<void> {
  const spec = view.input?.spec;
  if (!spec) return;
  const client = deviceClient(spec, await deviceCredentials(reader, spec));
  report.deleted = [];
  try {
    for (const op of report.orphans) {
      const object = `${op.op} ${op.family} ${op.name}`;
      try {
        await remove(client, op);
        report.deleted.push({ object, result: 'done' });
      } catch (err) {
        const next = fortiosNextStep(err);
        report.deleted.push({
          object,
          result: `failed: ${describeDeviceError(err)}${next ? ` (${next})` : ''}`,
        });
      }
    }
  } finally {
    client.close();
  }
}

async function confirmed(
  io: Io,
  count: number,
  devices: string[],
  yes: boolean | undefined,
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !io.err.isTTY)
    throw new PluginError(
      'refusing to delete without a terminal to confirm on',
      'look at the list first, then pass --yes',
    );
  const rl = createInterface({ input: process.stdin, output: io.err });
  try {
    const answer = await rl.question(
      `Delete these ${count} object(s) from ${devices.join(', ')}? Type "yes" to go on: `,
    );
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}

function render(io: Io, reports: readonly DeviceOrphans[]): string {
  let out = '';
  for (const r of reports) {
    if (r.error) {
      out += `${r.device}: ${paint(io, 'red', 'not read')}: ${r.error}\n${r.next ? `  next: ${r.next}\n` : ''}`;
      continue;
    }
    out += `${paint(io, 'bold', r.device)} (marker [fortisync:${r.clusterName ?? ''}]): `;
    out += r.orphans.length === 0 ? 'nothing left behind\n' : `${r.orphans.length} left behind\n`;
    if (r.orphans.length) out += table(['op', 'family', 'object', 'detail'], r.orphans.map(opRow));
    for (const d of r.deleted ?? [])
      out += `${d.object}: ${d.result === 'done' ? paint(io, 'green', 'done') : paint(io, 'red', d.result)}\n`;
  }
  return out;
}

export function registerOrphans(program: Command, io: Io): void {
  const cmd = new Command('orphans')
    .description(
      "Objects carrying this cluster's marker that no device or mapping wants any more (after an uninstall in the wrong order, a renamed cluster…); --delete removes them after a confirmation, with the device's token",
    )
    .option('--device <name>', 'only this FortiGateDevice')
    .option('--cluster-name <name>', "the marker to look for (default: each device's spec.clusterName)")
    .option('--delete', 'remove what is listed (asks first)')
    .option('--yes', 'do not ask (scripts)')
    .option(
      '--operator-namespace <ns>',
      'where the operator runs (to warn when it is running)',
      'fortisync-system',
    )
    .option('-o, --output <format>', 'json or yaml (default: tables)');
  addKubeFlags(cmd).action(
    action(io, async (flags: OrphanFlags) => {
      const format = parseFormat(flags.output);
      const reader = readerFor(flags);
      const snapshot = await withProgress(io, 'reading the cluster…', () => readSnapshot(reader));
      const names = flags.device ? [flags.device] : snapshot.devices.map((d) => d.metadata.name);
      const views = await withProgress(io, 'reading the FortiGates…', () =>
        readDevices(reader, deviceViews(snapshot, names), {
          policies: false,
          ...(flags.clusterName ? { clusterName: flags.clusterName } : {}),
        }),
      );
      const view = clusterView(snapshot);
      const inputs = mappingInputs(snapshot.mappings);
      const reports: DeviceOrphans[] = views.map((v) => {
        if (!v.input || !v.live)
          return {
            device: v.name,
            error: !v.object ? 'no such FortiGateDevice' : (v.specProblem ?? v.error ?? 'not read'),
            ...(v.next ? { next: v.next } : {}),
            orphans: [],
          };
        const clusterName = flags.clusterName ?? v.input.spec.clusterName;
        return {
          device: v.name,
          clusterName,
          orphans: orphanPlan(v.input, inputs, view, v.live.observed, clusterName),
        };
      });
      const total = reports.reduce((n, r) => n + r.orphans.length, 0);
      if (flags.delete && total > 0) {
        const leader = await runningLeader(reader, flags.operatorNamespace);
        if (leader)
          io.err.write(
            `note: the operator is running (leader ${leader}): it removes what its mappings no longer want by itself; deleting here is for what it no longer manages (another cluster name, a device deleted without clean-up)\n`,
          );
        if (!flags.yes) io.err.write(render(io, reports));
        const withOrphans = reports.filter((r) => r.orphans.length > 0);
        if (
          !(await confirmed(
            io,
            total,
            withOrphans.map((r) => r.device),
            flags.yes,
          ))
        ) {
          io.err.write('nothing deleted\n');
          return 1;
        }
        for (const r of withOrphans)
          await deleteOrphans(reader, views.find((v) => v.name === r.device) as DeviceView, r);
      }
      if (format === 'text') io.out.write(render(io, reports));
      else writeData(io, format, reports);
      const failed = reports.some((r) => r.error || (r.deleted ?? []).some((d) => d.result !== 'done'));
      return failed ? 1 : 0;
    }),
  );
  program.addCommand(cmd);
}
