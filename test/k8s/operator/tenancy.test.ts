import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FortiGateEndpointMapping } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';

// Issue 14, tenancy: a shared FortiGate has many owners. Each test reproduces one "Seen" item on the
// real API server and the FortiOS simulator; every one of them failed on the code before the fix.
describe('tenancy: grants, group owners, own contributions, quotas', () => {
  const h = new Harness({ name: 'tenancy', clusterName: 'tnt', startOperator: false });
  const node = (n: string, cluster = 'tnt') => `k8s-${cluster}-node-${h.nodeName(n)}`;
  const podAddr = (ns: string, p: string, cluster = 'tnt') => `k8s-${cluster}-pod-${ns}.${p}`;
  const label = () => `fortisync-test/team-${h.id}`;
  const ready = (m: FortiGateEndpointMapping | undefined) =>
    m?.status?.conditions?.find((c) => c.type === 'Ready');
  const stalled = (m: FortiGateEndpointMapping | undefined) =>
    m?.status?.conditions?.find((c) => c.type === 'Stalled')?.status;
  let teamA = '';
  let teamB = '';

  beforeAll(async () => {
    await h.start();
    // The firewall admin's group exists before the operator first reads the device.
    h.sim.state.seed('firewall/address', { name: 'vpn-gw', subnet: '198.51.100.30/32' });
    h.sim.state.seed('firewall/addrgrp', {
      name: 'ADMIN-VPN',
      member: [{ name: 'vpn-gw' }],
      comment: 'admins',
    });
    await h.startOperator();
    for (const [n, ip] of [
      ['n1', '192.0.2.61'],
      ['n2', '192.0.2.62'],
      ['n3', '192.0.2.63'],
      ['n4', '192.0.2.64'],
      ['n5', '192.0.2.65'],
    ] as const)
      await h.createNode(n, ip);
    teamA = h.ns;
    await h.patchNamespaceLabels(teamA, { [label()]: 'a' });
    teamB = await h.createNamespace('b', { [label()]: 'b' });
  });
  afterAll(async () => h.stop());

  async function dropDevice(name: string): Promise<void> {
    await h.deleteDevice(name);
    await eventually(async () => ((await h.device(name)) ? undefined : true), { what: `${name} deleted` });
  }

  async function gone(name: string, namespace = h.ns): Promise<void> {
    await eventually(async () => ((await h.mapping(name, namespace)) ? undefined : true), {
      what: `${namespace}/${name} finalized`,
    });
  }

  it("Seen 1: a mapping's namespaceSelector does not walk around the device's namespace rules", async () => {
    const dev = `${h.deviceName}-grants`;
    // Each extra device is another cluster on the shared simulator: one cluster name per FortiGate.
    await h.createDevice(dev, {
      clusterName: 'tntg',
      access: { namespaceSelector: { matchLabels: { [label()]: 'a' } } },
    });
    await h.runPod('a-web', { role: 'web' }, 'n1', ['10.244.1.10'], teamA);
    await h.runPod('b-web', { role: 'web' }, 'n2', ['10.244.2.10'], teamB);
    const seq = h.lastSeq();
    await h.applyMapping('wide', {
      devices: [dev],
      addressGroup: 'K8S-TNT-WIDE',
      addressType: 'Pod',
      podSelector: { matchLabels: { role: 'web' } },
      namespaceSelector: {},
    });
    const m = await h.expectCondition('wide', 'Ready', 'False', 'CrossNamespaceNotGranted');
    expect(stalled(m)).toBe('True');
    expect(ready(m)?.message).toContain('spec.access.crossNamespaceGrants');
    // Nothing of b (nor anything at all) is written or shown.
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('K8S-TNT-WIDE')).toBeUndefined();
    expect(JSON.stringify(m.status)).not.toContain('b-web');
    expect(JSON.stringify(m.status)).not.toContain('10.244.2.10');
    // The message names the namespaces not granted ({} matches every namespace of the shared control
    // plane, too many to name, so ask for the two test namespaces only).
    await h.applyMapping('wide', {
      devices: [dev],
      addressGroup: 'K8S-TNT-WIDE',
      addressType: 'Pod',
      podSelector: { matchLabels: { role: 'web' } },
      namespaceSelector: { matchExpressions: [{ key: label(), operator: 'Exists' }] },
    });
    const named = await h.expectCondition('wide', 'Ready', 'False', 'CrossNamespaceNotGranted');
    expect(ready(named)?.message).toContain(`selects namespace(s) ${teamB}, which`);
    expect(h.writesSince(seq)).toBe(0);

    // A grant from team a to team b, for the namespaces the device admits: both pods join, and the
    // status names them now (the mapping's own namespace's pods and b's, granted).
    await h.patchDevice(
      {
        access: {
          namespaceSelector: {
            matchLabels: null as never, // merge patch: drop the team-a-only rule
            matchExpressions: [{ key: label(), operator: 'In', values: ['a', 'b'] }],
          },
          crossNamespaceGrants: [
            { from: { matchLabels: { [label()]: 'a' } }, to: { matchLabels: { [label()]: 'b' } } },
          ],
        },
      },
      dev,
    );
    // (With {} the grant would still not cover kube-system and the rest: the unit table covers that.)
    await h.expectMembers('K8S-TNT-WIDE', [podAddr(teamA, 'a-web', 'tntg'), podAddr(teamB, 'b-web', 'tntg')]);
    await h.expectCondition('wide', 'Ready', 'True', 'Synced');
    // The grant withdrawn: the whole mapping stops (its members leave), not just b's pod.
    await h.patchDevice({ access: null } as never, dev);
    await h.patchDevice({ access: { namespaceSelector: { matchLabels: { [label()]: 'a' } } } }, dev);
    await h.expectCondition('wide', 'Ready', 'False', 'CrossNamespaceNotGranted');
    await eventually(() => (h.members('K8S-TNT-WIDE') === undefined ? true : undefined), {
      what: 'K8S-TNT-WIDE gone with its only mapping refused',
    });
    await h.deleteMapping('wide');
    await gone('wide');
    await dropDevice(dev);
  });

  it('Seen 1: hostNetwork pods never put node addresses into a Pod-mode group', async () => {
    await h.core.createNamespacedPod({
      namespace: teamA,
      body: {
        metadata: { name: 'agent', labels: { role: 'agent' } },
        spec: {
          nodeName: h.nodeName('n3'),
          hostNetwork: true,
          containers: [{ name: 'a', image: 'example.invalid/agent:1' }],
        },
      },
    });
    await h.setPodStatus('agent', 'Running', ['192.0.2.63']);
    await h.runPod('agent-2', { role: 'agent' }, 'n4', ['10.244.4.20']);
    await h.applyMapping('agents', {
      addressGroup: 'K8S-TNT-AGENTS',
      addressType: 'Pod',
      podSelector: { matchLabels: { role: 'agent' } },
    });
    await h.expectMembers('K8S-TNT-AGENTS', [podAddr(teamA, 'agent-2')]);
    await h.expectStatusMembers('agents', 1);
    expect(h.address(podAddr(teamA, 'agent'))).toBeUndefined();
    await h.deleteMapping('agents');
    await gone('agents');
  });

  it('Seen 3: with no access at all, no mapping can add pods to an admin group; naming it in existingGroups lets it', async () => {
    await h.runPod('vpn-1', { role: 'vpn' }, 'n1');
    const seq = await h.settledSeq();
    await h.applyMapping('vpn', { addressGroup: 'ADMIN-VPN', podSelector: { matchLabels: { role: 'vpn' } } });
    const m = await h.expectCondition('vpn', 'Ready', 'False', 'GroupNotOwned');
    expect(stalled(m)).toBe('True');
    expect(ready(m)?.message).toContain('spec.access.existingGroups');
    expect(h.writesSince(seq)).toBe(0);
    expect(h.members('ADMIN-VPN')).toEqual(['vpn-gw']);
    await h.patchDevice({ access: { existingGroups: ['ADMIN-*'] } });
    await h.expectMembers('ADMIN-VPN', ['vpn-gw', node('n1')]);
    await h.expectCondition('vpn', 'Ready', 'True', 'Synced');
    expect(h.sim.state.get('firewall/addrgrp', 'ADMIN-VPN')?.comment).toBe('admins');
    await h.deleteMapping('vpn');
    await gone('vpn');
    await h.expectMembers('ADMIN-VPN', ['vpn-gw']);
    await h.patchDevice({ access: null } as never);
  });

  it('an admin group that appears after the last read is not written into either (re-read first)', async () => {
    h.sim.state.seed('firewall/addrgrp', {
      name: 'ADMIN-LATE',
      member: [{ name: 'vpn-gw' }],
      comment: 'admins',
    });
    const seq = h.lastSeq();
    await h.applyMapping('late', {
      addressGroup: 'ADMIN-LATE',
      podSelector: { matchLabels: { role: 'vpn' } },
    });
    await h.expectCondition('late', 'Ready', 'False', 'GroupNotOwned');
    const intoGroup = h
      .requestsSince(seq)
      .filter((e) => e.method !== 'GET' && e.path.includes('/firewall/addrgrp/ADMIN-LATE'));
    expect(intoGroup).toEqual([]);
    expect(h.members('ADMIN-LATE')).toEqual(['vpn-gw']);
    await h.deleteMapping('late');
    await gone('late');
  });

  it("Seen 3: team A cannot add pods to team B's group under a shared pattern; a shared rule for both lets it", async () => {
    const dev = `${h.deviceName}-owners`;
    await h.createDevice(dev, { clusterName: 'tnto', access: { allowedGroups: ['K8S-TNT-DMZ-*'] } });
    await h.runPod('b-dmz', { zone: 'dmz' }, 'n2', [], teamB);
    await h.runPod('a-dmz', { zone: 'dmz' }, 'n3', [], teamA);
    await h.applyMapping('dmz', { devices: [dev], addressGroup: 'K8S-TNT-DMZ-B' }, teamB);
    await h.expectMembers('K8S-TNT-DMZ-B', [node('n2', 'tnto')]);
    const b = await h.expectCondition('dmz', 'Ready', 'True', 'Synced', 15_000, teamB);
    // Team A's mapping is younger (creation times have whole seconds).
    const bornB = new Date(String(b.metadata.creationTimestamp)).getTime();
    await new Promise((r) => setTimeout(r, Math.max(0, bornB + 1100 - Date.now())));
    await h.applyMapping('dmz', { devices: [dev], addressGroup: 'K8S-TNT-DMZ-B' }, teamA);
    const a = await h.expectCondition('dmz', 'Ready', 'False', 'GroupOwnedByAnotherNamespace');
    expect(stalled(a)).toBe('True');
    expect(ready(a)?.message).toContain(teamB);
    expect(a.status?.members ?? 0).toBe(0);
    expect(h.members('K8S-TNT-DMZ-B')).toEqual([node('n2', 'tnto')]);
    // The device admin shares the group between both namespaces.
    await h.patchDevice(
      {
        access: {
          allowedGroups: ['K8S-TNT-DMZ-*'],
          groupRules: [
            {
              namespaceSelector: { matchExpressions: [{ key: label(), operator: 'Exists' }] },
              groups: ['K8S-TNT-DMZ-B'],
              shared: true,
            },
          ],
        },
      },
      dev,
    );
    await h.expectMembers('K8S-TNT-DMZ-B', [node('n2', 'tnto'), node('n3', 'tnto')]);
    await h.expectCondition('dmz', 'Ready', 'True', 'Synced');
    await h.expectCondition('dmz', 'Ready', 'True', 'Synced', 15_000, teamB);
    await h.deleteMapping('dmz', teamA);
    await h.deleteMapping('dmz', teamB);
    await gone('dmz', teamA);
    await gone('dmz', teamB);
    await dropDevice(dev);
  });

  describe('Seen 3: suspend and dry run cover only the mapping’s own contribution', () => {
    it("a suspended mapping does not freeze the group: another mapping's deleted pod leaves", async () => {
      await h.runPod('fz-1', { app: 'fz-a' }, 'n1');
      await h.runPod('fz-2', { app: 'fz-b' }, 'n2');
      await h.applyMapping('fz-a', {
        addressGroup: 'K8S-TNT-FZ',
        podSelector: { matchLabels: { app: 'fz-a' } },
      });
      await h.applyMapping('fz-b', {
        addressGroup: 'K8S-TNT-FZ',
        podSelector: { matchLabels: { app: 'fz-b' } },
      });
      await h.expectMembers('K8S-TNT-FZ', [node('n1'), node('n2')]);
      await h.applyMapping('fz-a', {
        addressGroup: 'K8S-TNT-FZ',
        suspend: true,
        podSelector: { matchLabels: { app: 'fz-a' } },
      });
      await h.expectCondition('fz-a', 'Ready', 'False', 'Suspended');
      await h.deletePod('fz-2');
      await h.expectMembers('K8S-TNT-FZ', [node('n1')]);
      // The suspended mapping removes nothing of its own either.
      await h.deletePod('fz-1');
      await h.runPod('fz-3', { app: 'fz-b' }, 'n3');
      await h.expectMembers('K8S-TNT-FZ', [node('n1'), node('n3')]);
    });

    it('a deleting mapping keeps its finalizer until its members left, even beside a suspended one', async () => {
      await h.runPod('fz-4', { app: 'fz-b' }, 'n4');
      await h.expectMembers('K8S-TNT-FZ', [node('n1'), node('n3'), node('n4')]);
      await h.deleteMapping('fz-b');
      await gone('fz-b');
      // Checked at once: the finalizer went only after the write.
      expect(h.members('K8S-TNT-FZ')).toEqual([node('n1')]);
      await h.deleteMapping('fz-a');
      await gone('fz-a');
      await eventually(() => (h.members('K8S-TNT-FZ') === undefined ? true : undefined), {
        what: 'K8S-TNT-FZ deleted with its last mapping',
      });
    });

    it('after an operator restart a suspended mapping holds only what its pods still justify (fail closed)', async () => {
      await h.runPod('rs-1', { app: 'rs-a' }, 'n1');
      await h.runPod('rs-2', { app: 'rs-a' }, 'n2');
      await h.runPod('rs-3', { app: 'rs-b' }, 'n3');
      await h.applyMapping('rs-a', {
        addressGroup: 'K8S-TNT-RS',
        podSelector: { matchLabels: { app: 'rs-a' } },
      });
      await h.applyMapping('rs-b', {
        addressGroup: 'K8S-TNT-RS',
        podSelector: { matchLabels: { app: 'rs-b' } },
      });
      await h.expectMembers('K8S-TNT-RS', [node('n1'), node('n2'), node('n3')]);
      await h.applyMapping('rs-a', {
        addressGroup: 'K8S-TNT-RS',
        suspend: true,
        podSelector: { matchLabels: { app: 'rs-a' } },
      });
      await h.expectCondition('rs-a', 'Ready', 'False', 'Suspended');
      // Within one process the suspended mapping keeps even a member whose pod went away...
      await h.deletePod('rs-1');
      await h.runPod('rs-4', { app: 'rs-b' }, 'n4');
      await h.expectMembers('K8S-TNT-RS', [node('n1'), node('n2'), node('n3'), node('n4')]);
      // ...but a restarted operator has no memory of it: only rs-2 (still running) justifies n2.
      await h.stopOperator();
      await h.deletePod('rs-2');
      await h.runPod('rs-5', { app: 'rs-a' }, 'n5'); // new while suspended: never added
      await h.startOperator();
      await h.expectMembers('K8S-TNT-RS', [node('n3'), node('n4')]);
      await h.expectCondition('rs-b', 'Ready', 'True', 'Synced');
      await h.deleteMapping('rs-a');
      await h.deleteMapping('rs-b');
      await gone('rs-a');
      await gone('rs-b');
    });

    it("a dry-run plan lists only its own members; the other mapping's stay live", async () => {
      await h.runPod('dr-live', { app: 'dr-live' }, 'n1');
      await h.runPod('dr-dry', { app: 'dr-dry' }, 'n5');
      await h.applyMapping('dr-live', {
        addressGroup: 'K8S-TNT-DR',
        podSelector: { matchLabels: { app: 'dr-live' } },
      });
      await h.applyMapping('dr-dry', {
        addressGroup: 'K8S-TNT-DR',
        dryRun: true,
        podSelector: { matchLabels: { app: 'dr-dry' } },
      });
      await h.expectMembers('K8S-TNT-DR', [node('n1')]);
      await h.expectCondition('dr-dry', 'Ready', 'False', 'DryRun');
      // The live mapping's new pod joins at once: the dry run does not hold the group.
      await h.runPod('dr-live-2', { app: 'dr-live' }, 'n2');
      await h.expectMembers('K8S-TNT-DR', [node('n1'), node('n2')]);
      const m = await eventually(
        async () => {
          const x = await h.mapping('dr-dry');
          return ready(x)?.reason === 'DryRun' && x?.status?.plan?.addMembers ? x : undefined;
        },
        { what: 'dr-dry plan' },
      );
      expect(m.status?.plan?.addMembers).toEqual([node('n5')]);
      expect(m.status?.plan?.createAddresses).toEqual([`${node('n5')} (192.0.2.65)`]);
      expect(JSON.stringify(m.status)).not.toContain(node('n1'));
      expect(JSON.stringify(m.status)).not.toContain(node('n2'));
      expect(m.status?.memberPreview?.map((p) => p.node)).toEqual([h.nodeName('n5')]);
      expect(h.members('K8S-TNT-DR')).toEqual([node('n1'), node('n2')]);
      await h.deleteMapping('dr-dry');
      await h.deleteMapping('dr-live');
      await gone('dr-dry');
      await gone('dr-live');
    });
  });

  it('Seen 3: one namespace’s podSelector {} uses up only its own quota (maxAddressesPerNamespace)', async () => {
    const dev = `${h.deviceName}-quota`;
    await h.createDevice(dev, { clusterName: 'tntq', limits: { maxAddressesPerNamespace: 2 } });
    for (const [p, n] of [
      ['q-1', 'n1'],
      ['q-2', 'n2'],
      ['q-3', 'n3'],
    ] as const)
      await h.runPod(p, { quota: 'greedy' }, n, [`10.244.9.${p.slice(2)}`], teamB);
    await h.runPod('q-a', { quota: 'modest' }, 'n4', ['10.244.9.10'], teamA);
    await h.applyMapping(
      'greedy',
      { devices: [dev], addressGroup: 'K8S-TNT-Q-B', addressType: 'Pod', podSelector: {} },
      teamB,
    );
    const greedy = await h.expectCondition(
      'greedy',
      'Ready',
      'False',
      'NamespaceAddressLimitReached',
      15_000,
      teamB,
    );
    expect(stalled(greedy)).toBe('True');
    expect(ready(greedy)?.message).toContain('maxAddressesPerNamespace (2)');
    await h.applyMapping('modest', {
      devices: [dev],
      addressGroup: 'K8S-TNT-Q-A',
      addressType: 'Pod',
      podSelector: { matchLabels: { quota: 'modest' } },
    });
    await h.expectMembers('K8S-TNT-Q-A', [podAddr(teamA, 'q-a', 'tntq')]);
    await h.expectCondition('modest', 'Ready', 'True', 'Synced');
    expect(h.members('K8S-TNT-Q-B') ?? ['none']).toEqual(['none']);
    await h.deleteMapping('greedy', teamB);
    await h.deleteMapping('modest');
    await gone('greedy', teamB);
    await gone('modest');
    await dropDevice(dev);
  });

  it('Seen 3: a Pending pod already bound to a node is not a member in Node mode until it runs', async () => {
    await h.core.createNamespacedPod({
      namespace: teamA,
      body: {
        metadata: { name: 'pend', labels: { app: 'pend' } },
        spec: { nodeName: h.nodeName('n3'), containers: [{ name: 'a', image: 'example.invalid/app:1' }] },
      },
    });
    await h.setPodStatus('pend', 'Pending', []);
    await h.applyMapping('pend', {
      addressGroup: 'K8S-TNT-PEND',
      podSelector: { matchLabels: { app: 'pend' } },
    });
    // The positive signal: a running pod created after the pending one is in, so the sync saw both.
    await h.runPod('pend-2', { app: 'pend' }, 'n4');
    await h.expectMembers('K8S-TNT-PEND', [node('n4')]);
    await h.setPodStatus('pend', 'Running', []);
    await h.expectMembers('K8S-TNT-PEND', [node('n3'), node('n4')]);
    await h.deleteMapping('pend');
    await gone('pend');
  });
});
