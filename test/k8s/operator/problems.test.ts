import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';

// Problems a person can act on, shown as conditions on the device and the mapping.
describe('problems shown as conditions', () => {
  const h = new Harness({ name: 'problems', clusterName: 'prb' });

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.61');
    await h.runPod('app-1', { app: 'p' }, 'n1');
  });
  afterAll(async () => {
    if (process.env.DUMP_LOGS) {
      const counts = new Map<string, number>();
      for (const l of h.logs) {
        const k = l.slice(0, 160);
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
      (await import('node:fs')).writeFileSync(
        '/tmp/problems-logs.txt',
        top.map(([k, v]) => `${v} ${k}`).join('\n'),
      );
    }
    // Devices that cannot reach the FortiGate cannot clean up: let them go without cleanup.
    for (const d of ['nosecret', 'nokey', 'badtoken', 'down']) {
      await h.patchDevice({ deletionPolicy: 'Retain' }, `${h.deviceName}-${d}`).catch(() => undefined);
    }
    await h.stop();
  });

  async function deviceCondition(name: string, type: string, status: string, reason: string) {
    let last: unknown;
    return eventually(
      async () => {
        const d = await h.device(name);
        const c = d?.status?.conditions?.find((x) => x.type === type);
        last = c;
        return c?.status === status && c.reason === reason ? d : undefined;
      },
      { what: `device ${name} ${type}=${status} (${reason}); last ${JSON.stringify(last)}` },
    );
  }

  it('an unknown device: DeviceNotFound, nothing written', async () => {
    const seq = h.lastSeq();
    await h.applyMapping('ghost', {
      devices: [`no-such-${h.id}`],
      addressGroup: 'K8S-GHOST',
      podSelector: { matchLabels: { app: 'p' } },
    });
    const m = await h.expectCondition('ghost', 'Ready', 'False', 'DeviceNotFound');
    expect(m.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(`no-such-${h.id}`);
    expect(h.writesSince(seq)).toBe(0);
    await h.deleteMapping('ghost');
    await eventually(async () => ((await h.mapping('ghost')) ? undefined : true), {
      what: 'ghost mapping gone',
    });
  });

  it('a missing Secret: SecretNotFound on the device (Ready and Connected) and on the mapping', async () => {
    const dev = `${h.deviceName}-nosecret`;
    // Its own clusterName: once it works it is a second device on the same FortiGate.
    await h.createDevice(dev, {
      clusterName: 'prb1',
      credentialsSecretRef: { name: 'missing', namespace: h.ns },
    });
    await h.applyMapping('nosecret', {
      devices: [dev],
      addressGroup: 'K8S-NOSECRET',
      podSelector: { matchLabels: { app: 'p' } },
    });
    const d = await deviceCondition(dev, 'Ready', 'False', 'SecretNotFound');
    expect(d.status?.conditions?.find((c) => c.type === 'Connected')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(d.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(`${h.ns}/missing`);
    await h.expectCondition('nosecret', 'Ready', 'False', 'SecretNotFound');
    // Creating the Secret is picked up by the watch.
    await h.setSecret({ token: TOKEN }, 'missing');
    await deviceCondition(dev, 'Ready', 'True', 'Synced');
    await h.expectCondition('nosecret', 'Ready', 'True', 'Synced');
    await h.expectMembers('K8S-NOSECRET', [`k8s-prb1-node-${h.nodeName('n1')}`]);
  });

  it('a Secret without the key: SecretKeyMissing', async () => {
    const dev = `${h.deviceName}-nokey`;
    await h.setSecret({ password: 'x' }, 'nokey');
    await h.createDevice(dev, { credentialsSecretRef: { name: 'nokey', namespace: h.ns } });
    await h.applyMapping('nokey', {
      devices: [dev],
      addressGroup: 'K8S-NOKEY',
      podSelector: { matchLabels: { app: 'p' } },
    });
    const d = await deviceCondition(dev, 'Ready', 'False', 'SecretKeyMissing');
    expect(d.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain('"token"');
    await h.expectCondition('nokey', 'Ready', 'False', 'SecretKeyMissing');
  });

  it('a wrong token: Unauthorized, fewer than 3 failed logins a minute, and the fixed token is picked up at once', async () => {
    const dev = `${h.deviceName}-badtoken`;
    const seq = h.lastSeq();
    await h.setSecret({ token: 'wrong-token-0000' }, 'badtoken');
    // Its own clusterName: once its token works it is a second device on the same FortiGate.
    await h.createDevice(dev, {
      clusterName: 'prb2',
      credentialsSecretRef: { name: 'badtoken', namespace: h.ns },
    });
    await h.applyMapping('badtoken', {
      devices: [dev],
      addressGroup: 'K8S-BADTOKEN',
      podSelector: { matchLabels: { app: 'p' } },
    });
    const d = await deviceCondition(dev, 'Ready', 'False', 'Unauthorized');
    expect(d.status?.conditions?.find((c) => c.type === 'Connected')).toMatchObject({
      status: 'False',
      reason: 'Unauthorized',
    });
    expect(JSON.stringify(d.status)).not.toContain('wrong-token');
    await h.expectCondition('badtoken', 'Ready', 'False', 'Unauthorized');
    // Events that would re-enqueue the device (pods, mapping edits) must not make it retry.
    await h.runPod('app-2', { app: 'p' }, 'n1');
    await h.applyMapping('badtoken', {
      devices: [dev],
      addressGroup: 'K8S-BADTOKEN',
      podSelector: { matchLabels: { app: 'p' } },
      addressType: 'Node',
    });
    await h.setPodStatus('app-2', 'Running', ['10.244.1.99']);
    await h.operatorCaughtUp('pods', 'app-2');
    const failures = h.requestsSince(seq, 401);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.length).toBeLessThan(3);
    expect(h.requestsSince(seq, 429)).toEqual([]);
    expect(h.logs.join('')).not.toContain('wrong-token-0000');
    // The token fixed in the Secret (in place): picked up without restarting, without waiting out the back-off.
    const fixedAt = Date.now();
    await h.core.patchNamespacedSecret(
      { namespace: h.ns, name: 'badtoken', body: { stringData: { token: TOKEN } } },
      (await import('../../support/operator-harness.js')).mergePatch(),
    );
    await deviceCondition(dev, 'Ready', 'True', 'Synced');
    expect(Date.now() - fixedAt).toBeLessThan(15_000);
    await h.expectCondition('badtoken', 'Ready', 'True', 'Synced');
    await h.expectMembers('K8S-BADTOKEN', [`k8s-prb2-node-${h.nodeName('n1')}`]);
    expect(h.requestsSince(seq, 401).length).toBeLessThan(3);
  });

  it('the device unreachable: Unreachable on the device and the mapping', async () => {
    const dev = `${h.deviceName}-down`;
    await h.createDevice(dev, { url: 'https://127.0.0.1:1' });
    await h.applyMapping('down', {
      devices: [dev],
      addressGroup: 'K8S-DOWN',
      podSelector: { matchLabels: { app: 'p' } },
    });
    await deviceCondition(dev, 'Connected', 'False', 'Unreachable');
    await h.expectCondition('down', 'Ready', 'False', 'Unreachable');
  });
});
