import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import {
  createFortiManagerTarget,
  dropFinalizers,
  getFortiManagerTarget,
  removeFortiManagerTarget,
} from '../../support/fortimanager-target.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, VERSION } from '../../support/operator-harness.js';
import { spawnOperator, type OperatorProcess } from '../../support/operator-process.js';
import { ruleGroups, startPrometheus, type RunningPrometheus } from '../../support/prometheus.js';
import { missing } from '../../support/promtool.js';
import { repoRoot } from '../../support/testenv-binaries.js';
import { verdicts } from '../../support/tools.js';
import { startFortiManagerSimulator } from '../../../src/simulator/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../../src/simulator/fortimanager/index.js';
import { call, login } from '../../fortimanager/helpers.js';

// A real Prometheus scrapes a real operator process while it syncs one good FortiGate (the
// simulator), one that refuses the token and one that is down, and one FortiManagerTarget (the
// FortiManager simulator, normal workspace mode) whose ADOM another admin holds locked for a while
// and whose change is installed to a package. Then every query of the Grafana
// dashboard and every alert expression must evaluate, every metric they use must have series, and
// the objects the operator wrote get their GitOps health from kstatus and Argo CD's Lua.

// Long enough to hold the whole scenario (Grafana's $__rate_interval is a few scrape intervals).
const RATE_INTERVAL = '5m';
const skip = missing('prometheus');
const FMG_KEY = 'obs-fmg-api-key-0123456789';

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

function dashboardQueries(): { panel: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(join(repoRoot(), 'config/grafana/fortisync.json'), 'utf8')) as {
    panels: Panel[];
  };
  const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      expr: t.expr.replaceAll('$__rate_interval', RATE_INTERVAL),
    })),
  );
}

/** The metric names an expression reads. */
function metricNames(expr: string): string[] {
  const names = expr.match(/\b(?:fortisync|controller_runtime|workqueue|process)_[a-z_]+\b/g) ?? [];
  return [...new Set(names)];
}

(skip ? describe.skip : describe)('dashboard and alerts against a real Prometheus', () => {
  const h = new Harness({ name: 'obs', clusterName: 'obs', startOperator: false });
  const bad = `${h.deviceName}-bad`;
  const down = `${h.deviceName}-down`;
  const target = `${h.deviceName}-fmg`;
  let op: OperatorProcess | undefined;
  let prom: RunningPrometheus | undefined;
  let fmg: FortiManagerSimulatorHandle | undefined;

  beforeAll(async () => {
    fmg = await startFortiManagerSimulator({
      admins: [
        { name: 'fortisync', password: 'obs-pw-1', apiKey: FMG_KEY },
        { name: 'alice', password: 'alice-pw' },
      ],
      adoms: ['root'],
      workspaceMode: 'normal',
      devices: [{ name: 'fgt-obs' }],
      installDurationMs: 150,
    });
    await h.start();
    await h.createNode('worker-1', '192.0.2.31');
    await h.createNode('worker-2', '192.0.2.32');
    await h.setSecret({ token: 'refused-token-0000000000' }, 'bad-token');
    await h.createDevice(bad, { credentialsSecretRef: { name: 'bad-token', namespace: h.ns } });
    // A loopback port nothing listens on: connection refused, at once.
    await h.createDevice(down, { url: `https://127.0.0.1:${await freePort()}` });
    await h.setSecret({ apiKey: FMG_KEY }, 'fmg-key');
    await createFortiManagerTarget(h, fmg, {
      name: target,
      clusterName: 'obs',
      secret: 'fmg-key',
      labels: h.labels,
    });
    op = await spawnOperator(h.processArgs());
    prom = await startPrometheus([new URL(op.metricsUrl).host]);
    await prom.waitForTargetsUp();
  }, 120_000);

  afterAll(async () => {
    await prom?.stop();
    op?.kill('SIGKILL');
    await op?.exitCode();
    // The operator is gone: drop the finalizers so the objects of the two broken devices go too.
    for (const m of ['web', 'locked', 'down', 'fmg'])
      await dropFinalizers(h, 'fortigateendpointmappings', m, h.ns);
    for (const d of [h.deviceName, bad, down]) await dropFinalizers(h, 'fortigatedevices', d);
    await removeFortiManagerTarget(h, target);
    await h.stop();
    await fmg?.close();
  }, 90_000);

  it('runs a scenario: members come and go on one device, the two others fail', async () => {
    const podSelector = { matchLabels: { app: 'web' } };
    await h.applyMapping('web', { podSelector, addressGroup: 'OBS-WEB' });
    await h.applyMapping('locked', { podSelector, addressGroup: 'OBS-LOCKED', devices: [bad] });
    await h.applyMapping('down', { podSelector, addressGroup: 'OBS-DOWN', devices: [down] });
    await h.runPod('web-1', { app: 'web' }, 'worker-1', ['10.0.1.1']);
    await h.expectMembers('OBS-WEB', [`k8s-obs-node-${h.nodeName('worker-1')}`], 'firewall/addrgrp', 30_000);
    await h.runPod('web-2', { app: 'web' }, 'worker-2', ['10.0.2.1']);
    await h.expectMembers(
      'OBS-WEB',
      [`k8s-obs-node-${h.nodeName('worker-1')}`, `k8s-obs-node-${h.nodeName('worker-2')}`],
      'firewall/addrgrp',
      30_000,
    );
    await h.deletePod('web-1');
    await h.expectMembers('OBS-WEB', [`k8s-obs-node-${h.nodeName('worker-2')}`], 'firewall/addrgrp', 30_000);
    await h.expectCondition('web', 'Ready', 'True', 'Synced', 30_000);
    await h.expectCondition('locked', 'Ready', 'False', 'Unauthorized', 30_000);
    await h.expectCondition('down', 'Ready', 'False', undefined, 30_000);
    await fortiManagerScenario();
    // Prometheus has seen the propagations and the failures, twice (a rate needs two samples).
    await eventually(
      async () => {
        const r = await prom!.query(
          `count(rate(fortisync_propagation_latency_seconds_count[${RATE_INTERVAL}])) > 0 and on() count(fortisync_group_in_sync) > 0 and on() count(rate(fortisync_fortios_requests_total{outcome!="success"}[${RATE_INTERVAL}])) > 0 and on() count(rate(fortisync_fortimanager_lock_wait_seconds_count[${RATE_INTERVAL}])) > 0 and on() count(rate(fortisync_fortimanager_installs_total[${RATE_INTERVAL}])) > 0`,
        );
        return r.data?.result.length ? true : undefined;
      },
      { timeoutMs: 45_000, what: 'the scenario in Prometheus' },
    );
  }, 150_000);

  /**
   * A mapping fills its ADOM group, a package starts using it, then another admin holds the ADOM
   * while a new pod wants in; after the unlock the change is written and installed.
   */
  async function fortiManagerScenario(): Promise<void> {
    const sim = fmg as FortiManagerSimulatorHandle;
    const node = (n: string) => `k8s-obs-node-${h.nodeName(n)}`;
    await h.runPod('fmg-1', { tier: 'fmg' }, 'worker-2', ['10.0.2.9']);
    await h.applyMapping('fmg', {
      podSelector: { matchLabels: { tier: 'fmg' } },
      addressGroup: 'OBS-FMG',
      devices: undefined,
      fortiManagerTargets: [target],
    } as never);
    const inAdom = () => sim.adom('root').get('firewall/addrgrp', 'OBS-FMG')?.member as string[] | undefined;
    await eventually(() => (inAdom()?.includes(node('worker-2')) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'OBS-FMG in the ADOM',
    });
    sim.adom('root').seedPackage({
      name: 'obs-pkg',
      scope: [{ name: 'fgt-obs', vdom: 'root' }],
      policies: [{ policyid: 1, name: 'web', srcaddr: ['OBS-FMG'], dstaddr: ['all'], action: 'accept' }],
    });
    await h.custom.patchClusterCustomObject(
      {
        group: GROUP,
        version: VERSION,
        plural: 'fortimanagertargets',
        name: target,
        body: {
          spec: { install: { policy: 'Packages', packages: [{ name: 'obs-pkg' }], coalesceSeconds: 5 } },
        },
      },
      mergePatch(),
    );
    const alice = await login(sim, 'alice', 'alice-pw');
    expect((await call(sim, alice, 'exec', { url: '/dvmdb/adom/root/workspace/lock' })).status.code).toBe(0);
    await h.runPod('fmg-2', { tier: 'fmg' }, 'worker-1', ['10.0.1.9']);
    await eventually(
      async () => {
        const t = await getFortiManagerTarget(h, target);
        return t.status?.conditions?.some((c) => c.type === 'Synced' && c.reason === 'ADOMLocked')
          ? true
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the target to report ADOMLocked' },
    );
    expect((await call(sim, alice, 'exec', { url: '/dvmdb/adom/root/workspace/unlock' })).status.code).toBe(
      0,
    );
    const onDevice = () =>
      (
        sim.devices.get('fgt-obs')?.state.get('firewall/addrgrp', 'OBS-FMG')?.member as
          { name: string }[] | undefined
      )?.map((m) => m.name);
    await eventually(() => (onDevice()?.includes(node('worker-1')) ? true : undefined), {
      timeoutMs: 60_000,
      what: 'OBS-FMG written in the ADOM and installed to fgt-obs',
    }).catch(async (err: unknown) => {
      const t = await getFortiManagerTarget(h, target);
      throw new Error(
        `${String(err)}; ADOM ${JSON.stringify(inAdom())}, device ${JSON.stringify(onDevice())}, target ${JSON.stringify(t.status)}`,
      );
    });
    await h.expectCondition('fmg', 'Ready', 'True', undefined, 30_000);
  }

  it("the operator's /metrics shows the FortiManagerTarget: requests by kind, the lock wait, the install", async () => {
    const text = await eventually(
      async () => {
        const body = await (await fetch(`${op!.metricsUrl}/metrics`)).text();
        return /fortisync_fortimanager_install_failed\{[^}]*\} 0/.test(body) ? body : undefined;
      },
      { timeoutMs: 30_000, what: 'the finished install in /metrics' },
    );
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(series));
      return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const t = `target="${target}"`;
    expect(value(`fortisync_fortimanager_lock_refusals_total{${t}}`)).toBeGreaterThanOrEqual(1);
    expect(value(`fortisync_fortimanager_lock_wait_seconds_count{${t}}`)).toBe(1);
    expect(
      value(`fortisync_fortimanager_installs_total{${t},package="obs-pkg",result="done"}`),
    ).toBeGreaterThanOrEqual(1);
    expect(value(`fortisync_fortimanager_install_failed{${t},package="obs-pkg"}`)).toBe(0);
    expect(value(`fortisync_fortimanager_ready{${t},status="True"}`)).toBe(1);
    expect(value(`fortisync_fortimanager_group_in_sync{${t},family="IPv4",group="OBS-FMG"}`)).toBe(1);
    expect(value(`fortisync_fortimanager_sync_writes_total{${t}}`)).toBeGreaterThanOrEqual(2);
    for (const kind of [
      'firewall/address',
      'firewall/addrgrp',
      'workspace/lock',
      'workspace/commit',
      'where-used',
      'install',
      'task',
    ])
      expect({ kind, seen: text.includes(`kind="${kind}"`) }).toEqual({ kind, seen: true });
    // The locked attempt was counted as such.
    expect(text).toMatch(
      new RegExp(
        `fortisync_fortimanager_requests_total\\{${t},method="exec",kind="workspace/lock",outcome="locked"\\} [1-9]`,
      ),
    );
  });

  it('every dashboard query returns data', async () => {
    const empty: string[] = [];
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(20);
    for (const q of queries) {
      const r = await prom!.query(q.expr);
      expect({ expr: q.expr, status: r.status, error: r.error }).toEqual({
        expr: q.expr,
        status: 'success',
        error: undefined,
      });
      if (!r.data?.result.length) empty.push(`${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('every alert expression evaluates, and every metric it reads has series', async () => {
    const noSeries: string[] = [];
    const rules = ruleGroups().flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const rule of rules) {
      const r = await prom!.query(rule.expr);
      expect({ alert: rule.alert, status: r.status, error: r.error }).toEqual({
        alert: rule.alert,
        status: 'success',
        error: undefined,
      });
      for (const name of metricNames(rule.expr)) {
        const c = await prom!.query(`count(${name})`);
        if (!c.data?.result.length) noSeries.push(`${rule.alert ?? rule.record}: ${name}`);
      }
    }
    expect(noSeries).toEqual([]);
    // The scenario's two failing devices and their mappings fire (no `for`: the condition alone).
    const notReady = await prom!.query(
      'max by (mapping, reason) (fortisync_mapping_condition{condition="Ready", status="False"}) == 1',
    );
    expect(
      (notReady.data?.result as { metric: { mapping: string; reason: string } }[])
        .map((s) => s.metric.mapping)
        .sort(),
    ).toEqual(['down', 'locked']);
  });

  it('the objects the operator wrote get their GitOps health', async () => {
    const mappings = (await h.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'fortigateendpointmappings',
      namespace: h.ns,
    })) as {
      items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
    };
    const devices = (await h.custom.listClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: 'fortigatedevices',
      labelSelector: h.selector,
    })) as { items: { metadata: { name: string } }[] };
    const objects = [...mappings.items, ...devices.items];
    const argocd = new Map(
      verdicts('argocd-health', objects, [
        '--argocd-cm',
        join(repoRoot(), 'config/argocd/argocd-cm.yaml'),
      ]).map((v) => [v.name, v.status]),
    );
    const kstatus = new Map(verdicts('kstatus', objects).map((v) => [v.name, v]));
    expect(Object.fromEntries(argocd)).toEqual({
      web: 'Healthy',
      fmg: 'Healthy',
      locked: 'Degraded',
      down: 'Degraded',
      [h.deviceName]: 'Healthy',
      [bad]: 'Degraded',
      [down]: 'Degraded',
    });
    expect(kstatus.get('web')?.status).toBe('Current');
    expect(kstatus.get(h.deviceName)?.status).toBe('Current');
    // A person must fix a refused token: Failed once the operator writes Stalled (docs/operate.md);
    // before it does, kstatus can only say InProgress.
    const stalled = mappings.items
      .find((m) => m.metadata.name === 'locked')
      ?.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True');
    expect(kstatus.get('locked')?.status).toBe(stalled ? 'Failed' : 'InProgress');
    expect(kstatus.get('down')?.status).toBe('InProgress');
    for (const v of kstatus.values()) expect(v.fluxStatus).toBe(v.status);
  });
});
