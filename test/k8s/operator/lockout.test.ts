import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH_PROOF_TTL_MS } from '../../../src/fortigate/auth-gate.js';
import { eventually } from '../../support/kube.js';
import { Harness, TOKEN } from '../../support/operator-harness.js';

const MINUTE = 60_000;

/**
 * FortiOS locks a source out after 3 failed logins within 60 s (the simulator's default lockout).
 * fortisync must never get there: at most 2 refused requests per FortiGate host in any 60 s, across
 * all devices, all requests in flight, and clients rebuilt after spec changes.
 */
describe('no lockout (simulator lockout on, 64 requests in flight)', () => {
  const h = new Harness({ name: 'lockout', clusterName: 'lck', device: { maxConcurrentRequests: 64 } });

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.71');
  });
  afterAll(async () => {
    // Cleanup needs the device: a fresh operator (and lockout guard) with the token restored.
    h.sim.faults.restoreToken(TOKEN);
    h.sim.faults.clearLockouts();
    await h.stopOperator();
    await h.startOperator();
    await h.stop();
  });

  /** The most 401s the simulator saw in any 60 s window since `seq`. */
  function worstMinute(seq: number): number {
    const times = h.sim.requestLog
      .entries({})
      .filter((e) => e.seq > seq && e.status === 401)
      .map((e) => e.timestampMs);
    return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u - t < MINUTE).length));
  }

  async function deviceReason(name: string, reason: string): Promise<void> {
    await eventually(
      async () => {
        const d = await h.device(name);
        return d?.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === reason)
          ? true
          : undefined;
      },
      { what: `${name} Ready reason ${reason}` },
    );
  }

  it('a token revoked while idle: a burst of 80 creates costs one refused request, no 429', async () => {
    await h.runPod('seed', { app: 'burst' }, 'n1', ['10.244.7.1']);
    await h.applyMapping('burst', {
      addressGroup: 'K8S-BURST',
      addressType: 'Pod',
      podSelector: { matchLabels: { app: 'burst' } },
    });
    // 80 pods the mapping does not select yet: one selector change makes one sync of 80 creates.
    await Promise.all(
      Array.from({ length: 80 }, (_, i) => h.runPod(`p-${i}`, { app: 'later' }, 'n1', [`10.244.8.${i + 1}`])),
    );
    await h.expectCondition('burst', 'Ready', 'True', 'Synced');
    const seq = await h.settledSeq();
    h.sim.faults.revokeToken(TOKEN);
    // Past the proof's lifetime: the next sync starts from a token not recently proven.
    await new Promise((r) => setTimeout(r, AUTH_PROOF_TTL_MS + 500));
    await h.applyMapping('burst', {
      addressGroup: 'K8S-BURST',
      addressType: 'Pod',
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['burst', 'later'] }] },
    });
    await deviceReason(h.deviceName, 'Unauthorized');
    await h.expectCondition('burst', 'Ready', 'False', 'Unauthorized');
    // More events must not add failures while the guard holds.
    await h.runPod('late', { app: 'burst' }, 'n1', ['10.244.9.1']);
    await h.operatorCaughtUp('pods', 'late');
    const refused = h.requestsSince(seq, 401).length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(worstMinute(seq)).toBeLessThanOrEqual(2);
    expect(h.requestsSince(seq, 429)).toEqual([]);
  }, 60_000);

  it('wrong tokens on three devices of one FortiGate, and spec changes that rebuild clients: ≤ 2 failures a minute', async () => {
    const seq = h.lastSeq();
    const names = ['a', 'b', 'c'].map((x) => `${h.deviceName}-${x}`);
    for (const [i, name] of names.entries()) {
      await h.setSecret({ token: `wrong-token-${i}` }, `wrong-${i}`);
      await h.createDevice(name, {
        clusterName: `lck${i}`,
        deletionPolicy: 'Retain',
        credentialsSecretRef: { name: `wrong-${i}`, namespace: h.ns },
      });
    }
    for (const name of names) await deviceReason(name, 'Unauthorized');
    // A new client per device (the concurrency is part of its fingerprint): the wait must survive.
    for (const name of names) await h.patchDevice({ maxConcurrentRequests: 7 }, name);
    for (const name of names) await h.patchDevice({ maxConcurrentRequests: 9 }, name);
    await eventually(
      async () => {
        const all = await Promise.all(names.map((n) => h.device(n)));
        return all.every((d) => d?.status?.observedGeneration === d?.metadata.generation) ? true : undefined;
      },
      { what: 'the operator saw every spec change' },
    );
    await h.operatorCaughtUp('devices', names[names.length - 1] as string);
    expect(worstMinute(seq)).toBeLessThanOrEqual(2);
    expect(h.requestsSince(seq, 429)).toEqual([]);
  }, 60_000);
});
