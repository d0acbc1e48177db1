import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeConfig } from '@kubernetes/client-node';
import { createTestNamespace, deleteNamespace, testKubeConfig } from '../../support/kube.js';
import { kubectl } from './kubectl.js';

/**
 * What a user sees from `kubectl apply` when a manifest is wrong: each case breaks one rule of the
 * installed CRDs (OpenAPI schema or CEL) and must be refused with a message that names the field and
 * says what is wrong.
 */

const LABEL = 'fortisync.io/test';
const LABEL_VALUE = 'install-validation';

type Spec = Record<string, unknown>;
type Kind = 'FortiGateDevice' | 'FortiGateEndpointMapping' | 'FortiManagerTarget';

const validMapping: Spec = {
  devices: ['fw1'],
  addressGroup: 'K8S-DMZ',
  podSelector: { matchLabels: { app: 'frontend', zone: 'dmz' } },
};
// Loopback only: should any operator pick this device up, it reaches nothing outside this machine.
const validDevice: Spec = {
  url: 'https://127.0.0.1:1',
  vdom: 'root',
  clusterName: 'prod',
  credentialsSecretRef: { name: 'fortigate-token', namespace: 'fortisync-system', key: 'token' },
};

const validTarget: Spec = {
  url: 'https://127.0.0.1:1',
  adom: 'root',
  clusterName: 'prod',
  credentialsSecretRef: { name: 'fortimanager-key', namespace: 'fortisync-system' },
  install: { policy: 'Packages', packages: [{ name: 'dmz', scope: [{ device: 'fgt-dmz' }] }] },
};

interface Case {
  what: string;
  kind: Kind;
  spec: Spec;
  /** Substrings the error must contain, in kubectl's words. */
  messages: string[];
}

const mapping = (patch: Spec): Spec => ({ ...validMapping, ...patch });
const device = (patch: Spec): Spec => ({ ...validDevice, ...patch });
const target = (patch: Spec): Spec => ({ ...validTarget, ...patch });
const BASELINES: Record<Kind, Spec> = {
  FortiGateDevice: validDevice,
  FortiGateEndpointMapping: validMapping,
  FortiManagerTarget: validTarget,
};
const long80 = 'G'.repeat(80);

const CASES: Case[] = [
  {
    what: 'group name longer than 79 characters',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: long80 }),
    messages: ['spec.addressGroup: Too long: may not be more than 79'],
  },
  {
    what: 'group name with a double quote',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: 'K8S-"DMZ"' }),
    messages: ['spec.addressGroup: Invalid value', `should match '^[^"'<>]+$'`],
  },
  {
    what: 'group name with <',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: 'K8S<DMZ' }),
    messages: ['spec.addressGroup: Invalid value', 'should match'],
  },
  {
    what: "group name 'none'",
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: 'none' }),
    messages: [`spec.addressGroup: Invalid value: "none": 'all' and 'none' are built-in FortiGate addresses`],
  },
  {
    what: "group name 'all'",
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: 'all' }),
    messages: ["'all' and 'none' are built-in FortiGate addresses, not usable as a group name"],
  },
  {
    what: 'group name with trailing whitespace',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressGroup: 'K8S-DMZ ' }),
    messages: ['spec.addressGroup', 'the group name must not start or end with whitespace'],
  },
  {
    what: 'operator In without values',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }),
    messages: ['spec.podSelector.matchExpressions[0]', 'operators In and NotIn need at least one value'],
  },
  {
    what: 'operator NotIn with an empty value list (namespaceSelector)',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: [] }] },
    }),
    messages: [
      'spec.namespaceSelector.matchExpressions[0]',
      'operators In and NotIn need at least one value',
    ],
  },
  {
    what: 'operator Exists with values',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } }),
    messages: ['spec.podSelector.matchExpressions[0]', 'Exists and DoesNotExist take no values'],
  },
  {
    what: 'unknown selector operator',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] } }),
    messages: [
      'spec.podSelector.matchExpressions[0].operator: Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
    ],
  },
  {
    what: 'duplicate ipFamilies',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ ipFamilies: ['IPv4', 'IPv4'] }),
    messages: ['spec.ipFamilies[1]: Duplicate value: "IPv4"'],
  },
  {
    what: 'unknown ip family',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ ipFamilies: ['IPv5'] }),
    messages: ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
  },
  {
    what: 'unknown addressType',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ addressType: 'Service' }),
    messages: ['spec.addressType: Unsupported value: "Service": supported values: "Node", "Pod"'],
  },
  {
    what: 'mapping deletionPolicy Retain (that is a device policy)',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ deletionPolicy: 'Retain' }),
    messages: ['spec.deletionPolicy: Unsupported value: "Retain": supported values: "Delete", "Orphan"'],
  },
  {
    what: 'no devices',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ devices: [] }),
    messages: ['spec.devices', 'should have at least 1 items'],
  },
  {
    what: 'duplicate devices',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ devices: ['fw1', 'fw1'] }),
    messages: ['spec.devices[1]: Duplicate value: "fw1"'],
  },
  {
    what: 'neither devices nor fortiManagerTargets',
    kind: 'FortiGateEndpointMapping',
    spec: { addressGroup: 'K8S-DMZ', podSelector: {} },
    messages: [
      'name at least one FortiGateDevice in devices or one FortiManagerTarget in fortiManagerTargets',
    ],
  },
  {
    what: 'an empty fortiManagerTargets list',
    kind: 'FortiGateEndpointMapping',
    spec: { addressGroup: 'K8S-DMZ', podSelector: {}, fortiManagerTargets: [] },
    messages: ['spec.fortiManagerTargets', 'should have at least 1 items'],
  },
  {
    what: 'duplicate fortiManagerTargets',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ fortiManagerTargets: ['fmg', 'fmg'] }),
    messages: ['spec.fortiManagerTargets[1]: Duplicate value: "fmg"'],
  },
  {
    what: 'missing podSelector',
    kind: 'FortiGateEndpointMapping',
    spec: { devices: ['fw1'], addressGroup: 'K8S-DMZ' },
    messages: ['spec.podSelector: Required value'],
  },
  {
    what: 'misspelt field',
    kind: 'FortiGateEndpointMapping',
    spec: mapping({ adressType: 'Pod' }),
    messages: ['unknown field "spec.adressType"'],
  },
  {
    what: 'URL with a path',
    kind: 'FortiGateDevice',
    spec: device({ url: 'https://fortigate.example.net/api/v2' }),
    messages: ['spec.url: Invalid value: "https://fortigate.example.net/api/v2"', 'should match'],
  },
  {
    what: 'URL with another scheme',
    kind: 'FortiGateDevice',
    spec: device({ url: 'ftp://fortigate.example.net' }),
    messages: ['spec.url: Invalid value: "ftp://fortigate.example.net"', 'should match'],
  },
  {
    what: 'URL with credentials in it',
    kind: 'FortiGateDevice',
    spec: device({ url: 'https://admin:secret@fortigate.example.net' }),
    messages: ['spec.url: Invalid value', 'should match'],
  },
  {
    what: 'http:// without insecurePlainHTTP (the token would travel in clear text)',
    kind: 'FortiGateDevice',
    spec: device({ url: 'http://127.0.0.1:1' }),
    messages: ['an http:// url sends the API token in clear text'],
  },
  {
    what: 'http:// with insecurePlainHTTP: false',
    kind: 'FortiGateDevice',
    spec: device({ url: 'http://127.0.0.1:1', insecurePlainHTTP: false }),
    messages: ['set insecurePlainHTTP: true'],
  },
  {
    what: 'caBundle and insecureSkipVerify',
    kind: 'FortiGateDevice',
    spec: device({ tls: { caBundle: 'PEM', insecureSkipVerify: true } }),
    messages: [
      'spec.tls',
      'insecureSkipVerify cannot be combined with a CA (caBundle, caSecretRef or caConfigMapRef)',
    ],
  },
  {
    what: 'caSecretRef and insecureSkipVerify',
    kind: 'FortiGateDevice',
    spec: device({
      tls: { caSecretRef: { name: 'ca', namespace: 'fortisync-system' }, insecureSkipVerify: true },
    }),
    messages: ['insecureSkipVerify cannot be combined with a CA'],
  },
  {
    what: 'two CA sources',
    kind: 'FortiGateDevice',
    spec: device({ tls: { caBundle: 'PEM', caConfigMapRef: { name: 'ca', namespace: 'fortisync-system' } } }),
    messages: ['spec.tls', 'set at most one of caBundle, caSecretRef and caConfigMapRef'],
  },
  {
    what: 'clusterName with uppercase',
    kind: 'FortiGateDevice',
    spec: device({ clusterName: 'Prod' }),
    messages: ['spec.clusterName: Invalid value: "Prod"', "should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"],
  },
  {
    what: 'clusterName longer than 24',
    kind: 'FortiGateDevice',
    spec: device({ clusterName: 'a'.repeat(25) }),
    messages: ['spec.clusterName: Too long: may not be more than 24'],
  },
  {
    what: 'addressNamePrefix with a dash',
    kind: 'FortiGateDevice',
    spec: device({ addressNamePrefix: 'k8s-x' }),
    messages: ['spec.addressNamePrefix: Invalid value: "k8s-x"', 'should match'],
  },
  {
    what: 'unknown device deletionPolicy',
    kind: 'FortiGateDevice',
    spec: device({ deletionPolicy: 'Orphan' }),
    messages: ['spec.deletionPolicy: Unsupported value: "Orphan": supported values: "Delete", "Retain"'],
  },
  {
    what: 'drift check more often than every 10 s',
    kind: 'FortiGateDevice',
    spec: device({ driftCheckIntervalSeconds: 5 }),
    messages: ['spec.driftCheckIntervalSeconds', 'should be greater than or equal to 10'],
  },
  {
    what: 'allowedGroups pattern longer than 79',
    kind: 'FortiGateDevice',
    spec: device({ access: { allowedGroups: [long80] } }),
    messages: ['spec.access.allowedGroups[0]: Too long: may not be more than 79'],
  },
  {
    what: 'access.namespaceSelector with Exists and values',
    kind: 'FortiGateDevice',
    spec: device({
      access: { namespaceSelector: { matchExpressions: [{ key: 'z', operator: 'Exists', values: ['a'] }] } },
    }),
    messages: ['spec.access.namespaceSelector.matchExpressions[0]', 'Exists and DoesNotExist take no values'],
  },
  {
    what: 'a clusterName whose address names could be another cluster’s (prod-node-eu + w1 = prod + eu-node-w1)',
    kind: 'FortiGateDevice',
    spec: device({ clusterName: 'prod-node-eu' }),
    messages: ['spec.clusterName', 'must not contain node, node6, pod or pod6 as a dash-separated part'],
  },
  {
    what: 'a cross-namespace grant without its target',
    kind: 'FortiGateDevice',
    spec: device({ access: { crossNamespaceGrants: [{ from: {} }] } } as never),
    messages: ['spec.access.crossNamespaceGrants[0].to: Required value'],
  },
  {
    what: 'a group rule without groups',
    kind: 'FortiGateDevice',
    spec: device({ access: { groupRules: [{ namespaceSelector: {}, groups: [] }] } }),
    messages: ['spec.access.groupRules[0].groups', 'should have at least 1 items'],
  },
  {
    what: 'missing credentialsSecretRef',
    kind: 'FortiGateDevice',
    spec: { url: 'https://fortigate.example.net', clusterName: 'prod' },
    messages: ['spec.credentialsSecretRef: Required value'],
  },
  {
    what: 'credentialsSecretRef without namespace',
    kind: 'FortiGateDevice',
    spec: device({ credentialsSecretRef: { name: 'fortigate-token' } }),
    messages: ['spec.credentialsSecretRef.namespace: Required value'],
  },
  {
    what: 'install policy Packages without a package',
    kind: 'FortiManagerTarget',
    spec: target({ install: { policy: 'Packages' } }),
    messages: ['spec.install', 'policy Packages needs at least one package'],
  },
  {
    what: 'unknown auth mode',
    kind: 'FortiManagerTarget',
    spec: target({ auth: 'Token' }),
    messages: ['spec.auth: Unsupported value: "Token"'],
  },
  {
    what: 'shared grants: a bad TLS combination, as on a FortiGateDevice',
    kind: 'FortiManagerTarget',
    spec: target({ tls: { insecureSkipVerify: true, caBundle: 'x' } }),
    messages: ['insecureSkipVerify cannot be combined with a CA'],
  },
];

describe('kubectl apply refuses invalid manifests with a readable message', () => {
  let kc: KubeConfig;
  let ns: string;
  let counter = 0;

  const manifest = (kind: Kind, spec: Spec) => {
    const name = `invalid-${++counter}`;
    return {
      apiVersion: 'fortisync.io/v1alpha1',
      kind,
      metadata: {
        name: kind === 'FortiGateEndpointMapping' ? name : `install-validation-${name}`,
        ...(kind === 'FortiGateEndpointMapping' ? { namespace: ns } : {}),
        labels: { [LABEL]: LABEL_VALUE },
      },
      spec,
    };
  };
  // JSON, not YAML: YAML 1.1 would turn a namespace called `n` or `no` into a boolean.
  const apply = (kind: Kind, spec: Spec) =>
    kubectl(['apply', '-f', '-'], JSON.stringify(manifest(kind, spec)));

  beforeAll(async () => {
    kc = testKubeConfig();
    ns = await createTestNamespace(kc, 'install-validation');
  });

  afterAll(async () => {
    await kubectl(['delete', 'fortigatedevices', '-l', `${LABEL}=${LABEL_VALUE}`, '--wait=false']);
    await kubectl(['delete', 'fortimanagertargets', '-l', `${LABEL}=${LABEL_VALUE}`, '--wait=false']);
    await deleteNamespace(kc, ns);
  });

  it.each(['FortiGateEndpointMapping', 'FortiGateDevice', 'FortiManagerTarget'] as const)(
    'accepts the valid baseline %s',
    async (kind) => {
      const r = await apply(kind, BASELINES[kind]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/ created$/m);
    },
  );

  it.each([
    ['only fortiManagerTargets', { addressGroup: 'K8S-DMZ', podSelector: {}, fortiManagerTargets: ['fmg'] }],
    ['both devices and fortiManagerTargets', mapping({ fortiManagerTargets: ['fmg'] })],
  ])('accepts a mapping naming %s', async (_what, spec) => {
    const r = await apply('FortiGateEndpointMapping', spec);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ created$/m);
  });

  it('accepts http:// with the explicit opt-in', async () => {
    const r = await apply('FortiGateDevice', device({ url: 'http://127.0.0.1:1', insecurePlainHTTP: true }));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/ created$/m);
  });

  it.each(CASES.map((c) => [c.kind, c.what, c] as const))('%s: %s', async (kind, _what, c) => {
    const r = await apply(kind, c.spec);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/created|configured/);
    // Either the schema/CEL verdict ("... is invalid: spec.x: ...") or strict field decoding.
    expect(r.stderr).toMatch(new RegExp(`The ${kind} "[^"]+" is invalid|strict decoding error`));
    for (const message of c.messages) expect(r.stderr).toContain(message);
  });
});
