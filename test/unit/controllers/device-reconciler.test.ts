import { beforeEach, describe, expect, it } from '@jest/globals';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import type { DeviceReconciler } from '../../../src/controllers/device/reconciler.js';
import {
  AUTH_BACKOFF_MS,
  GROUP_RETRY_MS,
  PROGRESS_RETRY_MS,
} from '../../../src/controllers/device/schedule.js';
import type { DeviceSessions } from '../../../src/controllers/device/sync-state.js';
import type { AuthGate } from '../../../src/fortigate/auth-gate.js';
import type { FakeClock } from '../../../src/runtime/fake-clock.js';
import { objectKey, type Store } from '../../../src/runtime/store.js';
import { namespace, node, pod, view } from '../domain/fixtures.js';
import type { FakeApiServer, FakeFortiGate, FakeReferences } from './fakes.js';
import {
  deviceStore,
  endpointMapping,
  fortigateDevice,
  mappingStore,
  reconcileContext,
  reconcilerOverFakes,
} from './fakes.js';

const DRIFT_MS = 300_000;

describe('DeviceReconciler (fakes: clock, informer stores, FortiOS client)', () => {
  let clock: FakeClock;
  let fortigate: FakeFortiGate;
  let api: FakeApiServer;
  let references: FakeReferences;
  let devices: Store<FortiGateDevice>;
  let mappings: Store<FortiGateEndpointMapping>;
  let sessions: DeviceSessions;
  let enqueued: string[];
  let requeued: [string, number][];
  let reconciler: DeviceReconciler;
  let authGate: AuthGate;
  const pods = [pod('shop', 'web-1', 'n1', { app: 'web' }, ['10.1.0.1'])];

  const reconcile = async () => {
    const result = await reconciler.reconcile('fw1', reconcileContext());
    await reconciler.flushStatus();
    return result;
  };

  beforeEach(() => {
    devices = deviceStore(fortigateDevice());
    mappings = mappingStore(endpointMapping());
    enqueued = [];
    requeued = [];
    ({ reconciler, clock, fortigate, api, references, sessions, authGate } = reconcilerOverFakes({
      mappings,
      view: view(pods, [node('n1', '192.168.0.1')], [namespace('shop')]),
      enqueueMapping: (key) => enqueued.push(key),
      authRetryAfterMs: AUTH_BACKOFF_MS,
      overrides: {
        devices,
        memberCache: undefined,
        requeueDevice: (name, ms) => requeued.push([name, ms]),
        // Whatever a caller passes, the lockout guard cannot be weakened.
        clientOptions: { unauthorizedCooldownMs: 0 },
      },
    }));
  });

  it('syncs the group, reports Ready, tells the mapping, and comes back at the drift check', async () => {
    expect(await reconcile()).toEqual({ requeueAfterMs: DRIFT_MS });
    expect(fortigate.names('firewall/address')).toEqual(['k8s-c1-pod-shop.web-1']);
    expect(fortigate.members('K8S-WEB')).toEqual(['k8s-c1-pod-shop.web-1']);
    expect(api.condition('fw1', 'Ready')).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(api.condition('fw1', 'Connected')).toMatchObject({ status: 'True' });
    expect(enqueued).toEqual(['shop/web']);
    expect(sessions.report('fw1')?.group('IPv4/K8S-WEB')).toMatchObject({ ok: true });

    // Nothing changed: no write, and the rest of the drift interval.
    const writes = fortigate.calls.length;
    await clock.advance(60_000);
    expect(await reconcile()).toEqual({ requeueAfterMs: DRIFT_MS - 60_000 });
    expect(fortigate.calls.length).toBe(writes);
  });

  it('a refused token: one attempt per AUTH_BACKOFF_MS, nothing sent while the guard holds', async () => {
    fortigate.failWith = (c) => (c.method === 'status' ? 'unauthorized' : undefined);
    expect(await reconcile()).toEqual({ requeueAfterMs: AUTH_BACKOFF_MS });
    expect(fortigate.clients[0]?.authGate).toBe(authGate);
    expect(api.condition('fw1', 'Ready')).toMatchObject({ status: 'False', reason: 'Unauthorized' });
    expect(api.events).toContainEqual({ name: 'fw1', type: 'Warning', reason: 'Unauthorized' });

    // An event brings the key back early: nothing reaches the device, the wait goes on.
    const sent = fortigate.calls.length;
    await clock.advance(30_000);
    expect(await reconcile()).toEqual({ requeueAfterMs: AUTH_BACKOFF_MS - 30_000 });
    expect(fortigate.calls.length).toBe(sent);

    await clock.advance(AUTH_BACKOFF_MS - 30_000);
    expect(await reconcile()).toEqual({ requeueAfterMs: AUTH_BACKOFF_MS });
    expect(fortigate.calls.length).toBe(sent + 1);
  });

  it('a rotated token is a new client, tried at once', async () => {
    fortigate.failWith = (c) => (c.method === 'status' ? 'unauthorized' : undefined);
    await reconcile();
    fortigate.failWith = undefined;
    references.values.set('fortisync/fw1-token/token', 'rotated');
    await clock.advance(1000);
    expect(await reconcile()).toEqual({ requeueAfterMs: DRIFT_MS });
    expect(fortigate.clients.map((c) => c.token)).toEqual(['secret-token', 'rotated']);
    expect(api.condition('fw1', 'Ready')).toMatchObject({ status: 'True' });
  });

  it('a locked-out source (429) waits for the guard too', async () => {
    fortigate.failWith = (c) => (c.method === 'status' ? 'locked-out' : undefined);
    expect(await reconcile()).toEqual({ requeueAfterMs: AUTH_BACKOFF_MS });
    expect(api.condition('fw1', 'Ready')).toMatchObject({ reason: 'LockedOut' });
  });

  it('an unreachable device is retried with the queue backoff (the reconcile throws)', async () => {
    fortigate.failWith = () => 'unreachable';
    await expect(reconcile()).rejects.toThrow(/unreachable/);
    expect(api.condition('fw1', 'Connected')).toMatchObject({ status: 'False', reason: 'Unreachable' });
    expect(enqueued).toEqual(['shop/web']); // its mappings report the problem
  });

  it('a missing Secret waits for the Secret watch (no timed retry)', async () => {
    references.values.clear();
    expect(await reconcile()).toBeUndefined();
    expect(api.condition('fw1', 'Ready')).toMatchObject({ reason: 'SecretNotFound' });
    expect(fortigate.clients).toEqual([]);
  });

  it('an invalid spec: reported, nothing contacted, no retry', async () => {
    devices.set('fw1', fortigateDevice({ url: 'not a url' }));
    expect(await reconcile()).toBeUndefined();
    expect(api.condition('fw1', 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(api.condition('fw1', 'Connected')).toMatchObject({ status: 'Unknown' });
    expect(fortigate.clients).toEqual([]);
  });

  it('a failing group: retried soon after progress, then every GROUP_RETRY_MS', async () => {
    fortigate.failWith = (c) =>
      c.method === 'create' && c.table === 'firewall/addrgrp' ? 'table-full' : undefined;
    expect(await reconcile()).toEqual({ requeueAfterMs: PROGRESS_RETRY_MS }); // the address was written
    expect(api.condition('fw1', 'Ready')).toMatchObject({ status: 'False', reason: 'TableFull' });
    expect(sessions.report('fw1')?.group('IPv4/K8S-WEB')).toMatchObject({ ok: false });
    await clock.advance(PROGRESS_RETRY_MS);
    expect(await reconcile()).toEqual({ requeueAfterMs: GROUP_RETRY_MS }); // nothing written this time
    fortigate.failWith = undefined;
    await clock.advance(GROUP_RETRY_MS);
    expect(await reconcile()).toEqual({ requeueAfterMs: DRIFT_MS - PROGRESS_RETRY_MS - GROUP_RETRY_MS });
    expect(fortigate.members('K8S-WEB')).toEqual(['k8s-c1-pod-shop.web-1']);
  });

  it('a deleted device: removes what it owns, then its finalizer', async () => {
    await reconcile();
    devices.set('fw1', fortigateDevice({}, { deletionTimestamp: new Date('2026-01-01T00:00:00Z') }));
    expect(await reconcile()).toBeUndefined();
    expect(fortigate.names('firewall/address')).toEqual([]);
    expect(fortigate.names('firewall/addrgrp')).toEqual([]);
    expect(JSON.stringify(api.patches.at(-1)?.body)).toContain('"remove"');
    expect(sessions.get('fw1')).toBeUndefined();
  });

  it('a deleted device with an invalid spec: no write, finalizer released, a Retained event', async () => {
    await reconcile();
    const calls = fortigate.calls.length;
    devices.set(
      'fw1',
      fortigateDevice({ url: 'ftp://fw1.example' }, { deletionTimestamp: new Date('2026-01-01T00:00:00Z') }),
    );
    expect(await reconcile()).toBeUndefined();
    expect(fortigate.calls.length).toBe(calls);
    expect(fortigate.names('firewall/addrgrp')).toEqual(['K8S-WEB']);
    expect(JSON.stringify(api.patches.at(-1)?.body)).toContain('"remove"');
    expect(api.events).toContainEqual({ name: 'fw1', type: 'Warning', reason: 'Retained' });
  });

  it('a device with an invalid spec releases a mapping being deleted, writing nothing', async () => {
    await reconcile();
    const calls = fortigate.calls.length;
    devices.set('fw1', fortigateDevice({ url: 'ftp://fw1.example' }));
    const deleting = endpointMapping({}, { deletionTimestamp: new Date('2026-01-01T00:00:00Z') });
    mappings.set(objectKey(deleting), deleting);
    await reconcile();
    expect(fortigate.calls.length).toBe(calls);
    expect(sessions.report('fw1')?.released('m1')).toBe(true);
    expect(api.events).toContainEqual({ name: 'fw1', type: 'Warning', reason: 'MembersLeftInPlace' });
  });

  it('references no device uses any more are released (their watches stop)', async () => {
    await reconcile();
    expect(references.retained).toEqual(['Secret/fortisync/fw1-token']);
    devices.set('fw1', fortigateDevice({ credentialsSecretRef: { name: 'new', namespace: 'fortisync' } }));
    await reconcile().catch(() => undefined);
    expect(references.retained).toEqual(['Secret/fortisync/new']);
  });

  it('a suspended device writes nothing and waits for a change', async () => {
    devices.set('fw1', fortigateDevice({ suspend: true }));
    expect(await reconcile()).toBeUndefined();
    expect(fortigate.calls).toEqual([]);
    expect(api.condition('fw1', 'Ready')).toMatchObject({ reason: 'Suspended' });
  });
});
