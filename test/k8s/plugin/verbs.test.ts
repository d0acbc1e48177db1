import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoordinationV1Api, CoreV1Api, RbacAuthorizationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../support/kube.js';
import { Harness, mergePatch, TOKEN } from '../../support/operator-harness.js';
import { serviceAccountKubeConfig } from '../../support/service-account.js';
import { runPlugin } from './run-plugin.js';

const RO_TOKEN = 'read-only-token-0123456789abcdef';

/** A kubeconfig file for a ServiceAccount that may read everything `kubectl fortisync` needs but Secrets. */
async function viewerKubeconfig(h: Harness, dir: string): Promise<string> {
  const core = h.kc.makeApiClient(CoreV1Api);
  const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
  const name = `fortisync-viewer-${h.id}`;
  await core.createNamespacedServiceAccount({ namespace: h.ns, body: { metadata: { name: 'viewer' } } });
  await rbac.createClusterRole({
    body: {
      metadata: { name, labels: h.labels },
      rules: [
        { apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list'] },
        { apiGroups: ['fortisync.io'], resources: ['*'], verbs: ['get', 'list'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name, labels: h.labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: h.ns }],
    },
  });
  const kc = await serviceAccountKubeConfig(h, 'viewer');
  const path = join(dir, 'viewer.kubeconfig');
  writeFileSync(path, kc.exportConfig());
  return path;
}

describe('kubectl fortisync status, plan, orphans, check', () => {
  const h = new Harness({
    name: 'verbs',
    clusterName: 'prod',
    simulator: { tokens: [TOKEN, { token: RO_TOKEN, readOnly: true }] },
  });
  const w1 = () => `k8s-prod-node-${h.nodeName('worker-1')}`;
  const w2 = () => `k8s-prod-node-${h.nodeName('worker-2')}`;
  const ro = () => `${h.deviceName}-ro`;
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-plugin-'));

  beforeAll(async () => {
    await h.start();
    await h.createNode('worker-1', '192.0.2.11');
    await h.createNode('worker-2', '192.0.2.12');
    await h.core.createNamespacedSecret({
      namespace: h.ns,
      body: { metadata: { name: 'ro-token' }, stringData: { token: RO_TOKEN } },
    });
    await h.createDevice(ro(), {
      clusterName: 'ro',
      credentialsSecretRef: { name: 'ro-token', namespace: h.ns },
    });
    await h.applyMapping('dmz-frontend', { podSelector: { matchLabels: { app: 'frontend' } } });
    await h.runPod('frontend-1', { app: 'frontend' }, 'worker-1', ['10.244.1.5']);
    await h.runPod('api-1', { app: 'api' }, 'worker-2', ['10.244.2.5']);
    await h.expectMembers('K8S-DMZ', [w1()]);
    await h.expectStatusMembers('dmz-frontend', 1);
    // The leader's Lease, as the operator's leader election writes it.
    await h.kc.makeApiClient(CoordinationV1Api).createNamespacedLease({
      namespace: h.ns,
      body: {
        metadata: { name: 'fortisync-leader' },
        spec: {
          holderIdentity: 'fortisync-7d9f_1a2b',
          renewTime: new V1MicroTime(Date.now()),
          leaseDurationSeconds: 15,
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
    const name = `fortisync-viewer-${h.id}`;
    await rbac.deleteClusterRoleBinding({ name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name }).catch(() => undefined);
    // Stopped for the orphans and check tests; it removes the finalizers when the harness stops.
    if (!h.operator) await h.startOperator();
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('status', () => {
    it('devices, mappings, the leader at a glance; --live compares with the device', async () => {
      // Counts in statuses trail by up to 5 s (progress-only status writes are throttled).
      const deviceLine = /^\S+ +True +Synced +v\d+\.\d+\.\d+ +1 +1 +\d+s ago +-$/;
      const r = await eventually(
        async () => {
          const out = await runPlugin(['status', '--operator-namespace', h.ns]);
          const line = out.stdout.split('\n').find((l) => l.startsWith(`${h.deviceName} `));
          return line && deviceLine.test(line) ? out : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 500, what: 'the device row with 1 address and 1 group' },
      );
      expect(r.code).toBe(0);
      const mappingLine = r.stdout.split('\n').find((l) => l.startsWith(`${h.ns} `));
      expect(mappingLine).toMatch(
        new RegExp(`^${h.ns} +dmz-frontend +True +Synced +${h.deviceName} +K8S-DMZ +Node +1 +\\d+s ago$`),
      );
      expect(r.stdout).toMatch(
        new RegExp(`LEADER\\nfortisync-7d9f_1a2b \\(lease ${h.ns}/fortisync-leader, renewed \\d+s ago\\)\\n`),
      );
      const live = await runPlugin(['status', '--live', '--operator-namespace', h.ns, '-o', 'json']);
      const report = JSON.parse(live.stdout) as { devices: { name: string; drift?: unknown }[] };
      expect(report.devices.find((d) => d.name === h.deviceName)?.drift).toEqual({ pendingOperations: 0 });
    });

    it('yaml for scripts; no leader is said plainly', async () => {
      const r = await runPlugin(['status', '--operator-namespace', `${h.ns}-none`, '-o', 'yaml']);
      expect(r.stdout).toContain(`lease: ${h.ns}-none/fortisync-leader\n`);
      const text = await runPlugin(['status', '--operator-namespace', `${h.ns}-none`]);
      expect(text.stdout).toContain(`none: lease ${h.ns}-none/fortisync-leader has no holder`);
    });
  });

  describe('plan', () => {
    it("lists what manifests would change, with the operator's own plan, writing nothing (a read-only token is enough)", async () => {
      const file = join(dir, 'change.yaml');
      writeFileSync(
        file,
        [
          `apiVersion: fortisync.io/v1alpha1\nkind: FortiGateEndpointMapping\nmetadata: { name: dmz-frontend, namespace: ${h.ns} }\nspec: { devices: [${h.deviceName}], addressGroup: K8S-DMZ, podSelector: { matchLabels: { app: api } } }`,
          `apiVersion: fortisync.io/v1alpha1\nkind: FortiGateEndpointMapping\nmetadata: { name: api, namespace: ${h.ns} }\nspec: { devices: [${ro()}], addressGroup: K8S-API, podSelector: { matchLabels: { app: api } } }`,
          `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: ${h.ns} }`,
        ].join('\n---\n'),
      );
      const seq = h.lastSeq();
      const r = await runPlugin(['plan', '-f', file]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.indexOf(`${h.deviceName}: 3 operation(s)`);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(lines.slice(at + 1, at + 5).map((l) => l.split(/ {3,}/).join('|'))).toEqual([
        'OP|FAMILY|OBJECT|DETAIL',
        `createAddress|IPv4|${w2()}|192.0.2.12`,
        `setGroupMembers|IPv4|K8S-DMZ|+${w2()} -${w1()}`,
        `deleteAddress|IPv4|${w1()}`,
      ]);
      expect(r.stdout).toContain(`${ro()}: 2 operation(s)`);
      expect(r.stdout).toMatch(/createGroup +IPv4 +K8S-API +members k8s-ro-node-/);
      expect(r.stdout).toContain(
        `ignored (not FortiGateEndpointMapping, FortiGateDevice, FortiManagerTarget or Namespace): Deployment ${h.ns}/web`,
      );
      // Read, never written: every request since is a GET, and there were some.
      const since = h.requestsSince(seq);
      expect(since.length).toBeGreaterThan(0);
      expect(since.filter((e) => e.method !== 'GET')).toEqual([]);
    });

    it('a directory of manifests; an unknown device and a bad path are clear', async () => {
      const sub = join(dir, 'manifests');
      (await import('node:fs')).mkdirSync(sub);
      writeFileSync(
        join(sub, 'm.yaml'),
        `apiVersion: fortisync.io/v1alpha1\nkind: FortiGateEndpointMapping\nmetadata: { name: x, namespace: ${h.ns} }\nspec: { devices: [no-such-fw], addressGroup: G, podSelector: {} }`,
      );
      const r = await runPlugin(['plan', '-f', sub, '-o', 'json']);
      expect(JSON.parse(r.stdout)).toEqual({
        devices: [
          {
            device: 'no-such-fw',
            error: 'no such FortiGateDevice (in the cluster or the manifests)',
            operations: [],
            problems: [],
          },
        ],
        targets: [],
        ignored: [],
      });
      const bad = await runPlugin(['plan', '-f', join(dir, 'nope.yaml')]);
      expect(bad.stderr).toBe(`error: -f ${join(dir, 'nope.yaml')}: no such file or directory\n`);
    });
  });

  describe('orphans (operator stopped, as after an uninstall in the wrong order)', () => {
    beforeAll(async () => {
      await h.stopOperator();
      const admin = h.admin();
      await admin.create('firewall/address', {
        name: 'legacy',
        subnet: '198.51.100.1 255.255.255.255',
        comment: 'admin',
      });
      await admin.create('firewall/address', {
        name: 'k8s-prod-node-gone',
        subnet: '192.0.2.99 255.255.255.255',
        comment: '[fortisync:prod] node gone of cluster prod',
      });
      await admin.create('firewall/addrgrp', {
        name: 'OLD-GRP',
        member: [{ name: 'k8s-prod-node-gone' }],
        // The marker starts the comment and names the group (a copied comment owns nothing).
        comment: '[fortisync:prod] OLD-GRP: group created by fortisync',
      });
      await admin.create('firewall/addrgrp', {
        name: 'ADMIN-GRP',
        member: [{ name: 'legacy' }, { name: 'k8s-prod-node-gone' }],
        comment: 'the admin',
      });
      await admin.create('firewall/address', {
        name: 'k8s-old-node-x',
        subnet: '192.0.2.98 255.255.255.255',
        comment: '[fortisync:old] node x of cluster old',
      });
    });

    it('lists what nothing wants, refuses to delete without a confirmation, then deletes only that', async () => {
      const list = await runPlugin(['orphans', '--device', h.deviceName]);
      expect(list.code).toBe(0);
      expect(list.stdout.split('\n').map((l) => l.split(/ {3,}/).join('|'))).toEqual([
        `${h.deviceName} (marker [fortisync:prod]): 3 left behind`,
        'OP|FAMILY|OBJECT|DETAIL',
        'setGroupMembers|IPv4|ADMIN-GRP|-k8s-prod-node-gone',
        'deleteGroup|IPv4|OLD-GRP|had k8s-prod-node-gone',
        'deleteAddress|IPv4|k8s-prod-node-gone',
        '',
      ]);
      // A leader that renewed its Lease just now: the plugin says the operator is running.
      await h.kc.makeApiClient(CoordinationV1Api).patchNamespacedLease(
        {
          namespace: h.ns,
          name: 'fortisync-leader',
          body: { spec: { renewTime: new V1MicroTime(Date.now()) } },
        },
        mergePatch(),
      );
      const refused = await runPlugin([
        'orphans',
        '--device',
        h.deviceName,
        '--delete',
        '--operator-namespace',
        h.ns,
      ]);
      expect(refused.stderr).toContain('note: the operator is running (leader fortisync-7d9f_1a2b)');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'error: refusing to delete without a terminal to confirm on\n  next: look at the list first, then pass --yes\n',
      );
      expect(h.address('k8s-prod-node-gone')).toBeDefined();

      const done = await runPlugin(['orphans', '--device', h.deviceName, '--delete', '--yes']);
      expect(done.code).toBe(0);
      expect(done.stdout).toContain('deleteAddress IPv4 k8s-prod-node-gone: done');
      expect(h.address('k8s-prod-node-gone')).toBeUndefined();
      expect(h.members('OLD-GRP')).toBeUndefined();
      expect(h.members('ADMIN-GRP')).toEqual(['legacy']);
      // The wanted objects and the other cluster's are untouched.
      expect(h.members('K8S-DMZ')).toEqual([w1()]);
      expect(h.address('k8s-old-node-x')).toBeDefined();
      const again = await runPlugin(['orphans', '--device', h.deviceName]);
      expect(again.stdout).toBe(`${h.deviceName} (marker [fortisync:prod]): nothing left behind\n`);
    });

    it('--cluster-name finds what a renamed cluster left', async () => {
      const r = await runPlugin(['orphans', '--device', h.deviceName, '--cluster-name', 'old', '-o', 'json']);
      expect(JSON.parse(r.stdout)).toEqual([
        {
          device: h.deviceName,
          clusterName: 'old',
          orphans: [{ op: 'deleteAddress', family: 'IPv4', name: 'k8s-old-node-x' }],
        },
      ]);
    });
  });

  describe('check', () => {
    it('a healthy device: every check passes; --write-test proves write rights and leaves nothing', async () => {
      const r = await runPlugin(['check', h.deviceName, '--write-test']);
      expect(r.code).toBe(0);
      const rows = r.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(/ {3,}/).slice(0, 2).join('|'));
      expect(rows).toEqual([
        'CHECK|RESULT',
        'spec|ok',
        'credentials|ok',
        'tls|ok',
        'api token|ok',
        'trusted hosts|info',
        'features|info',
        'read firewall/address|ok',
        'read firewall/address6|ok',
        'read firewall/addrgrp|ok',
        'read firewall/addrgrp6|ok',
        'read firewall/policy|ok',
        'write address+addrgrp|ok',
      ]);
      expect(r.stdout).toMatch(/trusted by the CA of spec.tls, name matches/);
      expect(h.addressNames().filter((n) => n.startsWith('fortisync-preflight-'))).toEqual([]);
    });

    it('a read-only token: reads pass, the write test fails with the admin profile to fix', async () => {
      const r = await runPlugin(['check', ro(), '--write-test', '-o', 'json']);
      expect(r.code).toBe(1);
      const checks = (JSON.parse(r.stdout) as { checks: { check: string; result: string; detail: string }[] })
        .checks;
      expect(checks.find((c) => c.check === 'read firewall/addrgrp')?.result).toBe('ok');
      const write = checks.find((c) => c.check === 'write address+addrgrp');
      expect(write?.result).toBe('fail');
      expect(write?.detail).toContain('read-write on firewall address');
    });

    it('a refused token is tried once (FortiOS lockout), with the next step', async () => {
      await h.setSecret({ token: 'wrong-token-0123456789abcdef' }, 'bad-token');
      await h.createDevice(`${h.deviceName}-bad`, {
        clusterName: 'bad',
        credentialsSecretRef: { name: 'bad-token', namespace: h.ns },
      });
      const seq = h.lastSeq();
      const r = await runPlugin(['check', `${h.deviceName}-bad`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /api token +fail +refused \(401\): a wrong or expired token, or this machine is not among the API admin's trusted hosts/,
      );
      expect(h.requestsSince(seq).map((e) => e.status)).toEqual([401]);
    });

    it('TLS: a certificate no configured CA vouches for fails; insecureSkipVerify only warns', async () => {
      await h.createDevice(`${h.deviceName}-noca`, { clusterName: 'noca', tls: {} });
      const r = await runPlugin(['check', `${h.deviceName}-noca`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /\ntls +fail +certificate .*not trusted by the system's CAs: [A-Z_]+; fix spec\.tls.*\n$/,
      );
      await h.createDevice(`${h.deviceName}-insecure`, {
        clusterName: 'insecure',
        tls: { insecureSkipVerify: true },
      });
      const w = await runPlugin(['check', `${h.deviceName}-insecure`]);
      expect(w.stdout).toMatch(
        /\ntls +warn +certificate .*NOT verified \([A-Z_]+\), and spec\.tls\.insecureSkipVerify accepts it/,
      );
    });

    it('a VDOM the device does not have fails the reads, naming it', async () => {
      await h.createDevice(`${h.deviceName}-vdom`, { clusterName: 'vdom', vdom: 'no-such-vdom' });
      const r = await runPlugin(['check', `${h.deviceName}-vdom`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /\nread firewall\/address +fail +VDOM no-such-vdom does not exist on this device \(.*\); fix spec\.vdom\n/,
      );
    });

    it('a Secret without the key the device names: said, with the key', async () => {
      await h.createDevice(`${h.deviceName}-nokey`, {
        clusterName: 'nokey',
        credentialsSecretRef: { name: 'fw-token', namespace: h.ns, key: 'api-token' },
      });
      const r = await runPlugin(['check', `${h.deviceName}-nokey`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`\\ncredentials +fail +key "api-token" of secret ${h.ns}/fw-token not found`),
      );
    });

    it('a device that is not listening: unreachable, from this machine', async () => {
      await h.createDevice(`${h.deviceName}-down`, { clusterName: 'down', url: 'https://127.0.0.1:1' });
      const r = await runPlugin(['check', `${h.deviceName}-down`]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /reachability +fail +https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1 \(from this machine/,
      );
    });

    it("without permission to read the token Secret: a clear error naming it (the user's permissions, not the operator's)", async () => {
      const kubeconfig = await viewerKubeconfig(h, dir);
      const r = await runPlugin(['check', h.deviceName], kubeconfig);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(`credentials +fail +you may not get secret ${h.ns}/fw-token \\(403 Forbidden\\)`),
      );
      // status still answers without the leader's Lease and the Events, and says what it could not read.
      const st = await runPlugin(['status', '--operator-namespace', h.ns], kubeconfig);
      expect(st.code).toBe(0);
      expect(st.stdout).toMatch(new RegExp(`\\n${h.deviceName} +True +Synced `));
      expect(st.stdout).toContain(`note: you may not get lease ${h.ns}/fortisync-leader (403 Forbidden)\n`);
      expect(st.stdout).toContain('note: you may not list events --all-namespaces (403 Forbidden)\n');
      const t = await runPlugin(['trace', 'pod', `${h.ns}/frontend-1`], kubeconfig);
      expect(t.stdout).toContain(
        `${h.deviceName}: not read: you may not get secret ${h.ns}/fw-token (403 Forbidden)\n  next: check with \`kubectl auth can-i get secret\``,
      );
    });
  });
});
