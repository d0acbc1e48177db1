import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { conditionsAt } from '../../support/conditions.js';
import type { FortiManagerTarget } from '../../../src/api/v1alpha1/fortimanager-target.js';
import { requestKind } from '../../../src/fortimanager/index.js';
import { FortiManagerMetrics } from '../../../src/operator/fortimanager-metrics.js';
import { registerTargetStatusMetrics } from '../../../src/operator/target-status-metrics.js';

const T = '2026-03-01T10:00:00Z';
const cond = conditionsAt(T);

function target(name: string, status: FortiManagerTarget['status']): FortiManagerTarget {
  return { metadata: { name }, spec: { driftCheckIntervalSeconds: 120 }, status } as FortiManagerTarget;
}

describe('requestKind', () => {
  it.each([
    ['pm/config/adom/root/obj/firewall/address', 'firewall/address'],
    ['/pm/config/adom/root/obj/firewall/address/k8s-a', 'firewall/address'],
    ['pm/config/adom/root/obj/firewall/address6/k8s-a', 'firewall/address6'],
    ['pm/config/global/obj/firewall/addrgrp/K8S-WEB', 'firewall/addrgrp'],
    ['pm/config/adom/root/obj/firewall/addrgrp/K8S-WEB/member', 'firewall/addrgrp/member'],
    ['pm/config/adom/root/obj/firewall/addrgrp6/a\\/b/member', 'firewall/addrgrp6/member'],
    ['pm/config/adom/root/obj/firewall/addrgrp/10.0.0.0\\/24', 'firewall/addrgrp'],
    ['pm/config/adom/root/pkg/web/firewall/policy', 'package'],
    ['pm/pkg/adom/root', 'package'],
    ['dvmdb/adom/root/workspace/lock', 'workspace/lock'],
    ['dvmdb/global/workspace/commit', 'workspace/commit'],
    ['dvmdb/adom/root/workspace/lockinfo', 'workspace/lockinfo'],
    ['cache/search/where/used/get/summary', 'where-used'],
    ['securityconsole/install/package', 'install'],
    ['task/task/41', 'task'],
    ['sys/login/user', 'login'],
    ['sys/logout', 'login'],
    ['sys/status', 'system'],
    ['cli/global/system/global', 'system'],
    ['dvmdb/adom/root', 'system'],
    ['pm/config/adom/root/obj/firewall/service/custom', 'other'],
    ['something/else', 'other'],
  ])('%s is %s (names, ids and ADOMs never become labels)', (url, kind) => {
    expect(requestKind(url)).toBe(kind);
  });
});

describe('registerTargetStatusMetrics', () => {
  const targets = [
    target('fmg1', {
      conditions: [
        cond('Ready', 'False', 'ADOMLocked'),
        cond('Synced', 'False', 'ADOMLocked'),
        cond('Installed', 'False', 'InstallFailed'),
      ],
      lastSyncTime: T,
      lastDriftCheckTime: T,
      managedAddresses: 4,
      managedGroups: 2,
      installs: [
        { package: 'web-pkg', state: 'error', startTime: T, endTime: T },
        { package: 'db-pkg', state: 'done', startTime: T, endTime: T },
        { package: 'new-pkg', state: 'running', startTime: T },
      ],
    }),
    target('fmg2', undefined),
  ];
  const scrape = async (active: boolean) => {
    const registry = new Registry();
    registerTargetStatusMetrics(registry, {
      active: () => active,
      targets: () => targets,
      groups: () => [
        { device: 'fmg1', family: 'IPv4', group: 'K8S-WEB', inSync: false, ownMembers: 2, otherMembers: 1 },
      ],
    });
    return registry.metrics();
  };

  it('exposes conditions (Installed too), times, installs, objects and groups per target', async () => {
    const text = await scrape(true);
    const epoch = Date.parse(T) / 1000;
    for (const line of [
      'fortisync_fortimanager_ready{target="fmg1",status="False"} 1',
      'fortisync_fortimanager_ready{target="fmg2",status="Unknown"} 1',
      'fortisync_fortimanager_condition{target="fmg1",condition="Synced",status="False",reason="ADOMLocked"} 1',
      'fortisync_fortimanager_condition{target="fmg1",condition="Installed",status="False",reason="InstallFailed"} 1',
      `fortisync_fortimanager_last_sync_timestamp_seconds{target="fmg1"} ${epoch}`,
      `fortisync_fortimanager_last_drift_check_timestamp_seconds{target="fmg1"} ${epoch}`,
      'fortisync_fortimanager_drift_check_interval_seconds{target="fmg1"} 120',
      'fortisync_fortimanager_managed_objects{target="fmg1",kind="address"} 4',
      'fortisync_fortimanager_managed_objects{target="fmg1",kind="group"} 2',
      'fortisync_fortimanager_install_failed{target="fmg1",package="web-pkg"} 1',
      'fortisync_fortimanager_install_failed{target="fmg1",package="db-pkg"} 0',
      `fortisync_fortimanager_last_install_timestamp_seconds{target="fmg1",package="db-pkg"} ${epoch}`,
      'fortisync_fortimanager_group_members{target="fmg1",family="IPv4",group="K8S-WEB",owner="other"} 1',
      'fortisync_fortimanager_group_in_sync{target="fmg1",family="IPv4",group="K8S-WEB"} 0',
    ])
      expect(text).toContain(line);
    // A running install has no outcome yet; a target never synced has no times.
    expect(text).not.toContain('package="new-pkg"');
    expect(text).not.toContain('fortisync_fortimanager_last_sync_timestamp_seconds{target="fmg2"}');
  });

  it('exports nothing on a replica that is not the leader', async () => {
    expect(await scrape(false)).not.toMatch(/^fortisync_fortimanager_\w+\{/m);
  });
});

describe('FortiManagerMetrics', () => {
  it('counts requests by url kind, installs by result, lock refusals and waits', async () => {
    const registry = new Registry();
    const m = new FortiManagerMetrics(registry);
    const hook = m.requestHook('fmg1');
    const event = { method: 'get', code: 0, durationMs: 12, attempt: 1, outcome: 'success' as const };
    hook({ ...event, url: 'pm/config/adom/root/obj/firewall/addrgrp/K8S-A' });
    hook({ ...event, url: 'pm/config/adom/root/obj/firewall/addrgrp/K8S-B' });
    hook({ ...event, method: 'exec', url: 'dvmdb/adom/root/workspace/lock', outcome: 'locked' });
    const observer = m.targetObserver();
    observer.installFinished?.('fmg1', 'web-pkg', false, 30_000);
    observer.installFinished?.('fmg1', 'web-pkg', true, 20_000);
    observer.lockRefused?.('fmg1');
    observer.lockRefused?.('fmg1');
    observer.lockWaitEnded?.('fmg1', 45_000);
    const text = await registry.metrics();
    for (const line of [
      'fortisync_fortimanager_requests_total{target="fmg1",method="get",kind="firewall/addrgrp",outcome="success"} 2',
      'fortisync_fortimanager_requests_total{target="fmg1",method="exec",kind="workspace/lock",outcome="locked"} 1',
      'fortisync_fortimanager_installs_total{target="fmg1",package="web-pkg",result="failed"} 1',
      'fortisync_fortimanager_installs_total{target="fmg1",package="web-pkg",result="done"} 1',
      'fortisync_fortimanager_install_duration_seconds_sum{target="fmg1",package="web-pkg"} 50',
      'fortisync_fortimanager_lock_refusals_total{target="fmg1"} 2',
      'fortisync_fortimanager_lock_wait_seconds_bucket{le="60",target="fmg1"} 1',
      'fortisync_fortimanager_lock_wait_seconds_bucket{le="30",target="fmg1"} 0',
    ])
      expect(text).toContain(line);
  });
});
