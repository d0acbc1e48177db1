import type { Registry } from 'prom-client';
import type { FortiManagerTarget } from '../api/v1alpha1/fortimanager-target.js';
import { DEFAULT_DRIFT_CHECK_SECONDS, gauge, timestamp } from './status-metrics.js';
import {
  conditionSamples,
  epochSeconds,
  readySamples,
  type GroupState,
  type Sample,
} from './status-series.js';

/** Where the FortiManagerTarget series come from; read at each scrape (see StatusMetricsSource). */
export interface TargetMetricsSource {
  active(): boolean;
  targets(): readonly FortiManagerTarget[];
  /** The groups each target session writes (`device` is the target's name). */
  groups(): Iterable<GroupState>;
}

type TargetLabel = 'target';

const targetLabels = (t: FortiManagerTarget): Record<TargetLabel, string> => ({ target: t.metadata.name });

/** The latest install of each package: failed (1) or done (0); running ones have no series yet. */
export function installFailedSamples(t: FortiManagerTarget): Sample<TargetLabel | 'package'>[] {
  return (t.status?.installs ?? [])
    .filter((r) => r.state === 'done' || r.state === 'error')
    .map((r) => ({
      labels: { target: t.metadata.name, package: r.package },
      value: r.state === 'error' ? 1 : 0,
    }));
}

function installEndSamples(t: FortiManagerTarget): Sample<TargetLabel | 'package'>[] {
  return (t.status?.installs ?? []).flatMap((r) => {
    const value = epochSeconds(r.endTime);
    return value === undefined ? [] : [{ labels: { target: t.metadata.name, package: r.package }, value }];
  });
}

function managedSamples(t: FortiManagerTarget): Sample<TargetLabel | 'kind'>[] {
  const s = t.status;
  if (s?.managedAddresses === undefined) return [];
  return [
    { labels: { target: t.metadata.name, kind: 'address' }, value: s.managedAddresses },
    { labels: { target: t.metadata.name, kind: 'group' }, value: s.managedGroups ?? 0 },
  ];
}

function groupSamples(g: GroupState): Sample<TargetLabel | 'family' | 'group' | 'owner'>[] {
  const labels = { target: g.device, family: g.family, group: g.group };
  return [
    { labels: { ...labels, owner: 'fortisync' }, value: g.ownMembers },
    { labels: { ...labels, owner: 'other' }, value: g.otherMembers },
  ];
}

/**
 * The FortiGateDevice health series for FortiManagerTargets (`fortisync_fortimanager_*`, label
 * `target`): ready, conditions (with Installed: InstallFailed, NotUsedByPackage…, and Synced's
 * ADOMLocked), sync and drift times, the outcome of each package's latest install, managed objects
 * and the groups written. Same rules as registerStatusMetrics: computed from the caches at scrape
 * time, leader only, bounded by the objects (packages come from the spec's install list).
 */
export function registerTargetStatusMetrics(registry: Registry, source: TargetMetricsSource): void {
  const each =
    <L extends string>(f: (t: FortiManagerTarget) => Sample<L>[]) =>
    (s: TargetMetricsSource) =>
      s.targets().flatMap(f);
  gauge(
    registry,
    source,
    'fortisync_fortimanager_ready',
    'Ready condition of each FortiManagerTarget: 1 for its current status (True, False or Unknown).',
    ['target', 'status'],
    each((t) => readySamples(t, targetLabels(t))),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_condition',
    'Each condition of each FortiManagerTarget with its status and reason (value 1).',
    ['target', 'condition', 'status', 'reason'],
    each((t) => conditionSamples(t, targetLabels(t))),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_last_sync_timestamp_seconds',
    'When a sync last changed the ADOM, or first succeeded (status.lastSyncTime).',
    ['target'],
    each((t) => timestamp(t.status?.lastSyncTime, targetLabels(t))),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_last_drift_check_timestamp_seconds',
    'When the ADOM was last re-read and repaired (status.lastDriftCheckTime).',
    ['target'],
    each((t) => timestamp(t.status?.lastDriftCheckTime, targetLabels(t))),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_drift_check_interval_seconds',
    'How often the ADOM is re-read and repaired (spec.driftCheckIntervalSeconds).',
    ['target'],
    each((t) => [
      { labels: targetLabels(t), value: t.spec?.driftCheckIntervalSeconds ?? DEFAULT_DRIFT_CHECK_SECONDS },
    ]),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_managed_objects',
    'Objects fortisync owns (addresses) or writes (groups) in each target ADOM.',
    ['target', 'kind'],
    each(managedSamples),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_install_failed',
    "Whether each package's latest finished install failed (1) or succeeded (0) (status.installs).",
    ['target', 'package'],
    each(installFailedSamples),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_last_install_timestamp_seconds',
    "When each package's latest install ended (status.installs[].endTime).",
    ['target', 'package'],
    each(installEndSamples),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_group_members',
    "Members of each group fortisync writes in the ADOM: fortisync's own addresses and others'.",
    ['target', 'family', 'group', 'owner'],
    (s) => [...s.groups()].flatMap(groupSamples),
  );
  gauge(
    registry,
    source,
    'fortisync_fortimanager_group_in_sync',
    'Whether the last sync left each ADOM group with exactly its desired members (1) or not (0).',
    ['target', 'family', 'group'],
    (s) =>
      [...s.groups()].map((g) => ({
        labels: { target: g.device, family: g.family, group: g.group },
        value: g.inSync ? 1 : 0,
      })),
  );
}
