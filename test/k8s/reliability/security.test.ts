import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, EventsV1Api } from '@kubernetes/client-node';
import { eventually } from '../../support/kube.js';
import { GROUP as API_GROUP, Harness, mergePatch, TOKEN, VERSION } from '../../support/operator-harness.js';
import { spawnOperator, type OperatorProcess } from '../../support/operator-process.js';
import { Audit } from './audit.js';
import { recordFigures, type Expected } from './support.js';

// The operator as a separate process (as in production), at debug log level, through a run that
// exercises every path that could leak the token: a good device, a refused token, a device whose
// certificate is not trusted, the insecure switch, a token rotated in its Secret. Then everything
// a person or another program can see is searched for each token.
const ROTATED = 'rotated-token-fedcba9876543210';
const WRONG = 'wrong-token-5555aaaa5555aaaa';
const CLUSTER = 'sec';
// Each extra device is another cluster on the same FortiGate: two devices of one cluster on one
// FortiGate and VDOM would each delete what the other made (the audit below caught exactly that).
const NOCA = 'secnoca';
const ROT = 'secrot';

describe('reliability: security (TLS, token secrecy, token rotation)', () => {
  const h = new Harness({
    name: 'rel-sec',
    clusterName: CLUSTER,
    startOperator: false,
    simulator: { tokens: [TOKEN, ROTATED] },
  });
  let op: OperatorProcess | undefined;
  const dev = (s: string): string => `${h.deviceName}-${s}`;
  let scenarios = 0;
  const audit = new Audit(h, CLUSTER);
  const n1 = (cluster = CLUSTER): string => `k8s-${cluster}-node-${h.nodeName('n1')}`;
  /** Our own address in SEC-WEB; the other clusters' groups hold their own addresses of n1. */
  const holding = (others: Record<string, string> = {}): Expected => ({
    addresses: new Map([[n1(), '192.0.2.201']]),
    groups: new Map([
      ['SEC-WEB', [n1()]],
      ...Object.entries(others).map(([group, cluster]): [string, string[]] => [group, [n1(cluster)]]),
    ]),
  });

  async function deviceCondition(
    name: string,
    type: string,
    status: string,
    reason: string,
    timeoutMs = 30_000,
  ) {
    let last: unknown;
    return eventually(
      async () => {
        const d = await h.device(name);
        const c = d?.status?.conditions?.find((x) => x.type === type);
        last = c;
        return c?.status === status && c.reason === reason ? d : undefined;
      },
      { timeoutMs, what: `device ${name} ${type}=${status} (${reason}); last ${JSON.stringify(last)}` },
    );
  }

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.201');
    await h.runPod('web-1', { app: 'web' }, 'n1', ['10.1.0.1']);
    op = await spawnOperator([
      '--kubeconfig',
      process.env.FORTISYNC_TEST_KUBECONFIG as string,
      '--leader-election-namespace',
      h.ns,
      '--leader-election-id',
      `fortisync-sec-${h.id}`,
      '--watch-selector',
      h.selector,
      '--log-level',
      'debug',
    ]);
  });

  afterAll(async () => {
    recordFigures({
      file: 'security.test.ts',
      faults: {},
      scenarios,
      ...audit.end(),
      badInputs: 4,
      notes: [
        'bad inputs: untrusted certificate, insecure switch, wrong token, rotated token',
        ...audit.details(),
      ],
    });
    await h.stop().catch(() => undefined);
    op?.kill('SIGTERM');
    await op?.exitCode();
  });

  it('a good device syncs (baseline for the rest)', async () => {
    await h.applyMapping('web', { podSelector: { matchLabels: { app: 'web' } }, addressGroup: 'SEC-WEB' });
    expect(await audit.begin().settle(() => holding(), 30_000)).toEqual([]);
    // The good device's member must stay through everything the other devices go through.
    audit.hold(holding());
    scenarios++;
  });

  it('TLS is verified by default: a self-signed device without a CA gives TLSError and nothing is written', async () => {
    const seq = h.lastSeq();
    await h.createDevice(dev('noca'), { clusterName: NOCA, tls: {} });
    await h.applyMapping('noca', {
      devices: [dev('noca')],
      podSelector: { matchLabels: { app: 'web' } },
      addressGroup: 'SEC-NOCA',
    });
    const d = await deviceCondition(dev('noca'), 'Ready', 'False', 'TLSError');
    expect(d.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(/caBundle/);
    await h.expectCondition('noca', 'Ready', 'False', 'TLSError', 30_000);
    expect(h.members('SEC-NOCA')).toBeUndefined();
    // The handshake failed before any HTTP request: the simulator never saw one from that device.
    expect(h.writesSince(seq)).toBe(0);
    scenarios++;
  });

  it('the insecure switch works only when set, and shows an InsecureTLS warning condition', async () => {
    await h.patchDevice({ tls: { insecureSkipVerify: true } }, dev('noca'));
    const d = await deviceCondition(dev('noca'), 'Ready', 'True', 'Synced');
    expect(d.status?.conditions?.find((c) => c.type === 'InsecureTLS')).toMatchObject({
      status: 'True',
      reason: 'CertificateNotVerified',
    });
    await h.expectMembers('SEC-NOCA', [n1(NOCA)], 'firewall/addrgrp', 30_000);
    // Switched off again: verification is back (TLSError) and the warning goes.
    await h.custom.patchClusterCustomObject(
      {
        group: API_GROUP,
        version: VERSION,
        plural: 'fortigatedevices',
        name: dev('noca'),
        body: { spec: { tls: { insecureSkipVerify: null } } },
      },
      mergePatch(),
    );
    const back = await deviceCondition(dev('noca'), 'Ready', 'False', 'TLSError');
    expect(back.status?.conditions?.find((c) => c.type === 'InsecureTLS')).toBeUndefined();
    // A device with a CA never shows the warning.
    const good = await h.device();
    expect(good?.status?.conditions?.find((c) => c.type === 'InsecureTLS')).toBeUndefined();
    scenarios++;
  });

  it('a wrong token: Unauthorized, no lockout; rotated in its Secret, picked up without a restart', async () => {
    await h.setSecret({ token: WRONG }, 'rot');
    const seq = h.lastSeq();
    const pid = op?.proc.pid;
    await h.createDevice(dev('rot'), {
      clusterName: ROT,
      credentialsSecretRef: { name: 'rot', namespace: h.ns },
    });
    await h.applyMapping('rot', {
      devices: [dev('rot')],
      podSelector: { matchLabels: { app: 'web' } },
      addressGroup: 'SEC-ROT',
    });
    await deviceCondition(dev('rot'), 'Ready', 'False', 'Unauthorized');
    await h.expectCondition('rot', 'Ready', 'False', 'Unauthorized', 30_000);
    // Events that would re-enqueue the device must not make it retry into a lockout.
    await h.runPod('web-2', { app: 'web' }, 'n1', ['10.1.0.2']);
    await new Promise((r) => setTimeout(r, 3000));
    const refused = h.requestsSince(seq, 401);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(3);
    expect(h.requestsSince(seq, 429)).toEqual([]);
    // Rotation: the Secret is updated in place; the same process picks it up.
    await h.core.patchNamespacedSecret(
      { namespace: h.ns, name: 'rot', body: { stringData: { token: ROTATED } } },
      mergePatch(),
    );
    await deviceCondition(dev('rot'), 'Ready', 'True', 'Synced', 20_000);
    await h.expectMembers('SEC-ROT', [n1(ROT)], 'firewall/addrgrp', 20_000);
    expect(op?.proc.pid).toBe(pid);
    expect(op?.proc.exitCode).toBeNull();
    expect(await audit.settle(() => holding({ 'SEC-NOCA': NOCA, 'SEC-ROT': ROT }))).toEqual([]);
    expect(audit.figures()).toEqual({ objectsLost: 0, staleMembers: 0, foreignTouched: 0 });
    // Over the whole run: never three refused logins within 60 s, never locked out.
    const times = h.requestsSince(0, 401).map((e) => (e as { timestampMs?: number }).timestampMs ?? 0);
    for (let i = 2; i < times.length; i++)
      expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThan(60_000);
    expect(h.requestsSince(0, 429)).toEqual([]);
    scenarios++;
  });

  it('no token appears in a URL, a log line, an Event, a status or an error message', async () => {
    // Logs of the operator process (debug level), every line.
    const logs = (op?.logs ?? []).map((l) => JSON.stringify(l)).join('\n');
    expect(op?.logs.length).toBeGreaterThan(20);
    // Every Event in the cluster, both APIs.
    const events = JSON.stringify([
      (await h.kc.makeApiClient(EventsV1Api).listEventForAllNamespaces()).items,
      (await h.kc.makeApiClient(CoreV1Api).listEventForAllNamespaces()).items,
    ]);
    expect(events).toContain('Unauthorized');
    // Every status (devices and mappings), conditions and their messages included.
    const devices = (await h.custom.listClusterCustomObject({
      group: API_GROUP,
      version: VERSION,
      plural: 'fortigatedevices',
    })) as { items: { status?: unknown }[] };
    const mappings = (await h.custom.listCustomObjectForAllNamespaces({
      group: API_GROUP,
      version: VERSION,
      resourcePlural: 'fortigateendpointmappings',
    })) as { items: { status?: unknown }[] };
    const statuses = JSON.stringify([...devices.items, ...mappings.items].map((o) => o.status));
    expect(statuses).toContain('TLSError');
    // What reached the device: paths and queries (the token only ever travels in the header).
    const requests = h.sim.requestLog.entries({});
    const urls = requests.map((e) => `${e.path}?${JSON.stringify(e.query)}`).join('\n');
    expect(requests.length).toBeGreaterThan(10);
    expect(urls).not.toMatch(/access_token/);
    // Metrics too.
    const metrics = await (await fetch(`${op?.metricsUrl ?? ''}/metrics`)).text();
    for (const [what, text] of Object.entries({ logs, events, statuses, urls, metrics })) {
      for (const token of [TOKEN, ROTATED, WRONG]) {
        expect({ what, leaked: text.includes(token) }).toEqual({ what, leaked: false });
      }
    }
    scenarios++;
  });
});
