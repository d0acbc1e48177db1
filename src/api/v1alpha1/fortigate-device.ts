import {
  conditionsSchema,
  labelSelectorSchema,
  type Condition,
  type LabelSelector,
  type ObjectMeta,
} from './common.js';
import type { JsonSchema } from './schema-types.js';

export const DEVICE_KIND = 'FortiGateDevice';
export const DEVICE_PLURAL = 'fortigatedevices';

export interface SecretKeyRef {
  name: string;
  namespace: string;
  key?: string;
}

export interface FortiGateDeviceSpec {
  url: string;
  insecurePlainHTTP?: boolean;
  vdom?: string;
  credentialsSecretRef: SecretKeyRef;
  tls?: {
    caBundle?: string;
    caSecretRef?: SecretKeyRef;
    caConfigMapRef?: SecretKeyRef;
    insecureSkipVerify?: boolean;
  };
  clusterName: string;
  addressNamePrefix?: string;
  driftCheckIntervalSeconds?: number;
  maxConcurrentRequests?: number;
  access?: DeviceAccess;
  limits?: {
    maxAddresses?: number;
    maxMembersPerGroup?: number;
    maxAddressesPerNamespace?: number;
  };
  deletionPolicy?: 'Delete' | 'Retain';
  suspend?: boolean;
  dryRun?: boolean;
  adoption?: DeviceAdoption;
}

/** Groups another controller made that fortisync takes over in place (ADR 0004). */
export interface DeviceAdoption {
  source: 'CalicoEnterprise';
  groups: string[];
  settleSeconds?: number;
  cleanup?: 'Keep' | 'DeleteUnreferenced';
}

/** One adopted group's progress, as the device status shows it. */
export interface AdoptedGroupStatus {
  name: string;
  family: 'IPv4' | 'IPv6';
  state: 'Adding' | 'Settling' | 'Adopted' | 'Conflict' | 'NotCalicoEnterprise';
  since: string;
  members?: { ours: number; tigera: number; foreign: number };
  message?: string;
  /** Conflict: the retry annotation's value when adoption stopped. */
  retryToken?: string;
}

export interface DeviceAdoptionStatus {
  groups?: AdoptedGroupStatus[];
  unadopted?: { groups: string[]; addresses: number };
}

/** Lets mappings in `from` namespaces select pods in `to` namespaces (like Gateway API's ReferenceGrant). */
export interface CrossNamespaceGrant {
  from: LabelSelector;
  to: LabelSelector;
}

/** Which namespaces may feed which groups, and whether a group may be fed by several namespaces. */
export interface GroupRule {
  namespaceSelector: LabelSelector;
  groups: string[];
  shared?: boolean;
}

/** Who may write what on a device (docs/tenancy.md). */
export interface DeviceAccess {
  namespaceSelector?: LabelSelector;
  allowedGroups?: string[];
  crossNamespaceGrants?: CrossNamespaceGrant[];
  groupRules?: GroupRule[];
  existingGroups?: string[];
}

export interface FortiOSIdentity {
  version?: string;
  build?: number;
  serial?: string;
  /** The VDOM that answered the identity call. */
  vdom?: string;
  hostname?: string;
  model?: string;
}

export interface FortiGateDeviceStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  fortios?: FortiOSIdentity;
  managedAddresses?: number;
  managedGroups?: number;
  lastSyncTime?: string;
  lastDriftCheckTime?: string;
  adoption?: DeviceAdoptionStatus;
}

export interface FortiGateDevice {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: FortiGateDeviceSpec;
  status?: FortiGateDeviceStatus;
}

function keyRefSchema(what: string, defaultKey: string): JsonSchema {
  return {
    type: 'object',
    description: `Reference to a key in a ${what}.`,
    required: ['name', 'namespace'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 253, description: `Name of the ${what}.` },
      namespace: { type: 'string', minLength: 1, maxLength: 63, description: `Namespace of the ${what}.` },
      key: {
        type: 'string',
        minLength: 1,
        maxLength: 253,
        default: defaultKey,
        description: `Key in the ${what}.`,
      },
    },
  };
}

/** Requests in flight to one FortiGate when the spec does not say (the schema's default). */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 16;

export const deviceSpecSchema: JsonSchema = {
  type: 'object',
  description: 'How to reach one FortiGate (and VDOM), and who may map into it.',
  required: ['url', 'credentialsSecretRef', 'clusterName'],
  'x-kubernetes-validations': [
    {
      rule: "!self.url.startsWith('http://') || (has(self.insecurePlainHTTP) && self.insecurePlainHTTP)",
      message:
        'an http:// url sends the API token in clear text: use https://, or set insecurePlainHTTP: true (labs and simulators only)',
    },
  ],
  properties: {
    url: {
      type: 'string',
      maxLength: 2048,
      pattern: '^https?://[^\\s/?#@]+/?$',
      description:
        'Base URL of the FortiGate REST API: scheme, host and optional port, no path (e.g. https://fw1.example.net:8443). http:// only with insecurePlainHTTP.',
    },
    insecurePlainHTTP: {
      type: 'boolean',
      default: false,
      description:
        'Allow an http:// url: the API token and every object travel unencrypted. For labs and simulators only; reported as a warning condition (InsecureTransport).',
    },
    vdom: {
      type: 'string',
      default: 'root',
      minLength: 1,
      maxLength: 31,
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'The VDOM whose address tables are managed.',
    },
    credentialsSecretRef: {
      ...keyRefSchema('Secret holding the REST API admin token', 'token'),
    },
    tls: {
      type: 'object',
      description:
        'How to trust the FortiGate certificate. Absent: the system trust store. Set at most one of caBundle, caSecretRef, caConfigMapRef, or insecureSkipVerify alone.',
      properties: {
        caBundle: { type: 'string', maxLength: 65536, description: 'PEM CA certificates to trust.' },
        caSecretRef: keyRefSchema('Secret holding PEM CA certificates', 'ca.crt'),
        caConfigMapRef: keyRefSchema('ConfigMap holding PEM CA certificates', 'ca.crt'),
        insecureSkipVerify: {
          type: 'boolean',
          default: false,
          description:
            'Do not verify the certificate at all. For labs only; reported as a warning condition.',
        },
      },
      'x-kubernetes-validations': [
        {
          rule: '(has(self.caBundle) ? 1 : 0) + (has(self.caSecretRef) ? 1 : 0) + (has(self.caConfigMapRef) ? 1 : 0) <= 1',
          message: 'set at most one of caBundle, caSecretRef and caConfigMapRef',
        },
        {
          rule: '!(has(self.insecureSkipVerify) && self.insecureSkipVerify) || (!has(self.caBundle) && !has(self.caSecretRef) && !has(self.caConfigMapRef))',
          message:
            'insecureSkipVerify cannot be combined with a CA (caBundle, caSecretRef or caConfigMapRef)',
        },
      ],
    },
    clusterName: {
      type: 'string',
      minLength: 1,
      maxLength: 24,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      description:
        'Name of this cluster as it appears in FortiGate object names and ownership markers; must differ between clusters that share a FortiGate. No dash-separated part may be node, node6, pod or pod6 (address names would be ambiguous).',
      'x-kubernetes-validations': [
        {
          rule: "!self.matches('(^|-)(node|pod)6?(-|$)')",
          message:
            'clusterName must not contain node, node6, pod or pod6 as a dash-separated part: address names of two clusters could collide',
        },
      ],
    },
    addressNamePrefix: {
      type: 'string',
      default: 'k8s',
      minLength: 1,
      maxLength: 12,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_]*$',
      description:
        'Prefix of the address object names fortisync creates (letters, digits, underscore; no dash, so names parse unambiguously).',
    },
    driftCheckIntervalSeconds: {
      type: 'integer',
      default: 300,
      minimum: 10,
      maximum: 86400,
      description:
        'How often the FortiGate is re-read and repaired (deleted objects, removed members, changed subnets).',
    },
    maxConcurrentRequests: {
      type: 'integer',
      default: DEFAULT_MAX_CONCURRENT_REQUESTS,
      minimum: 1,
      maximum: 64,
      description:
        'Most REST API requests fortisync keeps in flight to this device (one connection each). FortiOS documents no request-rate limit and handles far more parallel creates; lower it for a small or busy FortiGate.',
    },
    access: {
      type: 'object',
      description:
        "Which mappings may write into this device, and where (docs/tenancy.md). Absent: every namespace may feed any group fortisync creates, each group fed by one namespace, pods only from the mapping's own namespace, and no group fortisync did not create.",
      properties: {
        namespaceSelector: labelSelectorSchema(
          'Namespaces whose mappings may use this device, and whose pods may become members. Absent: all namespaces; {} also matches all.',
        ),
        allowedGroups: {
          type: 'array',
          description:
            'Address group names mappings may write, as glob patterns (`*` any run of characters, `?` one). Absent: any.',
          maxItems: 64,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', minLength: 1, maxLength: 79 },
        },
        crossNamespaceGrants: {
          type: 'array',
          description:
            'Which mappings may select pods outside their own namespace (spec.namespaceSelector): a mapping in a namespace matching `from` may select pods in namespaces matching `to`. A mapping selecting any namespace no grant covers is Stalled (CrossNamespaceNotGranted) and contributes nothing. Absent: no mapping may select beyond its namespace.',
          maxItems: 32,
          items: {
            type: 'object',
            required: ['from', 'to'],
            properties: {
              from: labelSelectorSchema('Namespaces of the mappings this grant is for; {} matches all.'),
              to: labelSelectorSchema('Namespaces whose pods those mappings may select; {} matches all.'),
            },
          },
        },
        groupRules: {
          type: 'array',
          description:
            'Which namespaces may feed which groups. A mapping may feed a group only when a rule matches both its namespace and the group. A group is fed by one namespace (that of its oldest mapping) unless the rules of both namespaces say shared. Absent: any namespace may feed any group, none shared.',
          maxItems: 64,
          items: {
            type: 'object',
            required: ['namespaceSelector', 'groups'],
            properties: {
              namespaceSelector: labelSelectorSchema('Namespaces this rule is for; {} matches all.'),
              groups: {
                type: 'array',
                description: 'Group names, as glob patterns (`*` any run of characters, `?` one).',
                minItems: 1,
                maxItems: 64,
                'x-kubernetes-list-type': 'set',
                items: { type: 'string', minLength: 1, maxLength: 79 },
              },
              shared: {
                type: 'boolean',
                default: false,
                description:
                  'Mappings of several namespaces may feed these groups together (each namespace needs a rule saying shared).',
              },
            },
          },
        },
        existingGroups: {
          type: 'array',
          description:
            'Groups fortisync did not create (no ownership marker of this cluster) that mappings may add their members to, as glob patterns. Any other existing group is refused (GroupNotOwned). Absent: none.',
          maxItems: 64,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', minLength: 1, maxLength: 79 },
        },
      },
    },
    limits: {
      type: 'object',
      description: 'Safety limits fortisync enforces before writing.',
      properties: {
        maxAddresses: {
          type: 'integer',
          minimum: 1,
          description: 'Most address objects fortisync may own on this device.',
        },
        maxMembersPerGroup: {
          type: 'integer',
          minimum: 1,
          description: 'Most members fortisync may put in one group.',
        },
        maxAddressesPerNamespace: {
          type: 'integer',
          minimum: 1,
          description:
            'Most addresses the mappings of one namespace may use on this device (a node address used by two namespaces counts for each). New members of a namespace over it are held back and its mappings report NamespaceAddressLimitReached; other namespaces go on.',
        },
      },
    },
    deletionPolicy: {
      type: 'string',
      enum: ['Delete', 'Retain'],
      default: 'Delete',
      description:
        'When the device is deleted: Delete removes every object fortisync owns on it (members first); Retain leaves them.',
    },
    suspend: {
      type: 'boolean',
      default: false,
      description: 'Stop writing to this device; its objects stay as they are.',
    },
    dryRun: {
      type: 'boolean',
      default: false,
      description: 'Compute and show what would change in mapping status, write nothing.',
    },
    adoption: {
      type: 'object',
      description:
        "Address groups Calico Enterprise's firewall controller made, which fortisync takes over in place (docs/migrate-from-calico-enterprise.md). A listed group is adopted when a mapping feeds it here, access.existingGroups names it, and its comment carries Calico Enterprise's marker: fortisync's members go in first, and only after they have held for settleSeconds do Tigera's members and no-members leave, in one write that also gives the group fortisync's comment. The name never changes. A group rewritten twice behind fortisync's back is left alone (AdoptionConflict) until the annotation fortisync.io/retry-adoption takes a new value.",
      required: ['source', 'groups'],
      properties: {
        source: {
          type: 'string',
          enum: ['CalicoEnterprise'],
          description: 'Whose groups: CalicoEnterprise (comment "Managed by Calico Enterprise").',
        },
        groups: {
          type: 'array',
          description:
            'Exact group names to adopt (no patterns: adoption removes members fortisync did not create).',
          minItems: 1,
          maxItems: 256,
          'x-kubernetes-list-type': 'set',
          items: { type: 'string', minLength: 1, maxLength: 79 },
        },
        cleanup: {
          type: 'string',
          enum: ['Keep', 'DeleteUnreferenced'],
          default: 'Keep',
          description:
            "Keep: Calico Enterprise's objects that no adopted group holds stay (listed in status.adoption.unadopted). DeleteUnreferenced: at each drift check, its addresses and groups that nothing references (no policy, no group: FortiOS q_ref 0, FortiManager where-used) are deleted, never a group listed in groups; a deletion the firewall refuses (in use) is reported once and not retried until the operator restarts.",
        },
        settleSeconds: {
          type: 'integer',
          default: 30,
          minimum: 5,
          maximum: 3600,
          description:
            "How long fortisync's members must stay in a group, unremoved by anyone else, before Calico Enterprise's members leave. Keep it above the Tigera controller's FW_POLL_INTERVAL (10 s by default) so a controller still running shows before anything of it is removed.",
        },
      },
    },
  },
};

const adoptedGroupStatusSchema: JsonSchema = {
  type: 'object',
  required: ['name', 'family', 'state', 'since'],
  properties: {
    name: { type: 'string', description: 'The group.' },
    family: { type: 'string', enum: ['IPv4', 'IPv6'], description: 'Its address family.' },
    state: {
      type: 'string',
      enum: ['Adding', 'Settling', 'Adopted', 'Conflict', 'NotCalicoEnterprise'],
      description:
        "Adding: fortisync's members go in beside Tigera's. Settling: they are all in and must hold. Adopted: Tigera's members left and the comment is fortisync's. Conflict: rewritten twice behind fortisync's back, nothing more is written to it. NotCalicoEnterprise: the comment lacks Calico Enterprise's marker, not adopted.",
    },
    since: { type: 'string', format: 'date-time', description: 'When the group entered this state.' },
    members: {
      type: 'object',
      description: 'The members the last read showed, by owner.',
      properties: {
        ours: { type: 'integer', description: "fortisync's addresses." },
        tigera: { type: 'integer', description: "Calico Enterprise's addresses and no-members." },
        foreign: { type: 'integer', description: 'Anyone else’s (kept as they are).' },
      },
    },
    message: { type: 'string', description: 'What happened, and what to do.' },
    retryToken: {
      type: 'string',
      description:
        'Conflict: the fortisync.io/retry-adoption value when adoption stopped; a new value retries.',
    },
  },
};

/** `status.adoption`: the same on a FortiGateDevice and a FortiManagerTarget. */
export const adoptionStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Progress of spec.adoption.',
  properties: {
    groups: {
      type: 'array',
      items: adoptedGroupStatusSchema,
      description: 'Each adopted group, per family.',
    },
    unadopted: {
      type: 'object',
      description:
        'Objects Calico Enterprise made that no adopted group accounts for: left alone (names capped at 50).',
      properties: {
        groups: {
          type: 'array',
          items: { type: 'string' },
          description: 'Groups with Calico Enterprise’s comment that no mapping adopts.',
        },
        addresses: {
          type: 'integer',
          description: 'Calico Enterprise’s addresses no adopted group holds.',
        },
      },
    },
  },
};

export const deviceStatusSchema: JsonSchema = {
  type: 'object',
  description: 'What fortisync last observed of the device.',
  properties: {
    observedGeneration: { type: 'integer', description: 'The generation this status describes.' },
    conditions: conditionsSchema,
    fortios: {
      type: 'object',
      description: 'Identity the device reported.',
      properties: {
        version: { type: 'string', description: 'FortiOS version, e.g. v7.2.8.' },
        build: { type: 'integer', description: 'FortiOS build number.' },
        serial: { type: 'string', description: 'Serial number.' },
        vdom: {
          type: 'string',
          description:
            'The VDOM that answered. Serial, VDOM and clusterName are the scope one device owns: a second device with the same scope gets a Conflict condition and writes nothing.',
        },
        hostname: { type: 'string', description: 'Hostname.' },
        model: { type: 'string', description: 'Model name.' },
      },
    },
    managedAddresses: { type: 'integer', description: 'Address objects fortisync owns on the device.' },
    managedGroups: { type: 'integer', description: 'Address groups fortisync writes on the device.' },
    lastSyncTime: {
      type: 'string',
      format: 'date-time',
      description: 'When the device last matched the desired state.',
    },
    lastDriftCheckTime: {
      type: 'string',
      format: 'date-time',
      description: 'When the device was last fully re-read.',
    },
    adoption: adoptionStatusSchema,
  },
};
