import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startControlPlane, type ControlPlane } from '../../support/control-plane.js';
import { installCrds } from '../../support/crds.js';
import { Harness } from '../../support/operator-harness.js';
import { Relay, throughRelay } from '../../support/relay.js';
import { Audit } from './audit.js';
import { recordFigures, startOperatorWith, type Expected } from './support.js';

// The operator loses the API server (its watches break), a pod is deleted and another created while
// it cannot see anything, and the API server restarts with a fresh watch cache, so the informers'
// resourceVersions are too old (a genuine 410 Gone). When the operator can reach it again, the
// informers relist and the FortiGate follows: the deleted pod's node leaves the group.
// Restarting the run's shared API server would disturb every other test file: this file runs its own.
describe('reliability: the API server restarted under the operator', () => {
  let cp: ControlPlane;
  let h: Harness;
  let relay: Relay;
  const previous = process.env.FORTISYNC_TEST_KUBECONFIG;

  beforeAll(async () => {
    cp = await startControlPlane({ controllers: [], maxLifetimeSeconds: 600 });
    await installCrds(cp.kubeConfig());
    process.env.FORTISYNC_TEST_KUBECONFIG = cp.kubeconfigPath;
    h = new Harness({ name: 'rel-apiserver', clusterName: 'ra', startOperator: false });
    await h.start();
    const url = new URL(cp.server);
    relay = new Relay({ host: url.hostname, port: Number(url.port) });
    await relay.start();
    // The operator reaches the API server only through the relay; the test talks to it directly.
    const direct = cp.kubeConfig();
    const viaRelay = throughRelay(direct, relay);
    await h.createNode('n1', '192.0.2.31');
    await h.createNode('n2', '192.0.2.32');
    await h.createNode('n3', '192.0.2.33');
    await startOperatorWith(h, { retry: { retries: 1, minTimeoutMs: 50, maxTimeoutMs: 200 } }, viaRelay);
  }, 150_000);

  afterAll(async () => {
    await h?.stop().catch(() => undefined);
    await relay?.stop();
    await cp?.stop();
    process.env.FORTISYNC_TEST_KUBECONFIG = previous;
  }, 60_000);

  it('a pod deleted while the API server was away leaves the group after it returns (410 relist)', async () => {
    const node = (n: string): string => `k8s-ra-node-${h.nodeName(n)}`;
    await h.applyMapping('web', { addressGroup: 'RA-WEB', podSelector: { matchLabels: { app: 'web' } } });
    await h.runPod('web-1', { app: 'web' }, 'n1');
    await h.runPod('web-2', { app: 'web' }, 'n2');
    await h.expectMembers('RA-WEB', [node('n1'), node('n2')], 'firewall/addrgrp', 30_000);

    const kept: Expected = { addresses: new Map(), groups: new Map([['RA-WEB', [node('n1')]]]) };
    const audit = new Audit(h, 'ra').begin();
    audit.hold(kept);
    relay.cut();
    await h.deletePod('web-2');
    await h.runPod('web-3', { app: 'web' }, 'n3');
    await cp.restartApiserver();
    // While the operator is blind, nothing on the FortiGate changes (no sync from a half-known cache).
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.members('RA-WEB')).toEqual([node('n1'), node('n2')].sort());

    relay.open();
    const afterReturn = (): Expected => ({
      addresses: new Map([
        [node('n1'), '192.0.2.31'],
        [node('n3'), '192.0.2.33'],
      ]),
      groups: new Map([['RA-WEB', [node('n1'), node('n3')]]]),
    });
    const diff = await audit.settle(afterReturn, 60_000);
    audit.hold(undefined);
    await h.expectCondition('web', 'Ready', 'True', 'Synced', 30_000);
    const logs = h.logs.join('');
    expect(logs).toMatch(/"reason":"gone"/);

    // And the operator keeps watching the restarted server.
    await h.deletePod('web-1');
    const diff2 = await audit.settle(() => ({
      addresses: new Map([[node('n3'), '192.0.2.33']]),
      groups: new Map([['RA-WEB', [node('n3')]]]),
    }));
    const figures = audit.end();
    recordFigures({
      file: 'apiserver-restart.test.ts',
      faults: { 'apiserver-outage+restart (410)': 1 },
      scenarios: 2,
      ...figures,
      notes: audit.details(),
    });
    expect(diff).toEqual([]);
    expect(diff2).toEqual([]);
    expect(figures).toEqual({ objectsLost: 0, staleMembers: 0, foreignTouched: 0 });
  }, 150_000);
});
