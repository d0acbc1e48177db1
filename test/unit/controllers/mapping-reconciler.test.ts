import { beforeEach, describe, expect, it } from '@jest/globals';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import type { DeviceSyncReport, SyncReports } from '../../../src/controllers/device/sync-state.js';
import { MappingReconciler } from '../../../src/controllers/mapping/reconciler.js';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import type { Store } from '../../../src/runtime/store.js';
import { namespace, node, pod, view } from '../domain/fixtures.js';
import {
  deviceStore,
  endpointMapping,
  FakeApiServer,
  fortigateDevice,
  mappingStore,
  reconcileContext,
} from './fakes.js';

describe('MappingReconciler (fakes: clock, informer stores, device sync reports)', () => {
  let api: FakeApiServer;
  let mappings: Store<FortiGateEndpointMapping>;
  let reports: Map<string, DeviceSyncReport>;
  let members: [string, number | undefined][];
  let reconciler: MappingReconciler;

  beforeEach(() => {
    api = new FakeApiServer();
    mappings = mappingStore(endpointMapping());
    reports = new Map();
    members = [];
    const syncReports: SyncReports = { report: (d) => reports.get(d) };
    reconciler = new MappingReconciler({
      mappings,
      devices: deviceStore(fortigateDevice()),
      view: view(
        [pod('shop', 'web-1', 'n1', { app: 'web' }, ['10.1.0.1'])],
        [node('n1', '192.168.0.1')],
        [namespace('shop')],
      ),
      syncReports,
      customObjects: api.customObjects,
      statusPatcher: api.statusPatcher,
      events: api.recorder,
      clock: new FakeClock(),
      enqueueDevice: () => {},
      onMembers: (_ns, name, n) => members.push([name, n]),
    });
  });

  const synced: DeviceSyncReport = {
    problem: undefined,
    group: (key) => (key === 'IPv4/K8S-WEB' ? { ok: true, lastSyncTime: '2026-01-01T00:00:00Z' } : undefined),
    mappingProblem: () => undefined,
    released: () => false,
    generationSeen: () => Number.MAX_SAFE_INTEGER,
  };

  it('reports Pending until the device synced the group, then Synced with an Event', async () => {
    expect(await reconciler.reconcile('shop/web', reconcileContext())).toBeUndefined();
    expect(api.condition('web', 'Ready')).toMatchObject({ status: 'False', reason: 'Pending' });
    reports.set('fw1', synced);
    await reconciler.reconcile('shop/web', reconcileContext());
    expect(api.condition('web', 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(api.events.map((e) => e.reason)).toEqual(['Pending', 'Synced']);
    expect(members.at(-1)).toEqual(['web', 1]);
  });

  it('adds its finalizer to a mapping that lacks it', async () => {
    mappings.set('shop/web', endpointMapping({}, { finalizers: [] }));
    await reconciler.reconcile('shop/web', reconcileContext());
    expect(JSON.stringify(api.patches[0]?.body)).toContain('fortisync.io/cleanup');
  });

  it('a deleting mapping keeps its finalizer until every device released it, checking back every 30 s', async () => {
    mappings.set('shop/web', endpointMapping({}, { deletionTimestamp: new Date('2026-01-01T00:00:00Z') }));
    reports.set('fw1', synced);
    expect(await reconciler.reconcile('shop/web', reconcileContext())).toEqual({ requeueAfterMs: 30_000 });
    expect(api.patches).toEqual([]);
    reports.set('fw1', { ...synced, released: (uid) => uid === 'm1' });
    expect(await reconciler.reconcile('shop/web', reconcileContext())).toBeUndefined();
    expect(JSON.stringify(api.patches[0]?.body)).toContain('"remove"');
    expect(members.at(-1)).toEqual(['web', undefined]);
  });

  it('a mapping gone from the cache clears its metrics', async () => {
    expect(await reconciler.reconcile('shop/gone', reconcileContext())).toBeUndefined();
    expect(members).toEqual([['gone', undefined]]);
  });
});
