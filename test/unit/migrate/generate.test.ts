import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import {
  parsePolicySelector,
  policySelected,
  type CalicoPolicy,
} from '../../../src/migrate/calico-policies.js';
import { accessSupport } from '../../../src/migrate/device-access.js';
import { deviceUrl, planMigration, type MigrationOptions } from '../../../src/migrate/generate.js';
import { renderFiles } from '../../../src/migrate/render.js';
import { inputFromObjects, readObjectsFromDir } from '../../../src/migrate/sources.js';
import { parseTigeraConfig } from '../../../src/migrate/tigera-config.js';

const ESTATE = join(process.cwd(), 'test/fixtures/calico-enterprise/estate');
const OPTIONS: MigrationOptions = {
  clusterName: 'prod',
  namespace: 'fortisync-system',
  secretNamespace: 'fortisync-system',
  tigeraNamespace: 'tigera-firewall-controller',
};

function estatePlan(objects = readObjectsFromDir(ESTATE)) {
  const input = inputFromObjects(objects, OPTIONS.tigeraNamespace, 'test');
  const { config, findings } = parseTigeraConfig(input.controller, input.devices);
  return planMigration(config, [...input.findings, ...findings], input.policies, OPTIONS);
}

describe('policy selection (tigera.firewall.policy.selector)', () => {
  const policy = (tier: string, labels: Record<string, string> = {}): CalicoPolicy => ({
    name: 'p',
    tier,
    labels,
    selector: '',
  });
  it.each([
    ["projectcalico.org/tier == 'fw'", policy('fw'), true],
    ["projectcalico.org/tier == 'fw'", policy('default'), false],
    // Tigera deleted every quote and handed the rest to the API server as a label selector.
    ['projectcalico.org/tier == fw', policy('fw'), true],
    ['projectcalico.org/tier=fw,team in (a,b)', policy('fw', { team: 'b' }), true],
    ['projectcalico.org/tier=fw,team in (a,b)', policy('fw', { team: 'c' }), false],
    ['!legacy', policy('fw', { legacy: 'x' }), false],
  ])('%s', (selector, p, expected) => {
    expect(policySelected(parsePolicySelector(selector), p)).toBe(expected);
  });
});

describe('planMigration over the seeded estate (test/fixtures/calico-enterprise/estate)', () => {
  const plan = estatePlan();

  it('maps what translates exactly and refuses the rest, naming every construct', () => {
    expect(plan.policies.map((p) => [p.policy, p.status, p.refusals.map((r) => r.construct)])).toEqual([
      [
        'fortigate.a-policy-name-that-is-much-too-long-to-be-a-fortios-address-group-name-x',
        'refused',
        ['group name'],
      ],
      ['fortigate.by-service-account', 'refused', ['serviceAccountSelector']],
      ['fortigate.frontend-or-admin', 'refused', ['||']],
      ['fortigate.hosts', 'refused', ['global()']],
      ['fortigate.payments', 'mapped', []],
      ['fortigate.prod-microservice1', 'mapped', []],
      ['fortigate.shop', 'mapped', []],
      ['fortigate.web-prefix', 'refused', ['! of a compound', 'starts with']],
    ]);
    expect(plan.unselected).toEqual(['default.unrelated']);
  });

  it('writes no mapping for a refused policy', () => {
    const mappings = plan.objects.filter((o) => o.object.kind === 'FortiGateEndpointMapping');
    expect(mappings.map((o) => o.path)).toEqual([
      'fortigateendpointmappings/fortigate.payments.yaml',
      'fortigateendpointmappings/fortigate.prod-microservice1.yaml',
      'fortigateendpointmappings/fortigate.shop.yaml',
    ]);
  });

  it('a mapping keeps the group name, feeds every FortiGate, and never deletes the group', () => {
    const shop = plan.objects.find((o) => o.path.endsWith('fortigate.shop.yaml'))?.object;
    expect(shop).toMatchObject({
      metadata: { name: 'fortigate.shop', namespace: 'fortisync-system' },
      spec: {
        devices: ['prod-east-1', 'prod-east-2'],
        addressGroup: 'fortigate.shop',
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }] },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
        addressType: 'Node',
        ipFamilies: ['IPv4'],
        deletionPolicy: 'Orphan',
      },
    });
  });

  it('devices start in dry run and reference Secrets the user creates from Tigera’s, never a value', () => {
    const device = plan.objects.find((o) => o.path === 'fortigatedevices/prod-east-1.yaml')?.object;
    expect(device).toMatchObject({
      spec: {
        url: 'https://192.0.2.1',
        vdom: 'dmz',
        clusterName: 'prod',
        dryRun: true,
        credentialsSecretRef: {
          name: 'prod-east-1-fortigate-token',
          namespace: 'fortisync-system',
          key: 'token',
        },
      },
    });
    const target = plan.objects.find((o) => o.path === 'fortimanagertargets/fmg-east.yaml')?.object;
    expect(target).toMatchObject({
      spec: { adom: 'root', auth: 'Session', install: { policy: 'None' }, dryRun: true },
    });
    expect(plan.secrets.map((s) => s.command)).toEqual([
      expect.stringContaining("get secret fortigate-east1 -o jsonpath='{.data.apikey-fortigate-east1}'"),
      expect.stringContaining("get secret fortigate-east2 -o jsonpath='{.data.apikey-fortigate-east2}'"),
      expect.stringContaining('--from-literal=username=api_user'),
    ]);
    const everything = JSON.stringify([...renderFiles(plan).values()]);
    expect(everything).not.toMatch(/apikey:|password:/);
  });

  it('the report lists every refused construct with its reason, and the secrets to create', () => {
    const report = renderFiles(plan).get('MIGRATION-REPORT.md') as string;
    for (const p of plan.policies) for (const r of p.refusals) expect(report).toContain(r.reason);
    for (const construct of [
      '`||`',
      '`global()`',
      '`starts with`',
      '`! of a compound`',
      '`serviceAccountSelector`',
      '`group name`',
    ]) {
      expect(report).toContain(construct);
    }
    expect(report).toContain('prod-east-1-fortigate-token');
  });

  it('output is stable: same bytes whatever the input order, sorted paths, one object per file', () => {
    const objects = readObjectsFromDir(ESTATE);
    const a = renderFiles(estatePlan(objects));
    const shuffled = objects.map((o) => {
      const list = o as { items?: unknown[] };
      return list.items ? { ...list, items: [...list.items].reverse() } : o;
    });
    const b = renderFiles(estatePlan([...shuffled].reverse()));
    expect([...b.entries()]).toEqual([...a.entries()]);
    expect([...a.keys()]).toEqual([...a.keys()].sort((x, y) => x.localeCompare(y)));
    for (const [path, text] of a) if (path.endsWith('.yaml')) expect(text.match(/^kind:/gm)).toHaveLength(1);
  });

  it('a Tigera device name that is no Kubernetes name is an error, never renamed', () => {
    const objects = readObjectsFromDir(ESTATE).map((o) => {
      const cm = o as { kind?: string; data?: Record<string, string> };
      if (cm.kind !== 'ConfigMap' || !cm.data?.['tigera.firewall.fortigate']) return o;
      return {
        ...cm,
        data: {
          ...cm.data,
          'tigera.firewall.fortigate': cm.data['tigera.firewall.fortigate'].replace(
            'prod-east-1',
            'Prod_East',
          ),
        },
      };
    });
    const p = estatePlan(objects);
    expect(p.findings).toContainEqual(
      expect.objectContaining({ severity: 'error', where: 'FortiGateDevice Prod_East' }),
    );
  });
});

describe('device access rules (where the API has them)', () => {
  const objects = readObjectsFromDir(ESTATE);
  const input = inputFromObjects(objects, OPTIONS.tigeraNamespace, 'test');
  const { config, findings } = parseTigeraConfig(input.controller, input.devices);
  const plan = (
    existingGroups: boolean,
    crossNamespaceGrants: boolean,
    policies = input.policies,
    adoption = false,
  ) =>
    planMigration(config, findings, policies, {
      ...OPTIONS,
      accessSupport: { existingGroups, crossNamespaceGrants, adoption },
    });

  it('with adoption in the API, every FortiGateDevice and FortiManagerTarget adopts the mapped groups', () => {
    const p = plan(true, true, input.policies, true);
    const adopters = p.objects.filter((o) => o.object.kind !== 'FortiGateEndpointMapping');
    expect(adopters.map((o) => o.object.kind).sort()).toEqual([
      'FortiGateDevice',
      'FortiGateDevice',
      'FortiManagerTarget',
    ]);
    for (const o of adopters) {
      expect((o.object.spec as Record<string, unknown>).adoption).toEqual({
        source: 'CalicoEnterprise',
        groups: ['fortigate.payments', 'fortigate.prod-microservice1', 'fortigate.shop'],
      });
    }
    expect(renderFiles(p).get('MIGRATION-REPORT.md')).toContain('adopts them (`spec.adoption`)');
    expect(renderFiles(plan(true, true)).get('MIGRATION-REPORT.md')).not.toContain('spec.adoption');
  });

  it('every device and target names the mapped groups and grants the mappings every namespace', () => {
    const p = plan(true, true);
    const withAccess = p.objects.filter((o) => o.object.kind !== 'FortiGateEndpointMapping');
    expect(withAccess).toHaveLength(3);
    for (const o of withAccess) {
      expect((o.object.spec as Record<string, unknown>).access).toEqual({
        existingGroups: ['fortigate.payments', 'fortigate.prod-microservice1', 'fortigate.shop'],
        crossNamespaceGrants: [
          { from: { matchLabels: { 'kubernetes.io/metadata.name': 'fortisync-system' } }, to: {} },
        ],
      });
    }
    expect(renderFiles(p).get('MIGRATION-REPORT.md')).toContain(
      'Each generated device names them in `access.existingGroups`',
    );
  });

  it('an API without those fields gets none (its CRD would refuse them)', () => {
    const p = plan(false, false);
    for (const o of p.objects) expect(o.object.spec).not.toHaveProperty('access');
    expect(renderFiles(p).get('MIGRATION-REPORT.md')).toContain("Where a device's access rules restrict");
  });

  it('reads which fields exist from the schema it is given', () => {
    expect(
      accessSupport({ properties: { access: { properties: { existingGroups: { type: 'array' } } } } }),
    ).toEqual({
      existingGroups: true,
      crossNamespaceGrants: false,
      adoption: false,
    });
    expect(accessSupport({ properties: {} })).toEqual({
      existingGroups: false,
      crossNamespaceGrants: false,
      adoption: false,
    });
    expect(accessSupport().adoption).toBe(true);
  });

  it('more groups than access.existingGroups holds is an error, not a silent cut', () => {
    const many: CalicoPolicy[] = Array.from({ length: 65 }, (_, i) => ({
      name: `fortigate.g${i}`,
      tier: 'fortigate',
      labels: {},
      selector: `app == 'a${i}'`,
    }));
    expect(plan(true, true, many).findings).toContainEqual(
      expect.objectContaining({ severity: 'error', where: 'access.existingGroups' }),
    );
  });
});

describe('an estate with FortiManagers only', () => {
  it('maps the policies into the FortiManagerTargets (no devices)', () => {
    const { config, findings } = parseTigeraConfig(
      { name: 'tigera-firewall-controller', data: {} },
      {
        name: 'tigera-firewall-controller-configs',
        data: {
          'tigera.firewall.fortimgr':
            '- { name: fmg, ip: 192.0.2.10, username: api, password: { secretKeyRef: { name: s, key: k } } }',
        },
      },
    );
    const policy: CalicoPolicy = {
      name: 'default.web',
      tier: 'default',
      labels: {},
      selector: "app == 'web'",
    };
    const p = planMigration(config, findings, [policy], OPTIONS);
    expect(p.policies).toEqual([expect.objectContaining({ policy: 'default.web', status: 'mapped' })]);
    expect(p.objects.map((o) => o.path)).toEqual([
      'fortimanagertargets/fmg.yaml',
      'fortigateendpointmappings/default.web.yaml',
    ]);
    const mapping = p.objects[1]?.object.spec as Record<string, unknown>;
    expect(mapping.fortiManagerTargets).toEqual(['fmg']);
    expect(mapping).not.toHaveProperty('devices');
    expect((p.objects[0]?.object.spec as Record<string, unknown>).adoption).toEqual({
      source: 'CalicoEnterprise',
      groups: ['default.web'],
    });
  });
});

describe('deviceUrl', () => {
  it.each([
    ['192.0.2.1', 'https://192.0.2.1'],
    ['fw.example.net:8443', 'https://fw.example.net:8443'],
    ['2001:db8::1', 'https://[2001:db8::1]'],
    ['bad host/path', undefined],
  ])('%s', (ip, url) => expect(deviceUrl(ip)).toBe(url));
});
