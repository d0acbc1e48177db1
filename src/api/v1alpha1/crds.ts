import { GROUP, VERSION } from './common.js';
import { DEVICE_KIND, DEVICE_PLURAL, deviceSpecSchema, deviceStatusSchema } from './fortigate-device.js';
import {
  MAPPING_KIND,
  MAPPING_PLURAL,
  mappingSpecSchema,
  mappingStatusSchema,
} from './fortigate-endpoint-mapping.js';
import {
  FORTIMANAGER_TARGET_KIND,
  FORTIMANAGER_TARGET_PLURAL,
  fortiManagerTargetSpecSchema,
  fortiManagerTargetStatusSchema,
} from './fortimanager-target.js';
import type { JsonSchema } from './schema-types.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames: string[];
      categories: string[];
    };
    scope: 'Namespaced' | 'Cluster';
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
    }[];
  };
}

function rootSchema(description: string, spec: JsonSchema, status: JsonSchema): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string', description: 'APIVersion of this object.' },
      kind: { type: 'string', description: 'Kind of this object.' },
      metadata: { type: 'object' },
      spec,
      status,
    },
  };
}

const readyStatus = '.status.conditions[?(@.type=="Ready")].status';
const readyReason = '.status.conditions[?(@.type=="Ready")].reason';

function crd(
  kind: string,
  plural: string,
  shortName: string,
  scope: 'Namespaced' | 'Cluster',
  schema: JsonSchema,
  columns: PrinterColumn[],
): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'fortisync' } },
    spec: {
      group: GROUP,
      names: {
        kind,
        listKind: `${kind}List`,
        plural,
        singular: kind.toLowerCase(),
        shortNames: [shortName],
        categories: ['fortisync'],
      },
      scope,
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: schema },
          subresources: { status: {} },
          additionalPrinterColumns: columns,
        },
      ],
    },
  };
}

// Columns both kinds show, in the same place.
const lastSyncColumn: PrinterColumn = {
  name: 'Last Sync',
  type: 'date',
  jsonPath: '.status.lastSyncTime',
  description: 'Last time in sync.',
  priority: 1,
};
const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Age.',
};

export const deviceCrd = crd(
  DEVICE_KIND,
  DEVICE_PLURAL,
  'fgd',
  'Cluster',
  rootSchema(
    'A FortiGate (one VDOM) that fortisync keeps address objects and groups on, with the credentials to reach it and who may map into it.',
    deviceSpecSchema,
    deviceStatusSchema,
  ),
  [
    {
      name: 'Ready',
      type: 'string',
      jsonPath: readyStatus,
      description: 'Whether the device is reachable and in sync.',
    },
    { name: 'Reason', type: 'string', jsonPath: readyReason, description: 'Why it is (not) ready.' },
    { name: 'URL', type: 'string', jsonPath: '.spec.url', description: 'FortiGate REST API URL.' },
    { name: 'VDOM', type: 'string', jsonPath: '.spec.vdom', description: 'Managed VDOM.' },
    { name: 'Version', type: 'string', jsonPath: '.status.fortios.version', description: 'FortiOS version.' },
    {
      name: 'Addresses',
      type: 'integer',
      jsonPath: '.status.managedAddresses',
      description: 'Owned address objects.',
      priority: 1,
    },
    {
      name: 'Cluster',
      type: 'string',
      jsonPath: '.spec.clusterName',
      description: 'Cluster name in object names.',
      priority: 1,
    },
    lastSyncColumn,
    ageColumn,
  ],
);

export const mappingCrd = crd(
  MAPPING_KIND,
  MAPPING_PLURAL,
  'fgem',
  'Namespaced',
  rootSchema(
    'Keeps a FortiGate address group equal to the addresses of the pods (or their nodes) a label selector picks.',
    mappingSpecSchema,
    mappingStatusSchema,
  ),
  [
    {
      name: 'Ready',
      type: 'string',
      jsonPath: readyStatus,
      description: 'Whether the group matches the selected pods.',
    },
    { name: 'Reason', type: 'string', jsonPath: readyReason, description: 'Why it is (not) ready.' },
    { name: 'Device', type: 'string', jsonPath: '.spec.devices', description: 'Target FortiGateDevices.' },
    {
      name: 'FortiManager',
      type: 'string',
      jsonPath: '.spec.fortiManagerTargets',
      description: 'Target FortiManagerTargets.',
      priority: 1,
    },
    {
      name: 'Group',
      type: 'string',
      jsonPath: '.spec.addressGroup',
      description: 'FortiGate address group.',
    },
    { name: 'Type', type: 'string', jsonPath: '.spec.addressType', description: 'Node or Pod addresses.' },
    {
      name: 'Members',
      type: 'integer',
      jsonPath: '.status.members',
      description: 'Addresses in the group from this mapping.',
    },
    {
      name: 'Families',
      type: 'string',
      jsonPath: '.spec.ipFamilies',
      description: 'IP families.',
      priority: 1,
    },
    lastSyncColumn,
    {
      name: 'Dry Run',
      type: 'boolean',
      jsonPath: '.spec.dryRun',
      description: 'Whether writes are disabled.',
      priority: 1,
    },
    ageColumn,
  ],
);

export const fortiManagerTargetCrd = crd(
  FORTIMANAGER_TARGET_KIND,
  FORTIMANAGER_TARGET_PLURAL,
  'fmgt',
  'Cluster',
  rootSchema(
    'A FortiManager ADOM that fortisync keeps address objects and groups in, with the credentials to reach it, how changes are installed to FortiGates, and who may map into it (docs/fortimanager.md).',
    fortiManagerTargetSpecSchema,
    fortiManagerTargetStatusSchema,
  ),
  [
    {
      name: 'Ready',
      type: 'string',
      jsonPath: readyStatus,
      description: 'Whether the ADOM is reachable and in sync.',
    },
    { name: 'Reason', type: 'string', jsonPath: readyReason, description: 'Why it is (not) ready.' },
    { name: 'URL', type: 'string', jsonPath: '.spec.url', description: 'FortiManager URL.' },
    { name: 'ADOM', type: 'string', jsonPath: '.spec.adom', description: 'Managed ADOM.' },
    {
      name: 'Workspace',
      type: 'string',
      jsonPath: '.status.workspaceMode',
      description: 'Workspace mode of the ADOM.',
    },
    { name: 'Install', type: 'string', jsonPath: '.spec.install.policy', description: 'Install policy.' },
    {
      name: 'Version',
      type: 'string',
      jsonPath: '.status.fortimanager.version',
      description: 'FortiManager version.',
      priority: 1,
    },
    {
      name: 'Cluster',
      type: 'string',
      jsonPath: '.spec.clusterName',
      description: 'Cluster name in object names.',
      priority: 1,
    },
    lastSyncColumn,
    ageColumn,
  ],
);

/** File name in crds/ for each CRD; `fortisync gen-crds` and a unit test keep them equal. */
export const CRD_FILES: Record<string, CustomResourceDefinition> = {
  'fortisync.io_fortigatedevices.yaml': deviceCrd,
  'fortisync.io_fortigateendpointmappings.yaml': mappingCrd,
  'fortisync.io_fortimanagertargets.yaml': fortiManagerTargetCrd,
};
