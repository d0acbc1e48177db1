import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  CALICO_CRD_V1,
  CALICO_V3,
  GNP_PLURAL,
  isGlobalNetworkPolicy,
  toCalicoPolicy,
  type CalicoPolicy,
} from './calico-policies.js';
import {
  CONTROLLER_CONFIGMAP,
  DEVICES_CONFIGMAP,
  type ConfigFinding,
  type ConfigMapData,
} from './tigera-config.js';

/** What the migration reads, wherever it came from. */
export interface MigrationInput {
  controller?: ConfigMapData;
  devices?: ConfigMapData;
  policies: CalicoPolicy[];
  /** Where the policies were read from, for the report. */
  source: string;
  findings: ConfigFinding[];
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function metaOf(o: Obj): Obj {
  return isObj(o.metadata) ? o.metadata : {};
}

function configMapData(o: Obj): ConfigMapData {
  const data = isObj(o.data) ? o.data : {};
  return {
    name: String(metaOf(o).name),
    data: Object.fromEntries(
      Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  };
}

/** `kubectl get -o yaml` of several objects writes a List; its items are the objects. */
function flatten(objects: unknown[]): Obj[] {
  return objects.flatMap((o) => {
    if (!isObj(o)) return [];
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items))
      return flatten(o.items);
    return [o];
  });
}

/** One policy per name; the API server's view (v3) wins over CRD storage when an export holds both. */
function dedupe(
  policies: { policy: CalicoPolicy; v3: boolean }[],
  findings: ConfigFinding[],
): CalicoPolicy[] {
  const byName = new Map<string, { policy: CalicoPolicy; v3: boolean }>();
  for (const entry of policies) {
    const seen = byName.get(entry.policy.name);
    if (seen && seen.v3 === entry.v3) {
      findings.push({
        severity: 'error',
        where: `GlobalNetworkPolicy ${entry.policy.name}`,
        message: 'appears twice in the input',
      });
    }
    if (!seen || (entry.v3 && !seen.v3)) byName.set(entry.policy.name, entry);
  }
  return [...byName.values()].map((e) => e.policy);
}

/** The migration's input from already-parsed Kubernetes objects (an export); pure. */
export function inputFromObjects(
  objects: unknown[],
  tigeraNamespace: string,
  source: string,
): MigrationInput {
  const findings: ConfigFinding[] = [];
  const configMaps = new Map<string, ConfigMapData>();
  const policies: { policy: CalicoPolicy; v3: boolean }[] = [];
  for (const o of flatten(objects)) {
    const name = metaOf(o).name;
    if (o.kind === 'ConfigMap' && (name === CONTROLLER_CONFIGMAP || name === DEVICES_CONFIGMAP)) {
      const namespace = metaOf(o).namespace;
      if (namespace !== undefined && namespace !== tigeraNamespace) {
        findings.push({
          severity: 'note',
          where: `ConfigMap ${namespace}/${String(name)}`,
          message: `ignored: not in namespace ${tigeraNamespace}`,
        });
        continue;
      }
      configMaps.set(name, configMapData(o));
    } else if (isGlobalNetworkPolicy(o)) {
      policies.push({
        policy: toCalicoPolicy(o),
        v3: o.apiVersion === `${CALICO_V3.group}/${CALICO_V3.version}`,
      });
    }
  }
  return {
    controller: configMaps.get(CONTROLLER_CONFIGMAP),
    devices: configMaps.get(DEVICES_CONFIGMAP),
    policies: dedupe(policies, findings),
    source,
    findings,
  };
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return /\.(ya?ml|json)$/.test(entry) ? [path] : [];
    });
}

/** Every object in the YAML/JSON files under a directory (`kubectl get … -o yaml` exports). */
export function readObjectsFromDir(dir: string): unknown[] {
  return yamlFilesUnder(dir).flatMap((path) =>
    parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    }),
  );
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  const code = e.code ?? e.statusCode;
  return typeof code === 'number' ? code : undefined;
}

async function readConfigMap(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<ConfigMapData | undefined> {
  try {
    return configMapData((await core.readNamespacedConfigMap({ namespace, name })) as unknown as Obj);
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

async function listAll(api: CustomObjectsApi, group: string, version: string): Promise<Obj[]> {
  const items: Obj[] = [];
  let token: string | undefined;
  do {
    const page = (await api.listClusterCustomObject({
      group,
      version,
      plural: GNP_PLURAL,
      limit: 500,
      ...(token ? { _continue: token } : {}),
    })) as { items?: unknown[]; metadata?: { continue?: string; _continue?: string } };
    items.push(...(page.items ?? []).filter(isObj));
    token = page.metadata?.continue || page.metadata?._continue || undefined;
  } while (token);
  return items;
}

/**
 * The migration's input from a cluster: the two ConfigMaps, and the GlobalNetworkPolicies from
 * Calico's API server (projectcalico.org/v3, what Tigera's controller read) or, without it, from
 * the CRDs it stores them in (crd.projectcalico.org/v1).
 */
export async function inputFromCluster(kc: KubeConfig, tigeraNamespace: string): Promise<MigrationInput> {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const [controller, devices] = await Promise.all([
    readConfigMap(core, tigeraNamespace, CONTROLLER_CONFIGMAP),
    readConfigMap(core, tigeraNamespace, DEVICES_CONFIGMAP),
  ]);
  for (const api of [CALICO_V3, CALICO_CRD_V1]) {
    let items: Obj[];
    try {
      items = await listAll(custom, api.group, api.version);
    } catch (err) {
      if (statusCode(err) === 404) continue;
      throw err;
    }
    const objects = items.map((o) => ({
      ...o,
      apiVersion: `${api.group}/${api.version}`,
      kind: 'GlobalNetworkPolicy',
    }));
    const input = inputFromObjects(objects, tigeraNamespace, `cluster, ${api.group}/${api.version}`);
    return { ...input, controller, devices };
  }
  return {
    controller,
    devices,
    policies: [],
    source: 'cluster',
    findings: [
      {
        severity: 'error',
        where: 'GlobalNetworkPolicies',
        message:
          'neither projectcalico.org/v3 nor crd.projectcalico.org/v1 globalnetworkpolicies is served by this cluster; export the policies and use --from-files',
      },
    ],
  };
}
