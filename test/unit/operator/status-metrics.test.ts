import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import type { Condition } from '../../../src/api/v1alpha1/common.js';
import { conditionsAt } from '../../support/conditions.js';
import { DeviceSessions } from '../../../src/controllers/device/sync-state.js';
import type { ObservedDeviceState } from '../../../src/domain/model.js';
import { groupStates } from '../../../src/operator/group-states.js';
import { registerStatusMetrics, type StatusMetricsSource } from '../../../src/operator/status-metrics.js';
import { conditionSamples, readySamples, type GroupState } from '../../../src/operator/status-series.js';

const T = '2026-03-01T10:00:00Z';
const cond = conditionsAt(T);

function mapping(name: string, conditions: Condition[], lastSyncTime?: string): FortiGateEndpointMapping {
  return {
    metadata: { name, namespace: 'shop' },
    spec: { devices: ['fw1'], addressGroup: 'G', podSelector: {} },
    status: { conditions, ...(lastSyncTime ? { lastSyncTime } : {}) },
  } as FortiGateEndpointMapping;
}

function device(name: string, conditions: Condition[], lastSyncTime?: string): FortiGateDevice {
  return {
    metadata: { name },
    spec: {},
    status: { conditions, ...(lastSyncTime ? { lastSyncTime } : {}) },
  } as unknown as FortiGateDevice;
}

async function scrape(source: StatusMetricsSource): Promise<string> {
  const registry = new Registry();
  registerStatusMetrics(registry, source);
  return registry.metrics();
}

describe('status series', () => {
  it.each([
    ['True', [1, 0, 0]],
    ['False', [0, 1, 0]],
    ['Unknown', [0, 0, 1]],
  ] as const)('Ready=%s gives one series per status, 1 for the current one', (status, values) => {
    const samples = readySamples(mapping('a', [cond('Ready', status, 'X')]), { mapping: 'a' });
    expect(samples.map((s) => [s.labels.status, s.value])).toEqual([
      ['True', values[0]],
      ['False', values[1]],
      ['Unknown', values[2]],
    ]);
  });

  it('an object without a Ready condition reads Unknown', () => {
    expect(readySamples(mapping('a', []), { mapping: 'a' }).find((s) => s.value === 1)?.labels.status).toBe(
      'Unknown',
    );
  });

  it('exports only known condition types, and only CamelCase reasons', () => {
    const samples = conditionSamples(
      mapping('a', [
        cond('Ready', 'False', 'Unauthorized'),
        cond('Stalled', 'True', 'Unauthorized'),
        cond('SomeoneElses', 'True', 'Whatever'),
        cond('Synced', 'False', 'message with spaces: 10.0.0.1'),
      ]),
      { mapping: 'a' },
    );
    expect(samples.map((s) => s.labels)).toEqual([
      { mapping: 'a', condition: 'Ready', status: 'False', reason: 'Unauthorized' },
      { mapping: 'a', condition: 'Stalled', status: 'True', reason: 'Unauthorized' },
      { mapping: 'a', condition: 'Synced', status: 'False', reason: 'Other' },
    ]);
  });

  it('a condition type repeated by a hand-edited status gives one series, from its first entry', () => {
    const obj = mapping('a', [cond('Ready', 'True', 'Synced'), cond('Ready', 'False', 'Unauthorized')]);
    expect(conditionSamples(obj, { mapping: 'a' }).map((s) => s.labels)).toEqual([
      { mapping: 'a', condition: 'Ready', status: 'True', reason: 'Synced' },
    ]);
    expect(readySamples(obj, { mapping: 'a' }).find((s) => s.value === 1)?.labels.status).toBe('True');
  });
});

describe('registerStatusMetrics', () => {
  const groups: GroupState[] = [
    { device: 'fw1', family: 'IPv4', group: 'K8S-DMZ', inSync: true, ownMembers: 3, otherMembers: 1 },
    { device: 'fw1', family: 'IPv6', group: 'K8S-DMZ', inSync: false, ownMembers: 0, otherMembers: 0 },
  ];
  const source = (active: boolean): StatusMetricsSource => ({
    active: () => active,
    mappings: () => [mapping('web', [cond('Ready', 'True', 'Synced')], T), mapping('db', [])],
    devices: () => [
      device('fw1', [cond('Ready', 'False', 'Unreachable'), cond('Connected', 'False', 'Unreachable')], T),
    ],
    groups: () => groups,
  });

  it('exposes every object of the caches at scrape time', async () => {
    const text = await scrape(source(true));
    const epoch = Date.parse(T) / 1000;
    for (const line of [
      'fortisync_mapping_ready{namespace="shop",mapping="web",status="True"} 1',
      'fortisync_mapping_ready{namespace="shop",mapping="db",status="Unknown"} 1',
      'fortisync_mapping_condition{namespace="shop",mapping="web",condition="Ready",status="True",reason="Synced"} 1',
      `fortisync_mapping_last_sync_timestamp_seconds{namespace="shop",mapping="web"} ${epoch}`,
      'fortisync_device_ready{device="fw1",status="False"} 1',
      'fortisync_device_condition{device="fw1",condition="Connected",status="False",reason="Unreachable"} 1',
      `fortisync_device_last_sync_timestamp_seconds{device="fw1"} ${epoch}`,
      'fortisync_group_members{device="fw1",family="IPv4",group="K8S-DMZ",owner="fortisync"} 3',
      'fortisync_group_members{device="fw1",family="IPv4",group="K8S-DMZ",owner="other"} 1',
      'fortisync_group_in_sync{device="fw1",family="IPv6",group="K8S-DMZ"} 0',
    ])
      expect(text).toContain(line);
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('fortisync_'))
      .map((l) => l.replace(/ \S+$/, ''));
    expect(new Set(series).size).toBe(series.length);
    // No timestamp for a mapping that never synced.
    expect(text).not.toContain(
      'fortisync_mapping_last_sync_timestamp_seconds{namespace="shop",mapping="db"}',
    );
  });

  it('exports nothing on a replica that is not the leader', async () => {
    const text = await scrape(source(false));
    expect(text).toContain('# TYPE fortisync_mapping_ready gauge');
    expect(text).not.toMatch(/^fortisync_/m);
  });

  it('drops the series of an object that left the cache', async () => {
    const registry = new Registry();
    let mappings = [mapping('web', [cond('Ready', 'True', 'Synced')])];
    registerStatusMetrics(registry, { ...source(true), mappings: () => mappings });
    expect(await registry.metrics()).toContain('mapping="web"');
    mappings = [];
    expect(await registry.metrics()).not.toContain('mapping="web"');
  });
});

describe('groupStates', () => {
  it('counts own and other members of each group a session writes, without the placeholder', () => {
    const sessions = new DeviceSessions();
    const s = sessions.ensure('fw1');
    s.groups.set('IPv4/K8S-DMZ', { ok: true });
    s.groups.set('IPv6/K8S-DMZ', { ok: false, problem: { reason: 'TableFull', message: 'full' } });
    s.observed = {
      addresses: new Map([
        ['IPv4/k8s-a', { name: 'k8s-a', family: 'IPv4' }],
        ['IPv4/k8s-b', { name: 'k8s-b', family: 'IPv4' }],
        ['IPv6/admin-host', { name: 'admin-host', family: 'IPv6' }], // ours in the other family only
      ]) as unknown as ObservedDeviceState['addresses'],
      groups: new Map([
        [
          'IPv4/K8S-DMZ',
          { name: 'K8S-DMZ', family: 'IPv4', members: ['k8s-a', 'k8s-b', 'admin-host'], comment: '' },
        ],
        ['IPv6/K8S-DMZ', { name: 'K8S-DMZ', family: 'IPv6', members: ['none'], comment: '' }],
        ['IPv4/OTHER', { name: 'OTHER', family: 'IPv4', members: ['x'], comment: '' }],
      ]) as ObservedDeviceState['groups'],
    };
    sessions.ensure('fw2'); // never synced: no groups
    expect([...groupStates(sessions)]).toEqual([
      { device: 'fw1', family: 'IPv4', group: 'K8S-DMZ', inSync: true, ownMembers: 2, otherMembers: 1 },
      { device: 'fw1', family: 'IPv6', group: 'K8S-DMZ', inSync: false, ownMembers: 0, otherMembers: 0 },
    ]);
  });
});
