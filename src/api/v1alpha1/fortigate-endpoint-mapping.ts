import {
  conditionsSchema,
  FORTIOS_NAME_MAX,
  FORTIOS_NAME_PATTERN,
  labelSelectorSchema,
  type Condition,
  type LabelSelector,
  type ObjectMeta,
} from './common.js';
import type { JsonSchema } from './schema-types.js';

export const MAPPING_KIND = 'FortiGateEndpointMapping';
export const MAPPING_PLURAL = 'fortigateendpointmappings';

export type AddressType = 'Node' | 'Pod';
export type IPFamily = 'IPv4' | 'IPv6';

export interface FortiGateEndpointMappingSpec {
  /** FortiGateDevices fed by this mapping; this or fortiManagerTargets (or both). */
  devices?: string[];
  /** FortiManagerTargets (ADOMs) fed by this mapping. */
  fortiManagerTargets?: string[];
  addressGroup: string;
  podSelector: LabelSelector;
  namespaceSelector?: LabelSelector;
  addressType?: AddressType;
  ipFamilies?: IPFamily[];
  deletionPolicy?: 'Delete' | 'Orphan';
  suspend?: boolean;
  dryRun?: boolean;
}

export interface MemberPreview {
  address: string;
  family: IPFamily;
  node?: string;
  pod?: string;
}

/** The kinds a mapping can feed; status entries without `kind` are FortiGateDevices. */
export type TargetKind = 'FortiGateDevice' | 'FortiManagerTarget';

export interface DeviceSyncState {
  name: string;
  kind?: TargetKind;
  synced: boolean;
  members?: number;
  lastSyncTime?: string;
  lastError?: string;
}

export interface PlannedChanges {
  createAddresses?: string[];
  updateAddresses?: string[];
  addMembers?: string[];
  removeMembers?: string[];
  deleteAddresses?: string[];
  createGroups?: string[];
  deleteGroups?: string[];
}

export interface FortiGateEndpointMappingStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  members?: number;
  memberPreview?: MemberPreview[];
  devices?: DeviceSyncState[];
  lastSyncTime?: string;
  plan?: PlannedChanges;
}

export interface FortiGateEndpointMapping {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: FortiGateEndpointMappingSpec;
  status?: FortiGateEndpointMappingStatus;
}

export const MEMBER_PREVIEW_LIMIT = 20;
const PLAN_LIST_LIMIT = 50;

function nameList(description: string): JsonSchema {
  return { type: 'array', description, maxItems: PLAN_LIST_LIMIT, items: { type: 'string' } };
}

export const mappingSpecSchema: JsonSchema = {
  type: 'object',
  description: 'Which pods feed which FortiGate address group on which devices.',
  required: ['addressGroup', 'podSelector'],
  'x-kubernetes-validations': [
    {
      rule: 'has(self.devices) || has(self.fortiManagerTargets)',
      message:
        'name at least one FortiGateDevice in devices or one FortiManagerTarget in fortiManagerTargets',
    },
  ],
  properties: {
    devices: {
      type: 'array',
      description: 'Names of the FortiGateDevice objects whose address group this mapping feeds.',
      minItems: 1,
      maxItems: 16,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', minLength: 1, maxLength: 253 },
    },
    fortiManagerTargets: {
      type: 'array',
      description:
        'Names of the FortiManagerTarget objects whose ADOM address group this mapping feeds (FortiManager installs it to the FortiGates).',
      minItems: 1,
      maxItems: 16,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', minLength: 1, maxLength: 253 },
    },
    addressGroup: {
      type: 'string',
      minLength: 1,
      maxLength: FORTIOS_NAME_MAX,
      pattern: FORTIOS_NAME_PATTERN,
      description:
        'The FortiGate address group to keep in sync (created when missing). At most 79 characters, without ", \', < or >. IPv6 members go to the addrgrp6 group of the same name.',
      'x-kubernetes-validations': [
        {
          rule: "self != 'all' && self != 'none'",
          message: "'all' and 'none' are built-in FortiGate addresses, not usable as a group name",
        },
        { rule: 'self == self.trim()', message: 'the group name must not start or end with whitespace' },
      ],
    },
    podSelector: labelSelectorSchema(
      "Pods whose addresses (or whose nodes' addresses) join the group. {} selects all pods.",
    ),
    namespaceSelector: labelSelectorSchema(
      "Namespaces to select pods from. Absent: only the mapping's own namespace; {} selects all namespaces.",
    ),
    addressType: {
      type: 'string',
      enum: ['Node', 'Pod'],
      default: 'Node',
      description:
        'Node: the group holds the addresses of the nodes the selected pods run on (traffic leaves the node source-NATed). Pod: the pod addresses themselves (routable pod networks).',
    },
    ipFamilies: {
      type: 'array',
      description: 'Address families to sync: IPv4 (address/addrgrp), IPv6 (address6/addrgrp6), or both.',
      default: ['IPv4'],
      minItems: 1,
      maxItems: 2,
      'x-kubernetes-list-type': 'set',
      items: { type: 'string', enum: ['IPv4', 'IPv6'] },
    },
    deletionPolicy: {
      type: 'string',
      enum: ['Delete', 'Orphan'],
      default: 'Delete',
      description:
        "When the mapping is deleted its members always leave the group. Delete also deletes the group if fortisync created it and nothing else uses it; Orphan keeps the group (holding 'none' if empty).",
    },
    suspend: {
      type: 'boolean',
      default: false,
      description: 'Stop updating this group; what the FortiGate holds stays as it is.',
    },
    dryRun: {
      type: 'boolean',
      default: false,
      description: 'Compute the changes and show them in status.plan; write nothing.',
    },
  },
};

export const mappingStatusSchema: JsonSchema = {
  type: 'object',
  description: 'What fortisync last did for this mapping.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The generation this status describes.' },
    conditions: conditionsSchema,
    members: {
      type: 'integer',
      description: 'Addresses this mapping currently puts in the group (all families).',
    },
    memberPreview: {
      type: 'array',
      description: `Up to ${MEMBER_PREVIEW_LIMIT} of the members, with the node or pod each stands for.`,
      maxItems: MEMBER_PREVIEW_LIMIT,
      items: {
        type: 'object',
        required: ['address', 'family'],
        properties: {
          address: { type: 'string', description: 'The IP address.' },
          family: { type: 'string', enum: ['IPv4', 'IPv6'], description: 'Address family.' },
          node: { type: 'string', description: 'The node this address belongs to.' },
          pod: { type: 'string', description: 'namespace/name of the pod (Pod mode).' },
        },
      },
    },
    devices: {
      type: 'array',
      description: 'Sync state per FortiGateDevice and per FortiManagerTarget.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name', 'kind'],
      maxItems: 32,
      items: {
        type: 'object',
        required: ['name', 'synced'],
        properties: {
          name: { type: 'string', description: 'The FortiGateDevice or FortiManagerTarget.' },
          kind: {
            type: 'string',
            enum: ['FortiGateDevice', 'FortiManagerTarget'],
            default: 'FortiGateDevice',
            description: 'Kind of the target named by name.',
          },
          synced: { type: 'boolean', description: 'Whether the device holds the desired members.' },
          members: { type: 'integer', description: 'Members of this mapping on this device.' },
          lastSyncTime: { type: 'string', format: 'date-time', description: 'When it last matched.' },
          lastError: { type: 'string', description: 'The last error, if the last sync failed.' },
        },
      },
    },
    lastSyncTime: { type: 'string', format: 'date-time', description: 'When every device last matched.' },
    plan: {
      type: 'object',
      description: 'In dry-run: what a sync would change.',
      properties: {
        createAddresses: nameList('Address objects that would be created.'),
        updateAddresses: nameList('Address objects whose subnet or comment would be fixed.'),
        addMembers: nameList('Members that would join the group.'),
        removeMembers: nameList('Members that would leave the group.'),
        deleteAddresses: nameList('Address objects that would be deleted.'),
        createGroups: nameList('Groups that would be created.'),
        deleteGroups: nameList('Groups that would be deleted.'),
      },
    },
  },
};
