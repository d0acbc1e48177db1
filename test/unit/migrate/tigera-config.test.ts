import { describe, expect, it } from '@jest/globals';
import {
  CONTROLLER_CONFIGMAP,
  DEFAULT_POLICY_SELECTOR,
  DEVICES_CONFIGMAP,
  parseTigeraConfig,
} from '../../../src/migrate/tigera-config.js';

const controller = (data: Record<string, string>) => ({ name: CONTROLLER_CONFIGMAP, data });
const devices = (data: Record<string, string>) => ({ name: DEVICES_CONFIGMAP, data });

const FORTIGATES = `
- name: prod-east1
  ip: 1.2.3.1
  vdom: dmz
  apikey:
    secretKeyRef: { name: fortigate-east1, key: apikey-fortigate-east1 }
`;
const FORTIMANAGERS = `
- name: prod-east1
  ip: 1.2.4.1
  username: api_user
  adom: root
  password:
    secretKeyRef: { name: fortimgr-east1, key: pwd-fortimgr-east1 }
`;

describe("Tigera's ConfigMaps", () => {
  it('reads the documented shapes', () => {
    const { config, findings } = parseTigeraConfig(
      controller({
        'tigera.firewall.policy.selector': "projectcalico.org/tier == 'fw'",
        'tigera.firewall.addressSelection': 'pod',
      }),
      devices({ 'tigera.firewall.fortigate': FORTIGATES, 'tigera.firewall.fortimgr': FORTIMANAGERS }),
    );
    expect(findings).toEqual([]);
    expect(config).toEqual({
      policySelector: "projectcalico.org/tier == 'fw'",
      addressSelection: 'pod',
      fortiGates: [
        {
          name: 'prod-east1',
          ip: '1.2.3.1',
          vdom: 'dmz',
          apiKey: { name: 'fortigate-east1', key: 'apikey-fortigate-east1' },
        },
      ],
      fortiManagers: [
        {
          name: 'prod-east1',
          ip: '1.2.4.1',
          adom: 'root',
          username: 'api_user',
          password: { name: 'fortimgr-east1', key: 'pwd-fortimgr-east1' },
        },
      ],
    });
  });

  it("takes Tigera's defaults for absent keys and a blank fortimgr (Tigera's own manifests ship one)", () => {
    const { config, findings } = parseTigeraConfig(
      undefined,
      devices({ 'tigera.firewall.fortigate': FORTIGATES, 'tigera.firewall.fortimgr': '' }),
    );
    expect(config.policySelector).toBe(DEFAULT_POLICY_SELECTOR);
    expect(config.addressSelection).toBe('node');
    expect(config.fortiManagers).toEqual([]);
    expect(findings).toEqual([
      expect.objectContaining({ severity: 'note', where: expect.stringContaining('policy.selector') }),
    ]);
  });

  it('skips east-west entries (packagename and tier) with a note', () => {
    const { config, findings } = parseTigeraConfig(
      controller({}),
      devices({
        'tigera.firewall.fortimgr': `${FORTIMANAGERS}  packagename: default\n  tier: fortimanager\n`,
        'tigera.firewall.fortigate': FORTIGATES,
      }),
    );
    expect(config.fortiManagers).toEqual([]);
    expect(findings.map((f) => f.message).join()).toContain('east-west');
  });

  it.each<[string, Record<string, string> | undefined, Record<string, string>, string]>([
    [
      'bad addressSelection',
      { 'tigera.firewall.addressSelection': 'both' },
      { 'tigera.firewall.fortigate': FORTIGATES },
      'neither node nor pod',
    ],
    ['YAML that does not parse', {}, { 'tigera.firewall.fortigate': '- name: [' }, 'not valid YAML'],
    ['not a list', {}, { 'tigera.firewall.fortigate': 'name: x' }, 'expected a YAML list'],
    [
      'an entry without its secret',
      {},
      { 'tigera.firewall.fortigate': '- { name: a, ip: 1.1.1.1 }' },
      'apikey.secretKeyRef',
    ],
    ['a duplicate name', {}, { 'tigera.firewall.fortigate': `${FORTIGATES}${FORTIGATES}` }, 'appears twice'],
    ['no device at all', {}, { 'tigera.firewall.fortigate': '' }, 'lists no FortiGate'],
  ])('%s is an error', (_what, settings, data, message) => {
    const { findings } = parseTigeraConfig(settings ? controller(settings) : undefined, devices(data));
    expect(findings).toContainEqual(
      expect.objectContaining({ severity: 'error', message: expect.stringContaining(message) }),
    );
  });

  it('a missing devices ConfigMap is an error', () => {
    const { findings } = parseTigeraConfig(controller({}), undefined);
    expect(findings).toContainEqual(expect.objectContaining({ severity: 'error', where: DEVICES_CONFIGMAP }));
  });
});
