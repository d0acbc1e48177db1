import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness } from '../../support/operator-harness.js';
import { runPlugin } from './run-plugin.js';

interface Row {
  mapping: string;
  device: string;
  family: string;
  verdict: { state: string; reason: string; message: string };
}

// More of trace's "why not" branches against the real API server, the operator and the simulator
// (test/unit/inspect/why-not.test.ts has every branch as a table).
describe('kubectl fortisync trace: why not', () => {
  const h = new Harness({ name: 'whynot', clusterName: 'prod' });
  const fw = (s: string) => `${h.deviceName}-${s}`;
  const w1 = () => `k8s-prod-node-${h.nodeName('worker-1')}`;

  /** The verdicts of one pod, keyed by mapping name (and family when the mapping has two). */
  async function verdicts(pod: string): Promise<Record<string, string>> {
    const r = await runPlugin(['trace', 'pod', `${h.ns}/${pod}`, '-o', 'json']);
    expect(r.stderr).toBe('');
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    // Other test files share the control plane: a mapping of theirs with a namespaceSelector may
    // select this pod too. Only this file's mappings are its business.
    return Object.fromEntries(
      rows
        .filter((row) => row.mapping.startsWith(`${h.ns}/`))
        .map((row) => [row.mapping.split('/')[1], `${row.verdict.state} ${row.verdict.reason}`]),
    );
  }

  beforeAll(async () => {
    await h.start();
    await h.createNode('worker-1', '192.0.2.21');
    await h.createNode('worker-2', '192.0.2.22');
    await h.createDevice(fw('strict'), { clusterName: 'strict', access: { allowedGroups: ['K8S-OK-*'] } });
    await h.createDevice(fw('lim'), { clusterName: 'lim', limits: { maxMembersPerGroup: 1 } });
    await h.applyMapping('dmz', { podSelector: { matchLabels: { app: 'web' } } });
    await h.applyMapping('v6', {
      addressGroup: 'K8S-V6',
      ipFamilies: ['IPv6'],
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.applyMapping('podmode', {
      addressGroup: 'K8S-PODS',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.applyMapping('strict', {
      devices: [fw('strict')],
      addressGroup: 'K8S-NOPE',
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.applyMapping('nodevice', {
      devices: [`${h.id}-no-such-fw`],
      addressGroup: 'K8S-X',
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.applyMapping('limited', {
      devices: [fw('lim')],
      addressGroup: 'K8S-LIM',
      podSelector: { matchLabels: { app: 'web' } },
    });
    await h.runPod('web-1', { app: 'web' }, 'worker-1', ['10.244.1.5']);
    // The limit of one member is met by web-1's node before web-2 comes.
    await h.expectMembers('K8S-LIM', [`k8s-lim-node-${h.nodeName('worker-1')}`]);
    await h.runPod('web-2', { app: 'web' }, 'worker-2', ['10.244.2.5']);
    await h.expectMembers('K8S-DMZ', [w1(), `k8s-prod-node-${h.nodeName('worker-2')}`]);
    await h.expectMembers('K8S-PODS', [`k8s-prod-pod-${h.ns}.web-1`, `k8s-prod-pod-${h.ns}.web-2`]);
    await h.expectCondition('limited', 'Ready', 'False', 'MemberLimitReached');
  }, 60_000);
  afterAll(async () => h.stop());

  it('group not allowed, device missing, no address of the family, a limit: each said', async () => {
    expect(await verdicts('web-1')).toEqual({
      dmz: 'member InSync',
      v6: 'excluded NoNodeAddress',
      podmode: 'member InSync',
      strict: 'excluded GroupNotAllowed',
      nodevice: 'excluded DeviceNotFound',
      limited: 'member InSync',
    });
    expect((await verdicts('web-2')).limited).toBe('held MemberLimitReached');
  });

  it('a finished pod, a pod starting without an IP, a terminating pod', async () => {
    await h.runPod('done', { app: 'web' }, 'worker-1', []);
    await h.setPodStatus('done', 'Succeeded', []);
    await h.runPod('starting', { app: 'web' }, 'worker-2', []);
    await h.setPodStatus('starting', 'Pending', []);
    await h.runPod('leaving', { app: 'web' }, 'worker-1', ['10.244.1.9']);
    // No kubelet runs here: a pod deleted with a grace period stays Terminating.
    await h.core.deleteNamespacedPod({ namespace: h.ns, name: 'leaving', gracePeriodSeconds: 300 });
    expect((await verdicts('done')).dmz).toBe('excluded PodFinished');
    expect((await verdicts('starting')).podmode).toBe('pending NoPodIP');
    expect((await verdicts('leaving')).podmode).toBe('excluded PodTerminating');
  });

  describe('with the operator stopped', () => {
    beforeAll(async () => h.stopOperator());
    // The operator cleans up (finalizers) when the harness stops.
    afterAll(async () => {
      await h.startOperator();
    });

    it('a hand-edited address is drift; a new pod is not written yet; a deleted mapping lets go', async () => {
      await h.admin().update('firewall/address', w1(), { subnet: '192.0.2.99 255.255.255.255' });
      await h.runPod('web-3', { app: 'web' }, 'worker-1', ['10.244.1.7']);
      const v = await verdicts('web-3');
      expect(v.dmz).toBe('drift AddressDrift');
      expect(v.podmode).toBe('pending NotYetSynced');
      await h.deleteMapping('podmode');
      await eventually(async () =>
        (await h.mapping('podmode'))?.metadata.deletionTimestamp ? true : undefined,
      );
      expect((await verdicts('web-1')).podmode).toBe('excluded MappingDeleting');
      const text = await runPlugin(['trace', 'pod', `${h.ns}/web-3`]);
      expect(text.stdout).toContain(`${w1()} is in K8S-DMZ but holds 192.0.2.99 instead of 192.0.2.21`);
      expect(text.stdout).toMatch(new RegExp(`${h.deviceName}: read live; \\d+ pending operation\\(s\\)`));
    });
  });
});
