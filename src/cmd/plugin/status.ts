import { Command } from 'commander';
import type { EventsV1Event, V1Lease } from '@kubernetes/client-node';
import type { Condition } from '../../api/v1alpha1/common.js';
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { clusterView, readSnapshot } from './cluster.js';
import { action, addKubeFlags, readerFor, type KubeFlags } from './context.js';
import { readDevices } from './live-devices.js';
import { age, byText, paint, parseFormat, table, withProgress, writeData, type Io } from './output.js';
import { PluginError } from './errors.js';
import { eventTime } from './kube.js';
import { deviceViews, plansOf } from './trace.js';
import { renderTargets, targetProblems, targetRow, type TargetStatusRow } from './target-status.js';
import { readTargets, targetViews, viewKey } from './target-views.js';
import { adoptionStatusReport, renderAdoptionStatus, type AdoptionStatusReport } from './adoption-report.js';

export interface DeviceStatusRow {
  name: string;
  ready: string;
  reason: string;
  message: string;
  version?: string;
  addresses?: number;
  groups?: number;
  lastSyncTime?: string;
  /** With --live: operations the operator's plan would perform now (0: in sync), or why unread. */
  drift?: { pendingOperations: number } | { error: string };
}

export interface MappingStatusRow {
  namespace: string;
  name: string;
  ready: string;
  reason: string;
  message: string;
  devices: string[];
  /** FortiManagerTargets the mapping names (spec.fortiManagerTargets). */
  targets: string[];
  group: string;
  type: string;
  members?: number;
  lastSyncTime?: string;
  deviceErrors: { device: string; error: string }[];
}

export interface StatusReport {
  devices: DeviceStatusRow[];
  /** FortiManagerTargets: ready, workspace mode and lock, installs. */
  targets: TargetStatusRow[];
  mappings: MappingStatusRow[];
  leader: { lease: string; holder?: string; renewTime?: string };
  events: { time?: string; object: string; reason: string; note: string }[];
  /** What could not be read (the leader's Lease, Events) with the user's permissions. */
  notes: string[];
  /** `status.adoption` of the devices that adopt Calico Enterprise's groups (ADR 0004). */
  adoption?: AdoptionStatusReport;
}

const ready = (conds: Condition[] | undefined): Condition | undefined =>
  conds?.find((c) => c.type === 'Ready');

export function deviceRow(d: FortiGateDevice): DeviceStatusRow {
  const c = ready(d.status?.conditions);
  const s = d.status;
  return {
    name: d.metadata.name,
    ready: c?.status ?? 'Unknown',
    reason: c?.reason ?? 'NotObserved',
    message: c?.message ?? 'the operator has not reported on this device (is it running?)',
    ...(s?.fortios?.version ? { version: s.fortios.version } : {}),
    ...(s?.managedAddresses !== undefined ? { addresses: s.managedAddresses } : {}),
    ...(s?.managedGroups !== undefined ? { groups: s.managedGroups } : {}),
    ...(s?.lastSyncTime ? { lastSyncTime: s.lastSyncTime } : {}),
  };
}

export function mappingRow(m: FortiGateEndpointMapping): MappingStatusRow {
  const c = ready(m.status?.conditions);
  return {
    namespace: m.metadata.namespace ?? '',
    name: m.metadata.name,
    ready: c?.status ?? 'Unknown',
    reason: c?.reason ?? 'NotObserved',
    message: c?.message ?? 'the operator has not reported on this mapping (is it running?)',
    devices: m.spec?.devices ?? [],
    targets: m.spec?.fortiManagerTargets ?? [],
    group: m.spec?.addressGroup ?? '',
    type: m.spec?.addressType ?? 'Node',
    ...(m.status?.members !== undefined ? { members: m.status.members } : {}),
    ...(m.status?.lastSyncTime ? { lastSyncTime: m.status.lastSyncTime } : {}),
    deviceErrors: (m.status?.devices ?? [])
      .filter((d) => d.lastError)
      .map((d) => ({ device: d.name, error: d.lastError as string })),
  };
}

function leaderOf(lease: V1Lease | undefined, name: string): StatusReport['leader'] {
  const renew = lease?.spec?.renewTime as unknown as string | Date | undefined;
  return {
    lease: name,
    ...(lease?.spec?.holderIdentity ? { holder: lease.spec.holderIdentity } : {}),
    ...(renew ? { renewTime: new Date(renew).toISOString() } : {}),
  };
}

function eventRow(e: EventsV1Event): StatusReport['events'][number] {
  const r = e.regarding;
  const t = eventTime(e);
  return {
    ...(t ? { time: new Date(t).toISOString() } : {}),
    object: `${r?.kind ?? ''} ${r?.namespace ? `${r.namespace}/` : ''}${r?.name ?? ''}`,
    reason: e.reason ?? '',
    note: e.note ?? '',
  };
}

function colourReady(io: Io, v: string): string {
  return paint(io, v === 'True' ? 'green' : v === 'False' ? 'red' : 'yellow', v);
}

function driftText(io: Io, d: DeviceStatusRow['drift']): string {
  if (!d) return '-';
  if ('error' in d) return paint(io, 'red', 'unreadable');
  return d.pendingOperations === 0
    ? paint(io, 'green', 'in sync')
    : paint(io, 'yellow', `${d.pendingOperations} op(s)`);
}

export function renderStatus(io: Io, s: StatusReport, now: number): string {
  let out = paint(io, 'bold', 'DEVICES') + '\n';
  out += s.devices.length
    ? table(
        ['name', 'ready', 'reason', 'version', 'addresses', 'groups', 'last sync', 'drift'],
        s.devices.map((d) => [
          d.name,
          colourReady(io, d.ready),
          d.reason,
          d.version ?? '-',
          String(d.addresses ?? '-'),
          String(d.groups ?? '-'),
          age(d.lastSyncTime, now),
          driftText(io, d.drift),
        ]),
      )
    : 'no FortiGateDevice\n';
  out += renderTargets(io, s.targets, now);
  out += '\n' + paint(io, 'bold', 'MAPPINGS') + '\n';
  out += s.mappings.length
    ? table(
        ['namespace', 'name', 'ready', 'reason', 'devices', 'group', 'type', 'members', 'last sync'],
        s.mappings.map((m) => [
          m.namespace,
          m.name,
          colourReady(io, m.ready),
          m.reason,
          [...m.devices, ...m.targets.map((t) => `fortimanagertarget/${t}`)].join(','),
          m.group,
          m.type,
          String(m.members ?? '-'),
          age(m.lastSyncTime, now),
        ]),
      )
    : 'no FortiGateEndpointMapping\n';
  out += renderAdoptionStatus(io, s.adoption, now);
  const notReady = [
    ...s.devices.filter((d) => d.ready !== 'True').map((d) => `device ${d.name}: ${d.reason}: ${d.message}`),
    ...s.mappings
      .filter((m) => m.ready !== 'True')
      .map((m) => `mapping ${m.namespace}/${m.name}: ${m.reason}: ${m.message}`),
    ...s.devices.flatMap((d) =>
      d.drift && 'error' in d.drift ? [`device ${d.name} not read: ${d.drift.error}`] : [],
    ),
    ...targetProblems(s.targets),
  ];
  if (notReady.length)
    out += '\n' + paint(io, 'bold', 'NOT READY') + '\n' + notReady.map((l) => `${l}\n`).join('');
  out += '\n' + paint(io, 'bold', 'LEADER') + '\n';
  out += s.leader.holder
    ? `${s.leader.holder} (lease ${s.leader.lease}, renewed ${age(s.leader.renewTime, now)})\n`
    : `none: lease ${s.leader.lease} ${paint(io, 'red', 'has no holder')} (is the operator running? see --operator-namespace)\n`;
  out += '\n' + paint(io, 'bold', 'RECENT WARNINGS') + '\n';
  out += s.events.length
    ? table(
        ['age', 'object', 'reason', 'message'],
        s.events.map((e) => [age(e.time, now), e.object, e.reason, e.note]),
      )
    : 'none\n';
  if (s.notes.length) out += '\n' + s.notes.map((n) => `note: ${n}\n`).join('');
  return out;
}

type StatusFlags = KubeFlags & { output?: string; live?: boolean; operatorNamespace: string; events: string };

export function registerStatus(program: Command, io: Io): void {
  const cmd = new Command('status')
    .description(
      'Devices, FortiManager targets and mappings at a glance: ready and why, versions, managed objects, members, last sync, workspace mode, who holds an ADOM lock, the latest install per package, the leader, the latest warnings; --live also reads every device and ADOM and counts what the operator still has to do',
    )
    .option('-o, --output <format>', 'json or yaml (default: tables)')
    .option(
      '--live',
      "read every device (with the Secret it references) and compare with the operator's plan",
    )
    .option('--operator-namespace <ns>', 'where the operator runs (its leader Lease)', 'fortisync-system')
    .option('--events <n>', 'how many recent warnings to show', '10');
  addKubeFlags(cmd).action(
    action(io, async (flags: StatusFlags) => {
      const format = parseFormat(flags.output);
      const reader = readerFor(flags);
      const notes: string[] = [];
      // The leader and the Events are extras: a user who may not read them still gets the rest.
      const optional = <T>(p: Promise<T>, fallback: T): Promise<T> =>
        p.catch((err: unknown) => {
          if (!(err instanceof PluginError)) throw err;
          notes.push(err.message);
          return fallback;
        });
      const [devices, targets, mappings, lease, events] = await withProgress(io, 'reading the cluster…', () =>
        Promise.all([
          reader.devices(),
          optional(reader.targets(), []),
          reader.mappings(),
          optional(reader.lease(flags.operatorNamespace, 'fortisync-leader'), undefined),
          optional(reader.events(['FortiGateDevice', 'FortiGateEndpointMapping', 'FortiManagerTarget']), []),
        ]),
      );
      const report: StatusReport = {
        devices: devices.map(deviceRow).sort((a, b) => byText(a.name, b.name)),
        targets: targets.map(targetRow).sort((a, b) => byText(a.name, b.name)),
        mappings: mappings
          .map(mappingRow)
          .sort((a, b) => byText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`)),
        leader: leaderOf(lease, `${flags.operatorNamespace}/fortisync-leader`),
        events: events
          .filter((e) => e.type === 'Warning')
          .slice(0, Number(flags.events))
          .map(eventRow),
        notes,
      };
      const adoption = adoptionStatusReport(devices.map((d) => ({ ...d, kind: 'FortiGateDevice' })));
      if (adoption) report.adoption = adoption;
      if (flags.live) await addDrift(io, reader, report);
      if (format === 'text') io.out.write(renderStatus(io, report, Date.now()));
      else writeData(io, format, report);
    }),
  );
  program.addCommand(cmd);
}

async function addDrift(io: Io, reader: ReturnType<typeof readerFor>, report: StatusReport): Promise<void> {
  const snapshot = await withProgress(io, 'reading the cluster…', () => readSnapshot(reader));
  const [views, targets] = await withProgress(io, 'reading the FortiGates and FortiManagers…', () =>
    Promise.all([
      readDevices(
        reader,
        deviceViews(
          snapshot,
          snapshot.devices.map((d) => d.metadata.name),
        ),
        { policies: false },
      ),
      readTargets(
        reader,
        targetViews(
          snapshot,
          (snapshot.targets ?? []).map((t) => t.metadata.name),
        ),
        { policies: false },
      ),
    ]),
  );
  const plans = plansOf(snapshot, clusterView(snapshot), [...views, ...targets]);
  for (const row of report.devices) {
    const v = views.find((x) => x.name === row.name);
    const p = plans.get(row.name);
    row.drift = p
      ? { pendingOperations: p.plan.ops.length }
      : { error: v?.specProblem ?? v?.error ?? 'not read' };
  }
  for (const row of report.targets) {
    const v = targets.find((x) => x.name === row.name);
    const p = v && plans.get(viewKey(v));
    row.drift = p
      ? { pendingOperations: p.plan.ops.length }
      : { error: v?.specProblem ?? v?.error ?? 'not read' };
  }
}
