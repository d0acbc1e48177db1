import { Gauge, type GaugeConfiguration, type Registry } from 'prom-client';
import type { FortiGateDevice } from '../api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import {
  conditionSamples,
  deviceLabels,
  epochSeconds,
  groupMemberSamples,
  mappingLabels,
  readySamples,
  type GroupState,
  type Sample,
} from './status-series.js';

/** Where the series come from; read at each scrape, never copied. */
export interface StatusMetricsSource {
  /**
   * Export only while true (the leader): replicas share the informer caches' content, and one
   * exporter keeps every series single, so alerts need no deduplication.
   */
  active(): boolean;
  mappings(): readonly FortiGateEndpointMapping[];
  devices(): readonly FortiGateDevice[];
  groups(): Iterable<GroupState>;
}

/** The CRD's default for spec.driftCheckIntervalSeconds. */
export const DEFAULT_DRIFT_CHECK_SECONDS = 300;

/**
 * Per-object health series users alert on (cert-manager's `_ready_status`, kube-state-metrics'
 * `_status_condition`, external-dns' `_last_sync_timestamp_seconds`), computed at scrape time from
 * the objects in the operator's caches, so nothing in the controllers has to keep them.
 *
 * Cardinality is bounded by the objects themselves: at most 3 ready series and one series per
 * exported condition type (6) per mapping and device, a few timestamps and settings each, and 3 series per group
 * fortisync writes on a device. Reasons come from a fixed vocabulary (docs/operate.md); messages
 * are never labels. Deleted objects disappear at the next scrape (each gauge is rebuilt).
 */
export function registerStatusMetrics(registry: Registry, source: StatusMetricsSource): void {
  gauge(
    registry,
    source,
    'fortisync_mapping_ready',
    'Ready condition of each mapping: 1 for its current status (True, False or Unknown).',
    ['namespace', 'mapping', 'status'],
    (s) => s.mappings().flatMap((m) => readySamples(m, mappingLabels(m))),
  );
  gauge(
    registry,
    source,
    'fortisync_mapping_condition',
    'Each condition of each mapping with its status and reason (value 1).',
    ['namespace', 'mapping', 'condition', 'status', 'reason'],
    (s) => s.mappings().flatMap((m) => conditionSamples(m, mappingLabels(m))),
  );
  gauge(
    registry,
    source,
    'fortisync_mapping_last_sync_timestamp_seconds',
    'When every device of the mapping last held its members (status.lastSyncTime).',
    ['namespace', 'mapping'],
    (s) => s.mappings().flatMap((m) => timestamp(m.status?.lastSyncTime, mappingLabels(m))),
  );
  gauge(
    registry,
    source,
    'fortisync_device_ready',
    'Ready condition of each device: 1 for its current status (True, False or Unknown).',
    ['device', 'status'],
    (s) => s.devices().flatMap((d) => readySamples(d, deviceLabels(d))),
  );
  gauge(
    registry,
    source,
    'fortisync_device_condition',
    'Each condition of each device with its status and reason (value 1).',
    ['device', 'condition', 'status', 'reason'],
    (s) => s.devices().flatMap((d) => conditionSamples(d, deviceLabels(d))),
  );
  gauge(
    registry,
    source,
    'fortisync_device_last_sync_timestamp_seconds',
    'When a sync last changed the device, or first succeeded (status.lastSyncTime); see the drift check for when it was last verified.',
    ['device'],
    (s) => s.devices().flatMap((d) => timestamp(d.status?.lastSyncTime, deviceLabels(d))),
  );
  gauge(
    registry,
    source,
    'fortisync_device_last_drift_check_timestamp_seconds',
    'When the device was last re-read and repaired (status.lastDriftCheckTime).',
    ['device'],
    (s) => s.devices().flatMap((d) => timestamp(d.status?.lastDriftCheckTime, deviceLabels(d))),
  );
  gauge(
    registry,
    source,
    'fortisync_device_drift_check_interval_seconds',
    'How often the device is re-read and repaired (spec.driftCheckIntervalSeconds).',
    ['device'],
    (s) =>
      s.devices().map((d) => ({
        labels: deviceLabels(d),
        value: d.spec?.driftCheckIntervalSeconds ?? DEFAULT_DRIFT_CHECK_SECONDS,
      })),
  );
  gauge(
    registry,
    source,
    'fortisync_group_members',
    "Members of each group fortisync writes, as last read or written: fortisync's own addresses and others' (left alone).",
    ['device', 'family', 'group', 'owner'],
    (s) => [...s.groups()].flatMap(groupMemberSamples),
  );
  gauge(
    registry,
    source,
    'fortisync_group_in_sync',
    'Whether the last sync left each group with exactly its desired members (1) or not (0).',
    ['device', 'family', 'group'],
    (s) =>
      [...s.groups()].map((g) => ({
        labels: { device: g.device, family: g.family, group: g.group },
        value: g.inSync ? 1 : 0,
      })),
  );
}

export function timestamp<L extends string>(
  time: string | undefined,
  labels: Record<L, string>,
): Sample<L>[] {
  const value = epochSeconds(time);
  return value === undefined ? [] : [{ labels, value }];
}

/**
 * A gauge whose samples are computed at each scrape and handed to the registry as they are, empty
 * unless `source` is active. prom-client's own gauge would hash every sample's labels into its
 * map and back again, a third of a scrape at the scale bench's 23,000 series
 * (bench/metrics-cost.ts); the samples here are unique by construction (one per object, status,
 * condition type or group), which is what that map would have ensured.
 */
export function gauge<L extends string, S extends Pick<StatusMetricsSource, 'active'>>(
  registry: Registry,
  source: S,
  name: string,
  help: string,
  labelNames: L[],
  samples: (source: S) => Iterable<Sample<L>>,
): void {
  new ScrapeGauge<L>({ name, help, labelNames, registers: [registry] }, () =>
    source.active() ? [...samples(source)] : [],
  );
}

class ScrapeGauge<L extends string> extends Gauge<L> {
  constructor(
    config: GaugeConfiguration<L>,
    private readonly current: () => Sample<L>[],
  ) {
    super(config);
  }

  override async get(): ReturnType<Gauge<L>['get']> {
    const empty = await super.get(); // name, help, type and aggregator as prom-client sets them
    return { ...empty, values: this.current() };
  }
}
