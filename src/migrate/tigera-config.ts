import { parse as parseYaml } from 'yaml';

/**
 * The configuration of Tigera's firewall controller (Calico Enterprise's FortiGate/FortiManager
 * integration, ../shared/fortimanager-api.md §8), from its two ConfigMaps in namespace
 * `tigera-firewall-controller`:
 * - `tigera-firewall-controller`: `tigera.firewall.policy.selector` (which GlobalNetworkPolicies
 *   become address groups; Tigera's default `projectcalico.org/tier == 'default'`) and
 *   `tigera.firewall.addressSelection` (`node`, Tigera's default, or `pod`);
 * - `tigera-firewall-controller-configs`: `tigera.firewall.fortigate` and `tigera.firewall.fortimgr`,
 *   YAML lists of devices whose credentials are references to Secrets in the same namespace.
 */

export const TIGERA_NAMESPACE = 'tigera-firewall-controller';
export const CONTROLLER_CONFIGMAP = 'tigera-firewall-controller';
export const DEVICES_CONFIGMAP = 'tigera-firewall-controller-configs';
export const POLICY_SELECTOR_KEY = 'tigera.firewall.policy.selector';
export const ADDRESS_SELECTION_KEY = 'tigera.firewall.addressSelection';
export const FORTIGATE_KEY = 'tigera.firewall.fortigate';
export const FORTIMANAGER_KEY = 'tigera.firewall.fortimgr';
/** Tigera's defaults (its controller's environment defaults) when a key is absent. */
export const DEFAULT_POLICY_SELECTOR = "projectcalico.org/tier == 'default'";
export const DEFAULT_ADDRESS_SELECTION = 'node';

export interface TigeraSecretRef {
  name: string;
  key: string;
}

export interface TigeraFortiGate {
  name: string;
  ip: string;
  vdom?: string;
  apiKey: TigeraSecretRef;
}

export interface TigeraFortiManager {
  name: string;
  ip: string;
  adom?: string;
  username: string;
  password: TigeraSecretRef;
}

export interface TigeraConfig {
  policySelector: string;
  addressSelection: 'node' | 'pod';
  fortiGates: TigeraFortiGate[];
  fortiManagers: TigeraFortiManager[];
}

/** Something in the configuration a person must look at; `error` stops the migration. */
export interface ConfigFinding {
  severity: 'error' | 'note';
  where: string;
  message: string;
}

export interface ConfigMapData {
  name: string;
  data: Record<string, string>;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number') return String(value);
  return undefined;
}

function secretRef(value: unknown): TigeraSecretRef | undefined {
  const ref = record(record(value)?.secretKeyRef);
  const name = text(ref?.name);
  const key = text(ref?.key);
  return name && key ? { name, key } : undefined;
}

/** Parses one YAML device list; an absent or blank key is an empty list (Tigera's own manifests ship one). */
function deviceList(
  data: Record<string, string>,
  key: string,
  findings: ConfigFinding[],
): Record<string, unknown>[] {
  const raw = data[key];
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch (err) {
    findings.push({
      severity: 'error',
      where: `${DEVICES_CONFIGMAP}/${key}`,
      message: `not valid YAML: ${(err as Error).message}`,
    });
    return [];
  }
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed)) {
    findings.push({
      severity: 'error',
      where: `${DEVICES_CONFIGMAP}/${key}`,
      message: 'expected a YAML list of devices',
    });
    return [];
  }
  return parsed.map((entry, i) => {
    const r = record(entry);
    if (!r)
      findings.push({
        severity: 'error',
        where: `${DEVICES_CONFIGMAP}/${key}[${i}]`,
        message: 'expected a mapping',
      });
    return r ?? {};
  });
}

function parseFortiGates(data: Record<string, string>, findings: ConfigFinding[]): TigeraFortiGate[] {
  return deviceList(data, FORTIGATE_KEY, findings).flatMap((entry, i) => {
    const where = `${DEVICES_CONFIGMAP}/${FORTIGATE_KEY}[${i}]`;
    const name = text(entry.name);
    const ip = text(entry.ip);
    const apiKey = secretRef(entry.apikey);
    if (!name || !ip || !apiKey) {
      findings.push({
        severity: 'error',
        where,
        message: 'needs name, ip and apikey.secretKeyRef {name, key}',
      });
      return [];
    }
    const vdom = text(entry.vdom);
    return [{ name, ip, apiKey, ...(vdom ? { vdom } : {}) }];
  });
}

function parseFortiManagers(data: Record<string, string>, findings: ConfigFinding[]): TigeraFortiManager[] {
  return deviceList(data, FORTIMANAGER_KEY, findings).flatMap((entry, i) => {
    const where = `${DEVICES_CONFIGMAP}/${FORTIMANAGER_KEY}[${i}]`;
    const name = text(entry.name);
    if (text(entry.packagename) && text(entry.tier)) {
      // Tigera's own controller skips these too: they configure its east-west (FortiManager → Calico
      // policy) controller, which fortisync does not replace.
      findings.push({
        severity: 'note',
        where,
        message: `${name ?? 'entry'} has packagename and tier: an east-west controller entry, not migrated (fortisync does not turn FortiManager policies into Calico policies)`,
      });
      return [];
    }
    const ip = text(entry.ip);
    const username = text(entry.username);
    const password = secretRef(entry.password);
    if (!name || !ip || !username || !password) {
      findings.push({
        severity: 'error',
        where,
        message: 'needs name, ip, username and password.secretKeyRef {name, key}',
      });
      return [];
    }
    const adom = text(entry.adom);
    return [{ name, ip, username, password, ...(adom ? { adom } : {}) }];
  });
}

function duplicateNames(names: string[], where: string, findings: ConfigFinding[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      findings.push({ severity: 'error', where, message: `device name ${name} appears twice` });
    seen.add(name);
  }
}

/** Reads the two ConfigMaps (either may be absent: its keys then take Tigera's defaults). */
export function parseTigeraConfig(
  controller: ConfigMapData | undefined,
  devices: ConfigMapData | undefined,
): { config: TigeraConfig; findings: ConfigFinding[] } {
  const findings: ConfigFinding[] = [];
  const settings = controller?.data ?? {};
  const policySelector = text(settings[POLICY_SELECTOR_KEY]);
  if (!policySelector) {
    findings.push({
      severity: 'note',
      where: `${CONTROLLER_CONFIGMAP}/${POLICY_SELECTOR_KEY}`,
      message: `absent: Tigera's default ${DEFAULT_POLICY_SELECTOR} is used`,
    });
  }
  const selection = text(settings[ADDRESS_SELECTION_KEY]) ?? DEFAULT_ADDRESS_SELECTION;
  if (selection !== 'node' && selection !== 'pod') {
    findings.push({
      severity: 'error',
      where: `${CONTROLLER_CONFIGMAP}/${ADDRESS_SELECTION_KEY}`,
      message: `${JSON.stringify(selection)} is neither node nor pod (Tigera's controller refuses it too)`,
    });
  }
  if (!devices) {
    findings.push({
      severity: 'error',
      where: DEVICES_CONFIGMAP,
      message: 'ConfigMap not found: there is no device to migrate',
    });
  }
  const data = devices?.data ?? {};
  const fortiGates = parseFortiGates(data, findings);
  const fortiManagers = parseFortiManagers(data, findings);
  duplicateNames(
    fortiGates.map((d) => d.name),
    `${DEVICES_CONFIGMAP}/${FORTIGATE_KEY}`,
    findings,
  );
  duplicateNames(
    fortiManagers.map((d) => d.name),
    `${DEVICES_CONFIGMAP}/${FORTIMANAGER_KEY}`,
    findings,
  );
  if (
    devices &&
    fortiGates.length + fortiManagers.length === 0 &&
    !findings.some((f) => f.severity === 'error')
  ) {
    findings.push({
      severity: 'error',
      where: DEVICES_CONFIGMAP,
      message: 'lists no FortiGate and no FortiManager',
    });
  }
  return {
    config: {
      policySelector: policySelector ?? DEFAULT_POLICY_SELECTOR,
      addressSelection: selection === 'pod' ? 'pod' : 'node',
      fortiGates,
      fortiManagers,
    },
    findings,
  };
}
