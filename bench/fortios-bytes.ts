/**
 * Where the FortiOS side's bytes go: `node --expose-gc dist/bench/fortios-bytes.js [--pods N] [--snapshot FILE]`.
 * Builds the scale scenario's cluster (5,000 nodes, 1,000 mappings over 500 namespaces, four
 * Node-mode devices and one Pod-mode device) in this process, then measures the heap after a full
 * garbage collection as the device syncs would fill it: every mapping's members (the member cache)
 * and each device's desired state (the incremental base), then each device's observed state parsed
 * from the list replies a converged FortiGate sends. In-process and deterministic: no control
 * plane, no FortiGate, the figures do not depend on the machine's load.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { writeHeapSnapshot } from 'node:v8';
import { MemberCache } from '../src/controllers/member-cache.js';
import { readObservedState } from '../src/controllers/device/observe.js';
import type { FortiOSApi } from '../src/controllers/device/fortios-api.js';
import { desiredDeviceState, type ClusterView, type MappingInput } from '../src/domain/desired.js';
import { fullBase, type DesiredBase } from '../src/domain/desired-base.js';
import type { ObservedDeviceState } from '../src/domain/model.js';
import { groupComment } from '../src/domain/naming.js';
import { parseEntries, parseJson, readEnvelopes } from '../src/fortigate/parse.js';
import type { CmdbTable } from '../src/fortigate/types.js';
import { nodeSlimmer, podSlimmer } from '../src/operator/slim.js';
import { namespaceIndex, objectKey, Store } from '../src/runtime/store.js';
import { StringPool } from '../src/runtime/string-pool.js';
import { ClusterModel } from './lib/cluster.js';
import { layoutScale, scaleNodeName } from './scale.js';

const gc = (globalThis as { gc?: () => void }).gc;
const CLUSTER = 'bench';

function heapAfterGc(): number {
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function measure<T>(pods: number, label: string, build: () => T): T {
  const before = heapAfterGc();
  const kept = build();
  const after = heapAfterGc();
  console.log(`${label.padEnd(64)} ${String(Math.round((after - before) / pods)).padStart(5)} bytes/pod`);
  return kept;
}

/** The cluster as the informers hold it: slim pods and nodes with shared strings. */
function cluster(pods: number) {
  const model = new ClusterModel(
    Array.from({ length: 500 }, (_, i) => `team-${String(i).padStart(3, '0')}-production`),
  );
  const nodeNames = Array.from({ length: 5000 }, (_, i) => scaleNodeName(i));
  const layout = layoutScale(model, nodeNames, pods, 1000);
  const strings = new StringPool();
  const slimPod = podSlimmer(strings);
  const slimNode = nodeSlimmer(strings);
  const store = new Store<V1Pod>();
  store.addIndex('namespace', namespaceIndex);
  for (const p of layout.pods) {
    const m = model.mappings[p.mapping];
    // Through JSON, as the lister parses a page: no string is shared by accident.
    const raw = JSON.parse(
      JSON.stringify({
        metadata: {
          name: p.name,
          namespace: p.namespace,
          uid: `uid-${p.name}`,
          resourceVersion: '1',
          labels: { app: m?.name },
        },
        spec: { nodeName: p.node },
        status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
      }),
    ) as unknown;
    const pod = slimPod(raw);
    store.set(objectKey(pod), pod);
  }
  const nodes = new Map<string, V1Node>();
  nodeNames.forEach((name, i) => {
    const ip = `10.${20 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const raw = JSON.parse(
      JSON.stringify({
        metadata: { name, uid: `n${i}`, resourceVersion: '1' },
        status: { addresses: [{ type: 'InternalIP', address: ip }] },
      }),
    ) as unknown;
    nodes.set(name, slimNode(raw));
  });
  const view: ClusterView = {
    podsInNamespace: (ns) => store.byIndex('namespace', ns),
    node: (n) => nodes.get(n),
    namespace: (n) => ({ metadata: { name: n } }),
    namespaces: () => model.namespaces.map((n) => ({ metadata: { name: n } })),
  };
  const devices = [...new Set(layout.deviceOf)];
  const inputs: MappingInput[] = model.mappings.map((m) => ({
    key: `${m.namespace}/${m.name}`,
    namespace: m.namespace,
    name: m.name,
    deleting: false,
    createdAt: '2026-01-01T00:00:00Z',
    spec: {
      devices: [layout.deviceOf[m.index] as string],
      addressGroup: m.group,
      podSelector: { matchLabels: { app: m.name } },
      addressType: m.mode,
      ipFamilies: ['IPv4'],
      deletionPolicy: 'Delete',
      suspend: false,
      dryRun: false,
    },
  }));
  return { store, nodes, view, devices, inputs };
}

const deviceInput = (name: string) => ({
  name,
  spec: { clusterName: CLUSTER, addressNamePrefix: 'k8s', suspend: false, dryRun: false },
});

/** A converged FortiGate's replies to the two reads of a family, as JSON text. */
function listReplies(base: DesiredBase): { addresses: string; groups: string } {
  const envelope = (results: unknown[]) =>
    JSON.stringify({
      http_method: 'GET',
      results,
      vdom: 'root',
      path: 'firewall',
      status: 'success',
      http_status: 200,
    });
  const addresses = [...base.state.addresses.values()].map((a) => ({
    name: a.name,
    q_origin_key: a.name,
    type: 'ipmask',
    subnet: `${a.ip} 255.255.255.255`,
    comment: a.comment,
  }));
  const groups = [...base.state.groups.values()].map((g) => ({
    name: g.name,
    q_origin_key: g.name,
    member: [...g.members].map((m) => ({ name: m, q_origin_key: m })),
    comment: groupComment(CLUSTER, g.name),
  }));
  return { addresses: envelope(addresses), groups: envelope(groups) };
}

/** A client answering the IPv4 lists from these texts, parsed as FortiGateClient.list parses them. */
function replying(texts: { addresses: string; groups: string }): FortiOSApi {
  const list = (table: CmdbTable): unknown[] => {
    const text =
      table === 'firewall/address' ? texts.addresses : table === 'firewall/addrgrp' ? texts.groups : '';
    const envelope = readEnvelopes(parseJson(text || '{"results":[]}'))[0];
    return parseEntries(table, envelope?.results);
  };
  return { list } as unknown as FortiOSApi;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--pods');
  const pods = i > 0 ? Number(process.argv[i + 1]) : 10_000;
  const { view, devices, inputs, store, nodes } = cluster(pods);
  console.log(
    `${pods} pods, ${nodes.size} nodes, ${inputs.length} mappings, ${devices.length} devices (${store.size} pods cached)`,
  );
  const cache = new MemberCache(view);
  const bases = measure(pods, 'desired: members (member cache) + desired base, every device', () =>
    devices.map((d) => {
      const targeting = inputs.filter((m) => m.spec.devices?.includes(d));
      return fullBase(desiredDeviceState(deviceInput(d), targeting, view, cache.membersOf), targeting);
    }),
  );
  const addresses = bases.reduce((n, b) => n + b.state.addresses.size, 0);
  const members = bases.reduce(
    (n, b) => n + [...b.state.groups.values()].reduce((k, g) => k + g.members.size, 0),
    0,
  );
  console.log(`  ${addresses} desired addresses, ${members} group members`);
  const replies = bases.map(listReplies);
  const observed: ObservedDeviceState[] = [];
  const before = heapAfterGc();
  for (const r of replies) observed.push(await readObservedState(replying(r), CLUSTER, ['IPv4']));
  const after = heapAfterGc();
  console.log(
    `${'observed: addresses and groups read from every device'.padEnd(64)} ${String(Math.round((after - before) / pods)).padStart(5)} bytes/pod`,
  );
  console.log(`  ${Math.round((after - before) / addresses)} bytes per observed address (groups included)`);
  const snap = process.argv.indexOf('--snapshot');
  if (snap > 0) console.log(`heap snapshot ${writeHeapSnapshot(process.argv[snap + 1])}`);
  // Keep everything alive until the measurements are done.
  if (observed.length !== bases.length || replies.length === 0) throw new Error('nothing kept');
}

await main();
