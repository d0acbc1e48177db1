import { Ajv } from 'ajv';

export interface OperatorConfig {
  kubeconfig?: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  healthAddr: string;
  metricsAddr: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  logFormat: 'json' | 'text';
  shutdownTimeoutSeconds: number;
  deviceWorkers: number;
  /** ADR 0009: how long a FortiGate's sync may start further batches beside its writes (0: never). */
  overlapWindowSeconds?: number;
  mappingWorkers: number;
  resyncPeriodSeconds: number;
  watchSelector?: string;
  /** `*` or a comma-separated list: the namespaces whose Secrets and ConfigMaps devices may use. */
  credentialsNamespaces?: string;
  /** `NAME` (in the operator's namespace) or `NAMESPACE/NAME`: where Session-mode FMG session ids are kept. */
  fortimanagerSessionSecret?: string;
}

const ADDR = '^(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9.-]*):[0-9]{1,5}$';

export const operatorConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['leaderElect', 'leaderElectionId', 'healthAddr', 'metricsAddr', 'logLevel', 'logFormat'],
  properties: {
    kubeconfig: { type: 'string', minLength: 1 },
    leaderElect: { type: 'boolean' },
    leaderElectionNamespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    leaderElectionId: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253 },
    healthAddr: { type: 'string', pattern: ADDR },
    metricsAddr: { type: 'string', pattern: ADDR },
    logLevel: { enum: ['error', 'warn', 'info', 'debug'] },
    logFormat: { enum: ['json', 'text'] },
    shutdownTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 600 },
    deviceWorkers: { type: 'integer', minimum: 1, maximum: 32 },
    overlapWindowSeconds: { type: 'integer', minimum: 0, maximum: 60 },
    mappingWorkers: { type: 'integer', minimum: 1, maximum: 64 },
    resyncPeriodSeconds: { type: 'integer', minimum: 30, maximum: 86400 },
    watchSelector: { type: 'string', minLength: 1, maxLength: 1024 },
    credentialsNamespaces: {
      type: 'string',
      pattern: '^(\\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(,[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$',
      maxLength: 4096,
    },
    fortimanagerSessionSecret: {
      type: 'string',
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
      maxLength: 317,
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, coerceTypes: true }).compile(operatorConfigSchema);

/** Validates (and coerces numbers from flag/env strings); throws a message naming each bad option. */
export function parseOperatorConfig(raw: Record<string, unknown>): OperatorConfig {
  const copy: Record<string, unknown> = Object.fromEntries(
    Object.entries(raw).filter(([, v]) => v !== undefined),
  );
  if (!validate(copy)) {
    const problems = (validate.errors ?? []).map((e) => {
      const field = e.instancePath.replace(/^\//, '') || String(e.params.additionalProperty ?? '');
      const flag = '--' + field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return `${flag}: ${e.message ?? 'invalid'}${e.keyword === 'enum' ? ` (${(e.params.allowedValues as string[]).join(', ')})` : ''}`;
    });
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return copy as unknown as OperatorConfig;
}

/** The namespaces of `--credentials-namespaces`; undefined for `*` or unset (any namespace). */
export function credentialsNamespacesOf(
  cfg: Pick<OperatorConfig, 'credentialsNamespaces'>,
): string[] | undefined {
  const v = cfg.credentialsNamespaces;
  return v === undefined || v === '*' ? undefined : v.split(',');
}

export function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host || '0.0.0.0', port: Number(addr.slice(i + 1)) };
}

/**
 * The Secret of `--fortimanager-session-secret`: `NAMESPACE/NAME`, or `NAME` in the operator's own
 * namespace (`--leader-election-namespace`, from POD_NAMESPACE in the Deployment). Undefined: unset.
 */
export function fortiManagerSessionSecretOf(
  cfg: Pick<OperatorConfig, 'fortimanagerSessionSecret' | 'leaderElectionNamespace'>,
): { namespace: string; name: string } | undefined {
  const v = cfg.fortimanagerSessionSecret;
  if (v === undefined) return undefined;
  const slash = v.indexOf('/');
  if (slash >= 0) return { namespace: v.slice(0, slash), name: v.slice(slash + 1) };
  if (!cfg.leaderElectionNamespace)
    throw new Error(
      `--fortimanager-session-secret ${v}: no namespace; write NAMESPACE/NAME or set --leader-election-namespace (POD_NAMESPACE)`,
    );
  return { namespace: cfg.leaderElectionNamespace, name: v };
}
