import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Harness } from '../../support/operator-harness.js';
import { runPlugin } from './run-plugin.js';

// `kubectl fortisync trace` against the real API server, the operator and the simulator: one
// fixture, a pod for each way of (not) being in the group.
describe('kubectl fortisync trace', () => {
  const h = new Harness({ name: 'trace', clusterName: 'prod' });
  const w1 = () => `k8s-prod-node-${h.nodeName('worker-1')}`;
  let otherNs = '';
  const fw = (s: string) => `${h.deviceName}-${s}`;

  // `trace ip` looks for the IP in the whole cluster: addresses no other test file uses.
  beforeAll(async () => {
    await h.start();
    await h.createNode('worker-1', '203.0.113.71');
    await h.createNode('worker-2', '203.0.113.72');
    // A device that grants no namespace, and one nobody can reach (a closed port).
    await h.createDevice(fw('granted'), {
      clusterName: 'prod2',
      access: { namespaceSelector: { matchLabels: { 'fortisync.io/granted': 'yes' } } },
    });
    await h.createDevice(fw('down'), { clusterName: 'prod3', url: 'https://127.0.0.1:1' });
    await h.applyMapping('dmz-frontend', { podSelector: { matchLabels: { app: 'frontend', zone: 'dmz' } } });
    await h.applyMapping('restricted', {
      devices: [fw('granted')],
      addressGroup: 'K8S-RESTRICTED',
      podSelector: { matchLabels: { app: 'frontend' } },
    });
    await h.applyMapping('unreachable', {
      devices: [fw('down')],
      addressGroup: 'K8S-DOWN',
      podSelector: { matchLabels: { app: 'frontend' } },
    });
    await h.applyMapping('paused', {
      addressGroup: 'K8S-PAUSED',
      podSelector: { matchLabels: { app: 'frontend' } },
      suspend: true,
    });
    otherNs = await h.createNamespace('other');
    await h.applyMapping(
      'elsewhere',
      { addressGroup: 'K8S-ELSEWHERE', podSelector: { matchLabels: { app: 'frontend' } } },
      otherNs,
    );
    await h.runPod('frontend-1', { app: 'frontend', zone: 'dmz' }, 'worker-1', ['10.244.71.5']);
    await h.runPod('api-1', { app: 'frontend', zone: 'lan' }, 'worker-1', ['10.244.71.6']);
    await h.core.createNamespacedPod({
      namespace: h.ns,
      body: {
        metadata: { name: 'waiting', labels: { app: 'frontend', zone: 'dmz' } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
      },
    });
    await h.expectMembers('K8S-DMZ', [w1()]);
    // The firewall admin's policy on the group.
    h.sim.state.seed('firewall/policy', {
      policyid: 7,
      name: 'dmz-to-login',
      srcaddr: [{ name: 'K8S-DMZ' }],
      dstaddr: [{ name: 'all' }],
      action: 'accept',
    });
    // ... and a group of the admin's nesting it, with its own policy.
    h.sim.state.seed('firewall/addrgrp', {
      name: 'ALL-DMZ',
      member: [{ name: 'K8S-DMZ' }],
      comment: 'admin',
    });
    h.sim.state.seed('firewall/policy', {
      policyid: 8,
      name: 'all-dmz-out',
      srcaddr: [{ name: 'ALL-DMZ' }],
      dstaddr: [{ name: 'all' }],
      action: 'deny',
    });
    await h.expectCondition('dmz-frontend', 'Ready', 'True', 'Synced');
  }, 60_000);
  afterAll(async () => h.stop());

  const rowOf = (stdout: string, mapping: string) =>
    stdout
      .split('\n')
      .find((l) => l.startsWith(`${h.ns}/${mapping} `) || l.startsWith(`${otherNs}/${mapping} `));

  it('a selected pod: its node, the address, the group on the device, the policy, in sync', async () => {
    const r = await runPlugin(['trace', 'pod', `${h.ns}/frontend-1`]);
    if (process.env.FORTISYNC_SHOW_TRACE) console.log(r.stdout);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(
      `pod    ${h.ns}/frontend-1 (Running) on node ${h.nodeName('worker-1')}, IPs 10.244.71.5`,
    );
    expect(lines[1]).toBe(`node   ${h.nodeName('worker-1')}: InternalIP 203.0.113.71`);
    expect(rowOf(r.stdout, 'dmz-frontend')).toMatch(
      new RegExp(
        `^${h.ns}/dmz-frontend +${h.deviceName} +IPv4 +Node +${w1()} \\(203\\.0\\.113\\.71\\) +K8S-DMZ +member +InSync$`,
      ),
    );
    expect(r.stdout).toContain(
      `${w1()} (203.0.113.71) is in K8S-DMZ, as desired\n  (podSelector app=frontend ✓, zone=dmz ✓; the mapping's own namespace)`,
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `GROUPS \\(read live\\)\\nDEVICE +FAMILY +ADDRESS +IN GROUPS\\n${h.deviceName} +IPv4 +${w1()} +K8S-DMZ, ALL-DMZ \\(nested\\)\\n`,
      ),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `POLICIES\\nDEVICE +ID +NAME +ACTION +SOURCE +DESTINATION +VIA\\n` +
          `${h.deviceName} +7 +dmz-to-login +accept +K8S-DMZ +all +K8S-DMZ\\n` +
          `${h.deviceName} +8 +all-dmz-out +deny +ALL-DMZ +all +ALL-DMZ\\n`,
      ),
    );
    expect(r.stdout).toContain(`${h.deviceName}: read live; in sync (the operator's plan is empty)`);
  });

  it('says why not, for every other mapping of the pod', async () => {
    const r = await runPlugin(['trace', 'pod', `${h.ns}/frontend-1`, '-o', 'json']);
    const t = JSON.parse(r.stdout) as {
      rows: { mapping: string; verdict: { state: string; reason: string; message: string } }[];
    };
    const verdicts = Object.fromEntries(
      t.rows.map((row) => [row.mapping.split('/')[1], `${row.verdict.state} ${row.verdict.reason}`]),
    );
    expect(verdicts).toEqual({
      'dmz-frontend': 'member InSync',
      restricted: 'excluded NamespaceNotAllowed',
      unreachable: 'unknown DeviceUnreadable',
      paused: 'held MappingSuspended',
      elsewhere: 'excluded NamespaceNotSelected',
    });
    const down = t.rows.find((row) => row.mapping.endsWith('/unreachable'));
    expect(down?.verdict.message).toContain('device unreachable');
  });

  it('a pod the selector misses, on a node that is a member for another pod', async () => {
    const r = await runPlugin(['trace', 'pod', 'api-1', '-n', h.ns]);
    expect(r.code).toBe(0);
    expect(rowOf(r.stdout, 'dmz-frontend')).toMatch(/ excluded +LabelsNotMatched$/);
    expect(r.stdout).toContain('podSelector of');
    expect(r.stdout).toContain('app=frontend ✓, zone=dmz ✗');
    expect(r.stdout).toContain(
      `${w1()} is in K8S-DMZ for other pods on node ${h.nodeName('worker-1')}, so traffic from this pod passes anyway`,
    );
  });

  it('a pod not scheduled yet is pending', async () => {
    const r = await runPlugin(['trace', 'pod', `${h.ns}/waiting`]);
    expect(r.stdout.split('\n')[0]).toBe(`pod    ${h.ns}/waiting (Pending), not scheduled, no IP yet`);
    expect(rowOf(r.stdout, 'dmz-frontend')).toMatch(/ pending +PodNotScheduled$/);
  });

  it('trace ip: a pod IP traces the pod; a node IP shows the objects and policies holding it', async () => {
    const byPod = await runPlugin(['trace', 'ip', '10.244.71.5']);
    expect(byPod.stdout.split('\n')[0]).toContain(`${h.ns}/frontend-1`);
    const byNode = await runPlugin(['trace', 'ip', '203.0.113.71']);
    expect(byNode.code).toBe(0);
    expect(byNode.stdout).toContain(`ip 203.0.113.71: an address of node ${h.nodeName('worker-1')}`);
    expect(byNode.stdout).toMatch(new RegExp(`${h.deviceName} +IPv4 +${w1()} +K8S-DMZ +yes\\n`));
    expect(byNode.stdout).toMatch(/ 7 +dmz-to-login +accept /);
  });

  it('clear errors: an unknown pod, a bad argument', async () => {
    const missing = await runPlugin(['trace', 'pod', `${h.ns}/nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`error: pod ${h.ns}/nope not found\n`);
    const bad = await runPlugin(['trace', 'ip', 'not-an-ip']);
    expect(bad.stderr).toBe('error: not an IP address: not-an-ip\n');
  });
});
