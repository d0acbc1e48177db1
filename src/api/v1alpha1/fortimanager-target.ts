import { conditionsSchema, type Condition, type ObjectMeta } from './common.js';
import {
  adoptionStatusSchema,
  deviceSpecSchema,
  type DeviceAdoptionStatus,
  type FortiGateDeviceSpec,
} from './fortigate-device.js';
import type { JsonSchema } from './schema-types.js';

export const FORTIMANAGER_TARGET_KIND = 'FortiManagerTarget';
export const FORTIMANAGER_TARGET_PLURAL = 'fortimanagertargets';

export type FortiManagerAuth = 'APIKey' | 'Session';
export type InstallPolicy = 'None' | 'Packages';

export interface InstallPackage {
  name: string;
  /** Absent: the package's own installation targets. */
  scope?: { device: string; vdom?: string }[];
}

/** The fields a FortiManagerTarget shares with a FortiGateDevice (same schema, same meaning). */
type SharedSpec = Pick<
  FortiGateDeviceSpec,
  | 'tls'
  | 'clusterName'
  | 'addressNamePrefix'
  | 'driftCheckIntervalSeconds'
  | 'access'
  | 'limits'
  | 'deletionPolicy'
  | 'suspend'
  | 'dryRun'
  | 'adoption'
>;

export interface FortiManagerTargetSpec extends SharedSpec {
  url: string;
  adom?: string;
  auth?: FortiManagerAuth;
  credentialsSecretRef: { name: string; namespace: string };
  maxConcurrentRequests?: number;
  install?: {
    policy?: InstallPolicy;
    packages?: InstallPackage[];
    coalesceSeconds?: number;
    timeoutSeconds?: number;
  };
}

export interface InstallRecord {
  package: string;
  taskId?: number;
  state: string;
  startTime?: string;
  endTime?: string;
  devices?: { name: string; vdom?: string; state: string; detail?: string }[];
}

export interface FortiManagerTargetStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  fortimanager?: { version?: string; hostname?: string; serial?: string };
  workspaceMode?: string;
  lockedBy?: { user: string; since?: string };
  managedAddresses?: number;
  managedGroups?: number;
  lastSyncTime?: string;
  lastDriftCheckTime?: string;
  installs?: InstallRecord[];
  adoption?: DeviceAdoptionStatus;
}

export interface FortiManagerTarget {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: FortiManagerTargetSpec;
  status?: FortiManagerTargetStatus;
}

/** Requests in flight to one FortiManager ADOM when the spec does not say. */
export const DEFAULT_FMG_MAX_CONCURRENT_REQUESTS = 4;

const SHARED_FIELDS = [
  'tls',
  'clusterName',
  'addressNamePrefix',
  'driftCheckIntervalSeconds',
  'access',
  'limits',
  'deletionPolicy',
  'suspend',
  'dryRun',
  'adoption',
] as const;

/** The FortiGateDevice's own property schemas, so grants, limits and TLS can never drift apart. */
function sharedProperties(): Record<string, JsonSchema> {
  const source = deviceSpecSchema.properties ?? {};
  return Object.fromEntries(
    SHARED_FIELDS.map((field) => {
      const schema = source[field];
      if (!schema) throw new Error(`FortiGateDevice schema lacks ${field}`);
      return [field, schema];
    }),
  );
}

const NAME_SCHEMA: JsonSchema = { type: 'string', minLength: 1, maxLength: 35, pattern: '^[A-Za-z0-9_.-]+$' };

const installSchema: JsonSchema = {
  type: 'object',
  description:
    'Whether fortisync installs policy packages after it changed objects a package uses. None (default): the FortiManager admins install; objects stay in the ADOM until then.',
  properties: {
    policy: {
      type: 'string',
      enum: ['None', 'Packages'],
      default: 'None',
      description:
        'None: never install. Packages: install each listed package whose policies use a group fortisync changed (FortiManager installs only objects a policy uses).',
    },
    packages: {
      type: 'array',
      description: 'Policy packages fortisync may install; it never installs a package not listed.',
      maxItems: 32,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { ...NAME_SCHEMA, maxLength: 63, description: 'Policy package name in the ADOM.' },
          scope: {
            type: 'array',
            description: "Devices (and VDOMs) to install to. Absent: the package's installation targets.",
            maxItems: 256,
            items: {
              type: 'object',
              required: ['device'],
              properties: {
                device: { ...NAME_SCHEMA, description: 'Managed device name in FortiManager.' },
                vdom: { ...NAME_SCHEMA, maxLength: 31, default: 'root', description: 'VDOM on the device.' },
              },
            },
          },
        },
      },
    },
    coalesceSeconds: {
      type: 'integer',
      default: 30,
      minimum: 5,
      maximum: 3600,
      description:
        'At most one install per package per this many seconds; changes meanwhile go in the next install.',
    },
    timeoutSeconds: {
      type: 'integer',
      default: 900,
      minimum: 30,
      maximum: 7200,
      description: 'How long to follow an install task before reporting it as timed out.',
    },
  },
  'x-kubernetes-validations': [
    {
      rule: "!has(self.policy) || self.policy != 'Packages' || (has(self.packages) && size(self.packages) > 0)",
      message: 'policy Packages needs at least one package',
    },
  ],
};

export const fortiManagerTargetSpecSchema: JsonSchema = {
  type: 'object',
  description:
    'How to reach one FortiManager ADOM, how to push changes to FortiGates, and who may map into it.',
  required: ['url', 'credentialsSecretRef', 'clusterName'],
  properties: {
    url: {
      type: 'string',
      maxLength: 2048,
      pattern: '^https?://[^\\s/?#@]+/?$',
      description:
        'Base URL of FortiManager (JSON-RPC at /jsonrpc): scheme, host and optional port, no path.',
    },
    adom: {
      ...NAME_SCHEMA,
      default: 'root',
      description: 'The ADOM whose address objects are managed (global for the global database).',
    },
    auth: {
      type: 'string',
      enum: ['APIKey', 'Session'],
      default: 'APIKey',
      description:
        'APIKey (FortiManager 7.2.2 and later): the Secret key apiKey, sent as a Bearer token. Session: the Secret keys username and password, one login session, logged out on shutdown.',
    },
    credentialsSecretRef: {
      type: 'object',
      description: 'Secret holding apiKey, or username and password.',
      required: ['name', 'namespace'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 253, description: 'Name of the Secret.' },
        namespace: { type: 'string', minLength: 1, maxLength: 63, description: 'Namespace of the Secret.' },
      },
    },
    maxConcurrentRequests: {
      type: 'integer',
      default: DEFAULT_FMG_MAX_CONCURRENT_REQUESTS,
      minimum: 1,
      maximum: 16,
      description: 'Most JSON-RPC requests in flight to this FortiManager from this target.',
    },
    install: installSchema,
    ...sharedProperties(),
  },
};

export const fortiManagerTargetStatusSchema: JsonSchema = {
  type: 'object',
  description: 'What fortisync last observed of the FortiManager ADOM and its installs.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The generation this status describes.' },
    conditions: conditionsSchema,
    fortimanager: {
      type: 'object',
      description: 'Identity FortiManager reported.',
      properties: {
        version: { type: 'string', description: 'FortiManager version.' },
        hostname: { type: 'string', description: 'Hostname.' },
        serial: { type: 'string', description: 'Serial number.' },
      },
    },
    workspaceMode: { type: 'string', description: 'Workspace mode that applies to the ADOM.' },
    lockedBy: {
      type: 'object',
      description: 'Who held the ADOM lock when fortisync last needed it.',
      required: ['user'],
      properties: {
        user: { type: 'string', description: 'Administrator holding the lock.' },
        since: { type: 'string', format: 'date-time', description: 'When the lock was taken.' },
      },
    },
    managedAddresses: { type: 'integer', description: 'Address objects fortisync owns in the ADOM.' },
    managedGroups: { type: 'integer', description: 'Address groups fortisync writes in the ADOM.' },
    lastSyncTime: { type: 'string', format: 'date-time', description: 'When the ADOM last matched.' },
    lastDriftCheckTime: {
      type: 'string',
      format: 'date-time',
      description: 'When the ADOM was last fully re-read.',
    },
    installs: {
      type: 'array',
      description: 'The latest install of each package.',
      maxItems: 32,
      items: {
        type: 'object',
        required: ['package', 'state'],
        properties: {
          package: { type: 'string', description: 'Policy package.' },
          taskId: { type: 'integer', description: 'FortiManager task id.' },
          state: { type: 'string', description: 'Task state (pending, running, done, error, …).' },
          startTime: { type: 'string', format: 'date-time', description: 'When the install started.' },
          endTime: { type: 'string', format: 'date-time', description: 'When it ended.' },
          devices: {
            type: 'array',
            description: 'Per device and VDOM result.',
            maxItems: 256,
            items: {
              type: 'object',
              required: ['name', 'state'],
              properties: {
                name: { type: 'string', description: 'Device.' },
                vdom: { type: 'string', description: 'VDOM.' },
                state: { type: 'string', description: 'Line state.' },
                detail: { type: 'string', maxLength: 1024, description: 'FortiManager detail text.' },
              },
            },
          },
        },
      },
    },
    adoption: adoptionStatusSchema,
  },
};
