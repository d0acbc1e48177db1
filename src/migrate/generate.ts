import { API_VERSION } from '../api/v1alpha1/common.js';
import { DEVICE_KIND } from '../api/v1alpha1/fortigate-device.js';
import { MAPPING_KIND } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import { FORTIMANAGER_TARGET_KIND } from '../api/v1alpha1/fortimanager-target.js';
import { parsePolicySelector, policySelected, type CalicoPolicy } from './calico-policies.js';
import { SelectorSyntaxError } from './calico-selector.js';
import { accessSupport, deviceAccess, deviceAdoption, type AccessSupport } from './device-access.js';
import type {
  ConfigFinding,
  TigeraConfig,
  TigeraFortiGate,
  TigeraFortiManager,
  TigeraSecretRef,
} from './tigera-config.js';
import { translatePolicy } from './translate-policy.js';
import type { Refusal } from './translate-selector.js';

/**
 * The migration as a pure function: Tigera's configuration and policies in, fortisync objects and a
 * report out. Every generated device starts in dry run (it computes and shows, writes nothing) so
 * the objects can be applied while Tigera's controller still owns the groups; the runbook
 * (docs/migrate-from-calico-enterprise.md) says when to turn it off.
 */

export interface MigrationOptions {
  /** spec.clusterName of every generated device and target. */
  clusterName: string;
  /** Namespace of the generated mappings. */
  namespace: string;
  /** Namespace of the Secrets the user creates for the devices. */
  secretNamespace: string;
  /** Where Tigera's Secrets are (for the commands that copy a credential into a new Secret). */
  tigeraNamespace: string;
  /** Which device access fields to write; default: those this build's schema has. */
  accessSupport?: AccessSupport;
}

export interface ManifestObject {
  /** Path of its file, relative to the output directory; one object per file. */
  path: string;
  object: Record<string, unknown>;
}

export type PolicyStatus = 'mapped' | 'refused' | 'unmapped';

export interface PolicyOutcome {
  policy: string;
  tier: string;
  selector: string;
  namespaceSelector?: string;
  serviceAccountSelector?: string;
  status: PolicyStatus;
  /** `namespace/name` of the generated mapping. */
  mapping?: string;
  refusals: Refusal[];
  notes: string[];
}

export interface SecretToCreate {
  /** The object that references it, e.g. `FortiGateDevice/prod-east1`. */
  for: string;
  namespace: string;
  name: string;
  keys: string[];
  /** A command that creates it from Tigera's Secret without the value passing through a file. */
  command: string;
}

export interface MigrationPlan {
  objects: ManifestObject[];
  policies: PolicyOutcome[];
  /** Policies the controller's policy selector does not pick (Tigera made no group for them). */
  unselected: string[];
  secrets: SecretToCreate[];
  findings: ConfigFinding[];
}

export const MIGRATED_LABEL = 'fortisync.io/migrated-from';
export const POLICY_ANNOTATION = 'fortisync.io/calico-policy';
export const SELECTOR_ANNOTATION = 'fortisync.io/calico-selector';
export const NAMESPACE_SELECTOR_ANNOTATION = 'fortisync.io/calico-namespace-selector';
const MAX_MAPPING_DEVICES = 16;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DEVICE_URL = /^https?:\/\/[^\s/?#@]+\/?$/;

function isObjectName(name: string): boolean {
  return name.length <= 253 && DNS_SUBDOMAIN.test(name);
}

function metadata(
  name: string,
  namespace?: string,
  annotations?: Record<string, string>,
): Record<string, unknown> {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { [MIGRATED_LABEL]: 'calico-enterprise' },
    ...(annotations ? { annotations } : {}),
  };
}

/** Tigera's `ip` (an address or host, optionally with a port) as the base URL fortisync wants. */
export function deviceUrl(ip: string): string | undefined {
  const host =
    ip.includes(':') && ip.indexOf(':') !== ip.lastIndexOf(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
  const url = `https://${host}`;
  return DEVICE_URL.test(url) ? url : undefined;
}

/** `kubectl get secret` jsonpath of one key (dots in a key must be escaped). */
function jsonPathKey(key: string): string {
  return `{.data.${key.replaceAll('.', '\\.')}}`;
}

function copyCommand(
  target: { namespace: string; name: string },
  literals: string[],
  tigeraNamespace: string,
  from: { ref: TigeraSecretRef; as: string },
): string {
  const value = `"$(kubectl -n ${tigeraNamespace} get secret ${from.ref.name} -o jsonpath='${jsonPathKey(from.ref.key)}' | base64 -d)"`;
  return [
    `kubectl -n ${target.namespace} create secret generic ${target.name}`,
    ...literals.map((l) => `--from-literal=${l}`),
    `--from-literal=${from.as}=${value}`,
  ].join(' \\\n  ');
}

interface DeviceOutput {
  objects: ManifestObject[];
  secrets: SecretToCreate[];
  findings: ConfigFinding[];
  fortiGateNames: string[];
  fortiManagerNames: string[];
}

function checkDevice(kind: string, name: string, ip: string, findings: ConfigFinding[]): string | undefined {
  if (!isObjectName(name)) {
    findings.push({
      severity: 'error',
      where: `${kind} ${name}`,
      message:
        'the Tigera device name is not a valid Kubernetes object name (lowercase letters, digits, - and .); rename it in the ConfigMap and run again',
    });
    return undefined;
  }
  const url = deviceUrl(ip);
  if (!url)
    findings.push({
      severity: 'error',
      where: `${kind} ${name}`,
      message: `ip ${JSON.stringify(ip)} does not make a valid https:// URL`,
    });
  return url;
}

function fortiGateDevice(
  d: TigeraFortiGate,
  url: string,
  options: MigrationOptions,
): { object: ManifestObject; secret: SecretToCreate } {
  const secret = { name: `${d.name}-fortigate-token`, namespace: options.secretNamespace };
  return {
    object: {
      path: `fortigatedevices/${d.name}.yaml`,
      object: {
        apiVersion: API_VERSION,
        kind: DEVICE_KIND,
        metadata: metadata(d.name),
        spec: {
          url,
          vdom: d.vdom ?? 'root',
          credentialsSecretRef: { ...secret, key: 'token' },
          clusterName: options.clusterName,
          dryRun: true,
        },
      },
    },
    secret: {
      for: `${DEVICE_KIND}/${d.name}`,
      ...secret,
      keys: ['token'],
      command: copyCommand(secret, [], options.tigeraNamespace, { ref: d.apiKey, as: 'token' }),
    },
  };
}

function fortiManagerTarget(
  d: TigeraFortiManager,
  url: string,
  options: MigrationOptions,
): { object: ManifestObject; secret: SecretToCreate } {
  const secret = { name: `${d.name}-fortimanager-login`, namespace: options.secretNamespace };
  return {
    object: {
      path: `fortimanagertargets/${d.name}.yaml`,
      object: {
        apiVersion: API_VERSION,
        kind: FORTIMANAGER_TARGET_KIND,
        metadata: metadata(d.name),
        spec: {
          url,
          adom: d.adom ?? 'root',
          auth: 'Session',
          credentialsSecretRef: secret,
          clusterName: options.clusterName,
          // Tigera's controller never installed policy packages; neither does this target.
          install: { policy: 'None' },
          dryRun: true,
        },
      },
    },
    secret: {
      for: `${FORTIMANAGER_TARGET_KIND}/${d.name}`,
      ...secret,
      keys: ['username', 'password'],
      command: copyCommand(secret, [`username=${d.username}`], options.tigeraNamespace, {
        ref: d.password,
        as: 'password',
      }),
    },
  };
}

function devices(config: TigeraConfig, options: MigrationOptions): DeviceOutput {
  const out: DeviceOutput = {
    objects: [],
    secrets: [],
    findings: [],
    fortiGateNames: [],
    fortiManagerNames: [],
  };
  for (const d of [...config.fortiGates].sort((a, b) => a.name.localeCompare(b.name))) {
    const url = checkDevice(DEVICE_KIND, d.name, d.ip, out.findings);
    if (!url) continue;
    if (!d.vdom) {
      out.findings.push({
        severity: 'note',
        where: `${DEVICE_KIND} ${d.name}`,
        message:
          "no vdom in Tigera's entry: Tigera's requests named none, so the FortiGate used the API admin's VDOM; the device says root, change it if that admin's VDOM is another",
      });
    }
    const { object, secret } = fortiGateDevice(d, url, options);
    out.objects.push(object);
    out.secrets.push(secret);
    out.fortiGateNames.push(d.name);
  }
  for (const d of [...config.fortiManagers].sort((a, b) => a.name.localeCompare(b.name))) {
    const url = checkDevice(FORTIMANAGER_TARGET_KIND, d.name, d.ip, out.findings);
    if (!url) continue;
    const { object, secret } = fortiManagerTarget(d, url, options);
    out.objects.push(object);
    out.secrets.push(secret);
    out.fortiManagerNames.push(d.name);
  }
  for (const [field, names] of [
    ['devices', out.fortiGateNames],
    ['fortiManagerTargets', out.fortiManagerNames],
  ] as const) {
    if (names.length > MAX_MAPPING_DEVICES)
      out.findings.push({
        severity: 'error',
        where: field,
        message: `${names.length} ${field === 'devices' ? 'FortiGates' : 'FortiManagers'}, but a mapping names at most ${MAX_MAPPING_DEVICES} in ${field}; split the migration (one run per group of devices)`,
      });
  }
  return out;
}

function mappingObject(
  policy: CalicoPolicy,
  spec: Record<string, unknown>,
  options: MigrationOptions,
): ManifestObject {
  const annotations: Record<string, string> = {
    [POLICY_ANNOTATION]: policy.name,
    [SELECTOR_ANNOTATION]: policy.selector,
    ...(policy.namespaceSelector ? { [NAMESPACE_SELECTOR_ANNOTATION]: policy.namespaceSelector } : {}),
  };
  return {
    path: `fortigateendpointmappings/${policy.name}.yaml`,
    object: {
      apiVersion: API_VERSION,
      kind: MAPPING_KIND,
      metadata: metadata(policy.name, options.namespace, annotations),
      spec,
    },
  };
}

function outcomeOf(policy: CalicoPolicy): Omit<PolicyOutcome, 'status' | 'refusals' | 'notes'> {
  return {
    policy: policy.name,
    tier: policy.tier,
    selector: policy.selector,
    ...(policy.namespaceSelector ? { namespaceSelector: policy.namespaceSelector } : {}),
    ...(policy.serviceAccountSelector ? { serviceAccountSelector: policy.serviceAccountSelector } : {}),
  };
}

function mapPolicy(
  policy: CalicoPolicy,
  config: TigeraConfig,
  targets: Pick<DeviceOutput, 'fortiGateNames' | 'fortiManagerNames'>,
  options: MigrationOptions,
): { outcome: PolicyOutcome; object?: ManifestObject } {
  const deviceNames = targets.fortiGateNames;
  const fmgNames = targets.fortiManagerNames;
  const translation = translatePolicy(policy);
  if (!translation.ok) {
    return {
      outcome: {
        ...outcomeOf(policy),
        status: 'refused',
        refusals: translation.refusals,
        notes: translation.notes,
      },
    };
  }
  const none = deviceNames.length === 0 && fmgNames.length === 0;
  if (none || deviceNames.length > MAX_MAPPING_DEVICES || fmgNames.length > MAX_MAPPING_DEVICES) {
    const note = none
      ? 'translated, but no mapping was written: there is no FortiGateDevice or FortiManagerTarget for it to name'
      : 'translated, but no mapping was written: too many devices for one mapping';
    return {
      outcome: {
        ...outcomeOf(policy),
        status: 'unmapped',
        refusals: [],
        notes: [...translation.notes, note],
      },
    };
  }
  const spec = {
    ...(deviceNames.length > 0 ? { devices: deviceNames } : {}),
    ...(fmgNames.length > 0 ? { fortiManagerTargets: fmgNames } : {}),
    addressGroup: policy.name,
    podSelector: translation.podSelector,
    namespaceSelector: translation.namespaceSelector,
    addressType: config.addressSelection === 'pod' ? 'Pod' : 'Node',
    ipFamilies: ['IPv4'],
    // Firewall policies reference the group: deleting the mapping must never delete it.
    deletionPolicy: 'Orphan',
  };
  return {
    outcome: {
      ...outcomeOf(policy),
      status: 'mapped',
      mapping: `${options.namespace}/${policy.name}`,
      refusals: [],
      notes: translation.notes,
    },
    object: mappingObject(policy, spec, options),
  };
}

/** The devices with the access rules the mapped groups need (where the API has them). */
function withAccess(
  objects: ManifestObject[],
  groups: string[],
  options: MigrationOptions,
  findings: ConfigFinding[],
): ManifestObject[] {
  const support = options.accessSupport ?? accessSupport();
  const result = deviceAccess(groups, options.namespace, support);
  if ('error' in result) {
    findings.push({ severity: 'error', where: 'access.existingGroups', message: result.error });
    return objects;
  }
  const access = result.access;
  if (!access) return objects;
  const adoption = deviceAdoption(groups, support);
  return objects.map((o) => ({
    ...o,
    object: {
      ...o.object,
      spec: {
        ...(o.object.spec as Record<string, unknown>),
        access,
        ...(adoption ? { adoption } : {}),
      },
    },
  }));
}

/** Everything `fortisync migrate calico-enterprise` writes, in a stable order. */
export function planMigration(
  config: TigeraConfig,
  configFindings: ConfigFinding[],
  policies: CalicoPolicy[],
  options: MigrationOptions,
): MigrationPlan {
  const findings = [...configFindings];
  let selector;
  try {
    selector = parsePolicySelector(config.policySelector);
  } catch (err) {
    if (!(err instanceof SelectorSyntaxError)) throw err;
    findings.push({ severity: 'error', where: 'tigera.firewall.policy.selector', message: err.message });
    return { objects: [], policies: [], unselected: [], secrets: [], findings };
  }
  const device = devices(config, options);
  findings.push(...device.findings);
  const sorted = [...policies].sort((a, b) => a.name.localeCompare(b.name));
  const selected = sorted.filter((p) => policySelected(selector, p));
  const mapped = selected.map((p) => mapPolicy(p, config, device, options));
  const groups = mapped.filter((m) => m.object).map((m) => m.outcome.policy);
  const deviceObjects = withAccess(device.objects, groups, options, findings);
  return {
    objects: [...deviceObjects, ...mapped.flatMap((m) => (m.object ? [m.object] : []))],
    policies: mapped.map((m) => m.outcome),
    unselected: sorted.filter((p) => !selected.includes(p)).map((p) => p.name),
    secrets: device.secrets,
    findings,
  };
}
