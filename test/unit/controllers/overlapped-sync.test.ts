import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import type { Call } from './fakes.js';
import {
  deviceStore,
  endpointMapping,
  fortigateDevice,
  mappingStore,
  reconcileContext,
  reconcilerOverFakes,
} from './fakes.js';
import { namespace, node, pod, view } from '../domain/fixtures.js';
import { OVERLAP_WINDOW_MS } from '../../../src/controllers/device/sync.js';

/**
 * ADR 0009: a change seen while a sync writes is planned and written beside those writes when it
 * touches none of their objects, and waits for them when it does. The FortiGate holds one write
 * until the test lets it go, so what reaches the device meanwhile is exact, not timed.
 */

const turns = async (n = 10): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

function world(overlapWindowMs?: number, addressType: 'Pod' | 'Node' = 'Pod') {
  const pods: V1Pod[] = [
    pod('shop', 'web-1', 'n1', { app: 'web' }, ['10.1.0.1']),
    pod('pay', 'api-1', 'n1', { app: 'api' }, ['10.2.0.1']),
  ];
  const mappings = mappingStore(
    endpointMapping({ addressType }),
    endpointMapping(
      { addressGroup: 'K8S-API', podSelector: { matchLabels: { app: 'api' } }, addressType },
      { namespace: 'pay', name: 'api', uid: 'm2' },
    ),
  );
  const nodes = ['n1', 'n2', 'n3'].map((n, i) => node(n, `192.168.0.${i + 1}`));
  const beside: number[] = [];
  const devices = deviceStore(fortigateDevice());
  const fakes = reconcilerOverFakes({
    mappings,
    view: view(pods, nodes, [namespace('shop'), namespace('pay')]),
    overrides: {
      devices,
      memberCache: undefined,
      overlapWindowMs: overlapWindowMs ?? OVERLAP_WINDOW_MS,
      observer: {
        synced: (_device, r) => {
          if (r.beside) beside.push(r.startedMs);
        },
      },
    },
  });
  const { fortigate, sessions } = fakes;
  /** Holds the first call that matches until `release`; resolves `reached` when it arrives. */
  const hold = (matches: (c: Call) => boolean) => {
    let release!: () => void;
    let reached!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let done = false;
    fortigate.beforeCall = (c) => {
      if (done || !matches(c)) return undefined;
      done = true;
      reached();
      return released;
    };
    return { release, reached: reachedP };
  };
  const addPod = (p: V1Pod, mappingKey: string) => {
    pods.push(p);
    sessions.mappingChanged(mappingKey);
  };
  const sync = () => fakes.reconciler.reconcile('fw1', reconcileContext());
  const addWeb = (n: number, on = 'n1') =>
    addPod(pod('shop', `web-${n}`, on, { app: 'web' }, [`10.1.0.${n}`]), 'shop/web');
  const addApi = (n: number, on = 'n1') =>
    addPod(pod('pay', `api-${n}`, on, { app: 'api' }, [`10.2.0.${n}`]), 'pay/api');
  return { ...fakes, devices, hold, addWeb, addApi, sync, beside };
}

const creates = (name: string) => (c: Call) => c.method === 'create' && c.name === name;

/** The address names of shop's web-1 … web-n (pay's api-1 … api-n). */
const webs = (n: number): string[] => Array.from({ length: n }, (_, i) => `k8s-c1-pod-shop.web-${i + 1}`);
const apis = (n: number): string[] => Array.from({ length: n }, (_, i) => `k8s-c1-pod-pay.api-${i + 1}`);

/**
 * A synced world whose next sync (web-2 joins shop/web) is running with the address write of web-2
 * held on the device; `release` lets it go, `running` is the sync.
 */
async function syncHeldAtWeb2(overlapWindowMs?: number, ctx = reconcileContext()) {
  const w = world(overlapWindowMs);
  await w.sync();
  const held = w.hold(creates('k8s-c1-pod-shop.web-2'));
  w.addWeb(2);
  const running = w.reconciler.reconcile('fw1', ctx);
  await held.reached;
  return { w, release: held.release, running };
}

describe('a sync that starts batches beside its writes (ADR 0009)', () => {
  it('writes a change to another group while the first write is still held', async () => {
    const { w, release, running } = await syncHeldAtWeb2();

    w.addApi(2);
    await turns();
    // The second change is on the device, address and group, while the first is still in flight.
    expect(w.fortigate.members('K8S-API')).toEqual(apis(2));
    expect(w.fortigate.members('K8S-WEB')).toEqual(webs(1));
    expect(w.beside).toEqual([]); // written, but it lands after the batch planned before it

    release();
    await running;
    expect(w.fortigate.members('K8S-WEB')).toEqual(webs(2));
    expect(w.beside).toHaveLength(1);
  });

  it('holds a change to the same group until the write in flight has landed', async () => {
    const { w, release, running } = await syncHeldAtWeb2();

    const callsBefore = w.fortigate.calls.length;
    w.addWeb(3);
    await turns();
    expect(w.fortigate.calls.slice(callsBefore)).toEqual([]);

    release();
    await running;
    // Written by the same sync once the first batch landed, not left for the next one.
    expect(w.fortigate.members('K8S-WEB')).toEqual(webs(3));
    expect(w.beside).toEqual([]); // planned once the first batch had landed, not beside it
  });

  it('writes the changes that meet nothing in flight, and holds back only the one that does', async () => {
    const { w, release, running } = await syncHeldAtWeb2();

    // Seen together: one for the group being written, one for another group.
    w.addWeb(3);
    w.addApi(2);
    await turns();
    expect(w.fortigate.members('K8S-API')).toEqual(apis(2));
    expect(w.fortigate.names('firewall/address')).not.toContain('k8s-c1-pod-shop.web-3');

    release();
    await running;
    expect(w.fortigate.members('K8S-WEB')).toEqual(webs(3));
    // api-2's batch, and web-3's once web-2's had landed (api-2's was still landing behind it).
    expect(w.beside).toHaveLength(2);
  });

  it('plans a change that meets a write in flight once it has landed, with the changes seen meanwhile', async () => {
    // Node mode: both groups name the node addresses, so api's change on n2 meets web's write of n2.
    const w = world(undefined, 'Node');
    await w.sync();
    const held = w.hold(creates('k8s-c1-node-n2'));
    w.addWeb(2, 'n2');
    const running = w.reconciler.reconcile('fw1', reconcileContext());
    await held.reached;
    const callsBefore = w.fortigate.calls.length;
    w.addApi(2, 'n2');
    await turns();
    expect(w.fortigate.calls.slice(callsBefore)).toEqual([]); // it waits for n2's address
    w.addApi(3, 'n3'); // seen while it waits

    held.release();
    await running;
    const nodeAddress = (...ns: string[]) => ns.map((n) => `k8s-c1-node-${n}`);
    expect(w.fortigate.members('K8S-WEB')).toEqual(nodeAddress('n1', 'n2'));
    expect(w.fortigate.members('K8S-API')).toEqual(nodeAddress('n1', 'n2', 'n3'));
    // One write of K8S-API, with both changes: never the picture from before n3 was seen.
    const apiWrites = w.fortigate.calls
      .slice(callsBefore)
      .filter((c) => c.name === 'K8S-API' && c.method !== 'get' && c.method !== 'list');
    expect(apiWrites).toHaveLength(1);
  });

  it('starts nothing beside its writes with a window of 0 (one batch per sync)', async () => {
    const { w, release, running } = await syncHeldAtWeb2(0);
    w.addApi(2);
    await turns();
    expect(w.fortigate.members('K8S-API')).toEqual(apis(1));
    release();
    await running;
    expect(w.fortigate.members('K8S-API')).toEqual(apis(1)); // the next sync's
    await w.sync();
    expect(w.fortigate.members('K8S-API')).toEqual(apis(2));
    expect(w.beside).toEqual([]);
  });

  it.each([
    ['while another device waits for a worker', 'others'],
    ['once the device spec changed during the sync', 'spec'],
  ])('starts no batch %s', async (_when, stop) => {
    const ctx = { ...reconcileContext(), othersWaiting: () => stop === 'others' };
    const { w, release, running } = await syncHeldAtWeb2(undefined, ctx);
    if (stop === 'spec')
      w.devices.set('fw1', fortigateDevice({ driftCheckIntervalSeconds: 600 }, { generation: 2 }));
    w.addApi(2);
    await turns();
    expect(w.fortigate.members('K8S-API')).toEqual(apis(1));
    release();
    await running;
    expect(w.beside).toEqual([]);
  });
});
