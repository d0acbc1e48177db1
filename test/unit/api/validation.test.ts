import { describe, expect, it } from '@jest/globals';
import { deviceSpecSchema } from '../../../src/api/v1alpha1/fortigate-device.js';
import { mappingSpecSchema } from '../../../src/api/v1alpha1/fortigate-endpoint-mapping.js';
import { fortiManagerTargetSpecSchema } from '../../../src/api/v1alpha1/fortimanager-target.js';
import type { JsonSchema } from '../../../src/api/v1alpha1/schema-types.js';
import {
  checkDeviceSpec,
  checkFortiManagerTargetSpec,
  checkMappingSpec,
  DEVICE_DEFAULTED,
  FORTIMANAGER_TARGET_DEFAULTED,
  formatProblems,
  MAPPING_DEFAULTED,
} from '../../../src/api/v1alpha1/validation.js';

const mapping = { devices: ['fw1'], addressGroup: 'K8S-DMZ', podSelector: { matchLabels: { zone: 'dmz' } } };
const device = {
  url: 'https://fw1.example.net:8443',
  credentialsSecretRef: { name: 'fw1-token', namespace: 'fortisync-system' },
  clusterName: 'prod',
};

describe('spec validation (same schema as the CRD)', () => {
  it('accepts a minimal mapping and applies the CRD defaults', () => {
    const r = checkMappingSpec(mapping);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.addressType).toBe('Node');
      expect(r.spec.ipFamilies).toEqual(['IPv4']);
      expect(r.spec.deletionPolicy).toBe('Delete');
    }
  });

  it('accepts a minimal device and applies defaults', () => {
    const r = checkDeviceSpec(device);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec.vdom).toBe('root');
      expect(r.spec.credentialsSecretRef.key).toBe('token');
      expect(r.spec.driftCheckIntervalSeconds).toBe(300);
    }
  });

  it('applies the adoption defaults: settle 30 s, keep what no adopted group holds', () => {
    const r = checkDeviceSpec({ ...device, adoption: { source: 'CalicoEnterprise', groups: ['g'] } });
    expect(r.ok && r.spec.adoption).toEqual({
      source: 'CalicoEnterprise',
      groups: ['g'],
      settleSeconds: 30,
      cleanup: 'Keep',
    });
  });

  it.each([
    [{ addressGroup: 'x'.repeat(80) }, 'spec.addressGroup', 'must NOT have more than 79 characters'],
    [{ addressGroup: 'bad"name' }, 'spec.addressGroup', 'must match'],
    [{ addressGroup: 'none' }, 'spec.addressGroup', 'built-in'],
    [{ addressGroup: ' K8S' }, 'spec.addressGroup', 'whitespace'],
    [{ devices: [] }, 'spec.devices', 'must NOT have fewer than 1 items'],
    [
      { devices: undefined },
      'spec',
      'name at least one FortiGateDevice in devices or one FortiManagerTarget',
    ],
    [{ fortiManagerTargets: [] }, 'spec.fortiManagerTargets', 'must NOT have fewer than 1 items'],
    [{ addressType: 'Service' }, 'spec.addressType', 'must be one of "Node", "Pod"'],
    [{ ipFamilies: ['IPv5'] }, 'spec.ipFamilies.0', 'must be one of'],
    [
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
      'spec.podSelector.matchExpressions[0]',
      'need at least one value',
    ],
    [
      { podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } },
      'spec.podSelector.matchExpressions[0]',
      'take no values',
    ],
  ])('rejects mapping %j at %s', (patch, path, message) => {
    const r = checkMappingSpec({ ...mapping, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path)).toContain(path);
      expect(formatProblems(r.problems)).toContain(message);
    }
  });

  it('accepts a mapping that names only FortiManagerTargets', () => {
    const r = checkMappingSpec({ ...mapping, devices: undefined, fortiManagerTargets: ['fmg'] });
    expect(r.ok).toBe(true);
  });

  it.each([
    [{ url: 'ftp://fw1' }, 'spec.url', 'must match'],
    [{ url: 'https://fw1/api/v2' }, 'spec.url', 'must match'],
    [{ clusterName: 'Prod_1' }, 'spec.clusterName', 'must match'],
    // prod + node eu-node-w1 and prod-node-eu + node w1 would both be k8s-prod-node-eu-node-w1.
    [{ clusterName: 'prod-node-eu' }, 'spec.clusterName', 'must not contain node, node6, pod or pod6'],
    [{ clusterName: 'pod6' }, 'spec.clusterName', 'must not contain node, node6, pod or pod6'],
    [{ clusterName: 'a-pod' }, 'spec.clusterName', 'must not contain node, node6, pod or pod6'],
    [
      { tls: { caBundle: 'x', insecureSkipVerify: true } },
      'spec.tls',
      'insecureSkipVerify cannot be combined',
    ],
    [
      { tls: { caBundle: 'x', caSecretRef: { name: 'a', namespace: 'b' } } },
      'spec.tls',
      'at most one of caBundle, caSecretRef and caConfigMapRef',
    ],
    [{ driftCheckIntervalSeconds: 1 }, 'spec.driftCheckIntervalSeconds', 'must be >= 10'],
    [{ adoption: { source: 'Cilium', groups: ['g'] } }, 'spec.adoption.source', 'must be one of'],
    [{ adoption: { source: 'CalicoEnterprise', groups: [] } }, 'spec.adoption.groups', 'fewer than 1'],
    [{ adoption: { source: 'CalicoEnterprise' } }, 'spec.adoption', "required property 'groups'"],
    [
      { adoption: { source: 'CalicoEnterprise', groups: ['g'], settleSeconds: 1 } },
      'spec.adoption.settleSeconds',
      'must be >= 5',
    ],
    [
      { adoption: { source: 'CalicoEnterprise', groups: ['g'], cleanup: 'All' } },
      'spec.adoption.cleanup',
      'must be one of',
    ],
    [
      { credentialsSecretRef: { name: 'x' } },
      'spec.credentialsSecretRef',
      "must have required property 'namespace'",
    ],
  ])('rejects device %j at %s', (patch, path, message) => {
    const r = checkDeviceSpec({ ...device, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path)).toContain(path);
      expect(formatProblems(r.problems)).toContain(message);
    }
  });
});

describe('validated spec types', () => {
  const defaults = (schema: JsonSchema): string[] =>
    Object.entries(schema.properties ?? {})
      .filter(([, p]) => (p as JsonSchema).default !== undefined)
      .map(([k]) => k)
      .sort();

  it('name exactly the top-level fields the schemas default (ValidDeviceSpec, ValidMappingSpec)', () => {
    expect([...DEVICE_DEFAULTED].sort()).toEqual(defaults(deviceSpecSchema));
    expect([...MAPPING_DEFAULTED].sort()).toEqual(defaults(mappingSpecSchema));
    expect([...FORTIMANAGER_TARGET_DEFAULTED].sort()).toEqual(defaults(fortiManagerTargetSpecSchema));
  });

  it('come back from validation with every default present', () => {
    const device = checkDeviceSpec({
      url: 'https://fw1.example',
      clusterName: 'c1',
      credentialsSecretRef: { name: 's', namespace: 'ns' },
    });
    expect(device.ok && DEVICE_DEFAULTED.every((k) => device.spec[k] !== undefined)).toBe(true);
    const mapping = checkMappingSpec({
      devices: ['fw1'],
      addressGroup: 'G',
      podSelector: { matchLabels: { a: 'b' } },
    });
    expect(mapping.ok && MAPPING_DEFAULTED.every((k) => mapping.spec[k] !== undefined)).toBe(true);
    const target = checkFortiManagerTargetSpec({
      url: 'https://fmg.example',
      clusterName: 'c1',
      credentialsSecretRef: { name: 's', namespace: 'ns' },
    });
    expect(target.ok && FORTIMANAGER_TARGET_DEFAULTED.every((k) => target.spec[k] !== undefined)).toBe(true);
  });
});
