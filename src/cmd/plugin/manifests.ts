import type { V1Namespace } from '@kubernetes/client-node';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../api/v1alpha1/common.js';
import { DEVICE_KIND, type FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import {
  MAPPING_KIND,
  type FortiGateEndpointMapping,
} from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { FORTIMANAGER_TARGET_KIND, type FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import type { ClusterSnapshot } from './cluster.js';
import { PluginError } from './errors.js';

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

/** The YAML/JSON files `-f` names: a file, or the manifest files directly in a directory (like kubectl). */
export function manifestFiles(paths: readonly string[]): string[] {
  return paths.flatMap((p) => {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      throw new PluginError(`-f ${p}: no such file or directory`);
    }
    if (!isDir) return [p];
    return readdirSync(p)
      .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
      .sort()
      .map((f) => join(p, f));
  });
}

export function readManifests(files: readonly string[]): Manifest[] {
  return files
    .flatMap((f) => {
      const docs = parseAllDocuments(readFileSync(f, 'utf8'));
      return docs.map((d, i) => {
        if (d.errors.length)
          throw new PluginError(`${f} (document ${i + 1}): ${d.errors[0]?.message ?? 'invalid YAML'}`);
        return d.toJS() as Manifest | null;
      });
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

export interface Applied {
  snapshot: ClusterSnapshot;
  /** Devices whose plan the manifests can change: named by a changed mapping (before or after) or changed. */
  devices: string[];
  /** The same for FortiManagerTargets. */
  targets: string[];
  ignored: string[];
}

const sameKey = (a: Manifest, ns: string, name: string): boolean =>
  (a.metadata?.namespace ?? '') === ns && a.metadata?.name === name;

/**
 * The cluster as it would be once the manifests are applied (kubectl apply replaces the spec and
 * labels of what exists, creates the rest). Pods are not simulated: the pods running now are used.
 */
export function applyManifests(
  live: ClusterSnapshot,
  manifests: readonly Manifest[],
  defaultNs: string,
): Applied {
  const s: ClusterSnapshot = {
    ...live,
    mappings: [...live.mappings],
    devices: [...live.devices],
    targets: [...(live.targets ?? [])],
    namespaces: [...live.namespaces],
  };
  const devices = new Set<string>();
  const targets = new Set<string>();
  const ignored: string[] = [];
  for (const m of manifests) {
    const name = m.metadata?.name;
    if (!name) throw new PluginError(`a ${m.kind ?? 'document'} without metadata.name`);
    if (m.kind === MAPPING_KIND && m.apiVersion === API_VERSION) {
      const ns = m.metadata?.namespace ?? defaultNs;
      const old = s.mappings.find((x) => sameKey(x, ns, name));
      for (const d of old?.spec?.devices ?? []) devices.add(d);
      for (const t of old?.spec?.fortiManagerTargets ?? []) targets.add(t);
      const next = {
        ...(m as FortiGateEndpointMapping),
        metadata: { ...old?.metadata, ...m.metadata, name, namespace: ns },
      };
      for (const d of next.spec?.devices ?? []) devices.add(d);
      for (const t of next.spec?.fortiManagerTargets ?? []) targets.add(t);
      s.mappings = [...s.mappings.filter((x) => x !== old), next];
    } else if (m.kind === DEVICE_KIND && m.apiVersion === API_VERSION) {
      const old = s.devices.find((x) => x.metadata.name === name);
      s.devices = [
        ...s.devices.filter((x) => x !== old),
        { ...(m as FortiGateDevice), metadata: { ...old?.metadata, ...m.metadata, name } },
      ];
      devices.add(name);
    } else if (m.kind === FORTIMANAGER_TARGET_KIND && m.apiVersion === API_VERSION) {
      const old = s.targets?.find((x) => x.metadata.name === name);
      s.targets = [
        ...(s.targets ?? []).filter((x) => x !== old),
        { ...(m as FortiManagerTarget), metadata: { ...old?.metadata, ...m.metadata, name } },
      ];
      targets.add(name);
    } else if (m.kind === 'Namespace' && m.apiVersion === 'v1') {
      const old = s.namespaces.find((x) => x.metadata?.name === name);
      const next: V1Namespace = {
        ...old,
        metadata: { ...old?.metadata, ...m.metadata, name, labels: m.metadata?.labels ?? {} },
      };
      s.namespaces = [...s.namespaces.filter((x) => x !== old), next];
      // A namespace's labels feed namespaceSelectors and device access: every device may change.
      for (const d of s.devices) devices.add(d.metadata.name);
      for (const t of s.targets ?? []) targets.add(t.metadata.name);
    } else {
      ignored.push(`${m.kind ?? '?'} ${m.metadata?.namespace ? `${m.metadata.namespace}/` : ''}${name}`);
    }
  }
  return { snapshot: s, devices: [...devices].sort(), targets: [...targets].sort(), ignored };
}
