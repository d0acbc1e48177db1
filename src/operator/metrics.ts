import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RequestEvent } from '../fortigate/client.js';

/** Firewall API request latency (FortiOS REST and FortiManager JSON-RPC alike). */
export const requestLatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Fine below 1 s: the bench reads the operator's own propagation p50/p99 from these (issue 19). */
const propagationBuckets = [
  0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1,
  1.5, 2.5, 5, 10, 30,
];

/** fortisync's own series, beside the controller-runtime and workqueue ones. */
export class OperatorMetrics {
  readonly fortiosRequests: Counter<'device' | 'method' | 'table' | 'outcome'>;
  readonly fortiosLatency: Histogram<'device' | 'method' | 'table'>;
  readonly managedObjects: Gauge<'device' | 'kind'>;
  readonly deviceConnected: Gauge<'device'>;
  readonly mappingMembers: Gauge<'namespace' | 'mapping'>;
  readonly informerLastEvent: Gauge<'informer'>;
  readonly leader: Gauge;
  readonly propagation: Histogram<'device'>;
  readonly syncWrites: Counter<'device'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.fortiosRequests = new Counter({
      name: 'fortisync_fortios_requests_total',
      help: 'FortiOS REST API requests by device, method, table and outcome (success or error kind).',
      labelNames: ['device', 'method', 'table', 'outcome'],
      registers,
    });
    this.fortiosLatency = new Histogram({
      name: 'fortisync_fortios_request_duration_seconds',
      help: 'FortiOS REST API request latency.',
      labelNames: ['device', 'method', 'table'],
      buckets: requestLatencyBuckets,
      registers,
    });
    this.managedObjects = new Gauge({
      name: 'fortisync_managed_objects',
      help: 'Objects fortisync owns (addresses) or writes (groups) per device.',
      labelNames: ['device', 'kind'],
      registers,
    });
    this.deviceConnected = new Gauge({
      name: 'fortisync_device_connected',
      help: '1 when the last request to the device succeeded.',
      labelNames: ['device'],
      registers,
    });
    this.mappingMembers = new Gauge({
      name: 'fortisync_mapping_members',
      help: 'Addresses each mapping puts in its group.',
      labelNames: ['namespace', 'mapping'],
      registers,
    });
    this.informerLastEvent = new Gauge({
      name: 'fortisync_informer_last_event_age_seconds',
      help: "Seconds since each informer's last watch event (a stalled watch grows without bound).",
      labelNames: ['informer'],
      registers,
    });
    this.leader = new Gauge({
      name: 'fortisync_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    });
    this.propagation = new Histogram({
      name: 'fortisync_propagation_latency_seconds',
      help: "From a pod watch event's arrival in the operator to the device's acknowledgement of the group writes that applied it (on FortiManager, to the end of the sync's write phase); one observation per event (syncs that wrote nothing are not counted).",
      labelNames: ['device'],
      buckets: propagationBuckets,
      registers,
    });
    this.syncWrites = new Counter({
      name: 'fortisync_sync_writes_total',
      help: 'FortiOS writes performed by device syncs.',
      labelNames: ['device'],
      registers,
    });
  }

  requestHook(device: string): (e: RequestEvent) => void {
    return (e) => {
      this.fortiosRequests.inc({ device, method: e.method, table: e.table, outcome: e.outcome });
      this.fortiosLatency.observe({ device, method: e.method, table: e.table }, e.durationMs / 1000);
    };
  }
}
