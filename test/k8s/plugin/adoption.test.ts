import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FortiGateDevice } from '../../../src/api/v1alpha1/fortigate-device.js';
import { adoptedGroupComment } from '../../../src/domain/adoption.js';
import type { AdoptionPlanRow } from '../../../src/cmd/plugin/adoption-report.js';
import { seedTigeraEstate } from '../../fortios/tigera-estate.js';
import { eventually } from '../../support/kube.js';
import { GROUP, Harness, mergePatch, TOKEN, VERSION } from '../../support/operator-harness.js';
import { runPlugin } from './run-plugin.js';

// ADR 0004 in `kubectl fortisync plan` and `status`: per adopted group, the next step (add
// fortisync's members / drop Tigera's / done / stopped by conflict) and what it would write; the
// device's status.adoption at a glance.

describe('kubectl fortisync plan and status show adoption', () => {
  const web = 'fortigate.pweb';
  const fresh = 'fortigate.pnew';
  const stopped = 'fortigate.pstopped';
  const h = new Harness({
    name: 'pladopt',
    clusterName: 'pa',
    device: {
      access: { existingGroups: [web, fresh, stopped] },
      // Long enough that the handover never completes during the test: the group stays Settling.
      adoption: { source: 'CalicoEnterprise', groups: [web, fresh, stopped], settleSeconds: 3600 },
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-plugin-adopt-'));
  const ours = () => `k8s-pa-node-${h.nodeName('n1')}`;
  const tigeraNode = () => h.nodeName('n1');

  beforeAll(async () => {
    await h.start();
    await h.createNode('n1', '192.0.2.61');
    await seedTigeraEstate(
      h.sim,
      [web, fresh, stopped].map((name) => ({ name, members: { [tigeraNode()]: '192.0.2.61' } })),
      TOKEN,
    );
    await h.runPod('web-1', { app: 'pweb' }, 'n1');
    await h.applyMapping('pweb', { addressGroup: web, podSelector: { matchLabels: { app: 'pweb' } } });
    await h.expectMembers(web, [ours(), tigeraNode()].sort());
  }, 60_000);

  afterAll(async () => {
    if (!h.operator) await h.startOperator();
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status: each adopted group’s state and member counts, per device', async () => {
    const r = await eventually(
      async () => {
        const out = await runPlugin(['status', '--operator-namespace', h.ns]);
        return out.stdout.includes('Settling') ? out : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 500, what: 'the adoption section with a Settling group' },
    );
    expect(r.stdout).toContain('ADOPTION (Calico Enterprise)');
    const line = r.stdout.split('\n').find((l) => l.startsWith('FortiGateDevice/') && l.includes(web));
    expect(line).toMatch(
      new RegExp(`^FortiGateDevice/${h.deviceName} +${web} +IPv4 +Settling +\\d+s ago +1/1/0\\b`),
    );
    const json = JSON.parse(
      (await runPlugin(['status', '--operator-namespace', h.ns, '-o', 'json'])).stdout,
    ) as {
      adoption: { groups: { owner: string; name: string; state: string }[]; unadopted: unknown[] };
    };
    expect(json.adoption.groups).toEqual([
      expect.objectContaining({ owner: `FortiGateDevice/${h.deviceName}`, name: web, state: 'Settling' }),
    ]);
  });

  it('plan: the next step of each group and what it would write, reading only', async () => {
    await h.stopOperator();
    // A stop the device status holds (as after two rewrites), not cleared by a retry annotation.
    const device = (await h.device()) as FortiGateDevice;
    await h.custom.patchClusterCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        plural: 'fortigatedevices',
        name: h.deviceName,
        body: {
          status: {
            adoption: {
              ...device.status?.adoption,
              groups: [
                ...(device.status?.adoption?.groups ?? []),
                {
                  name: stopped,
                  family: 'IPv4',
                  state: 'Conflict',
                  since: new Date().toISOString(),
                  message: 'rewritten twice in 10 minutes',
                  retryToken: '',
                },
              ],
            },
          },
        },
      },
      mergePatch(),
    );
    const file = join(dir, 'more.yaml');
    writeFileSync(
      file,
      [fresh, stopped]
        .map(
          (g) =>
            `apiVersion: fortisync.io/v1alpha1\nkind: FortiGateEndpointMapping\nmetadata: { name: ${g.replace('fortigate.', '')}, namespace: ${h.ns} }\nspec: { devices: [${h.deviceName}], addressGroup: ${g}, podSelector: { matchLabels: { app: pweb } } }`,
        )
        .join('\n---\n'),
    );
    const seq = h.lastSeq();
    const text = await runPlugin(['plan', '-f', file]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('adoption (Calico Enterprise groups, next step of each):');
    const row = (g: string) =>
      text.stdout
        .split('\n')
        .find((l) => l.startsWith(`${g} `))
        ?.split(/ {3,}/);
    expect(row(fresh)?.slice(0, 4)).toEqual([fresh, 'IPv4', 'add fortisync members', `+${ours()}`]);
    expect(row(stopped)?.slice(0, 3)).toEqual([stopped, 'IPv4', 'stopped by conflict']);
    expect(row(web)?.slice(0, 3)).toEqual([web, 'IPv4', 'drop Tigera members']);
    const json = JSON.parse((await runPlugin(['plan', '-f', file, '-o', 'json'])).stdout) as {
      devices: { device: string; adoption?: AdoptionPlanRow[] }[];
    };
    const rows = json.devices.find((d) => d.device === h.deviceName)?.adoption;
    expect(rows?.find((r) => r.group === web)).toEqual(
      expect.objectContaining({
        step: 'DropTigeraMembers',
        write: { members: [ours()], comment: adoptedGroupComment('pa', web), removed: [tigeraNode()] },
      }),
    );
    expect(rows?.find((r) => r.group === stopped)?.detail).toBe('rewritten twice in 10 minutes');
    // Read, never written.
    const since = h.requestsSince(seq);
    expect(since.length).toBeGreaterThan(0);
    expect(since.filter((e) => e.method !== 'GET')).toEqual([]);
  });
});
