import { KubeConfig } from '@kubernetes/client-node';
import { InvalidArgumentError, type Command } from 'commander';
import { planMigration, type MigrationOptions, type MigrationPlan } from '../migrate/generate.js';
import { diffOutput, writeOutput, type FileChange } from '../migrate/output.js';
import { renderFiles } from '../migrate/render.js';
import {
  inputFromCluster,
  inputFromObjects,
  readObjectsFromDir,
  type MigrationInput,
} from '../migrate/sources.js';
import { parseTigeraConfig, TIGERA_NAMESPACE } from '../migrate/tigera-config.js';

/** Exit codes: 0 every selected policy mapped; 3 some refused or unmapped (see the report); 1 errors. */
export const EXIT_REFUSED = 3;
export const EXIT_ERRORS = 1;

export interface MigrateOptions extends MigrationOptions {
  fromFiles?: string;
  kubeconfig?: string;
  output: string;
  dryRun: boolean;
}

const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function clusterName(value: string): string {
  if (value.length > 24 || !CLUSTER_NAME.test(value)) {
    throw new InvalidArgumentError(
      'at most 24 lowercase letters, digits and -, starting and ending alphanumeric',
    );
  }
  return value;
}

async function readInput(opts: MigrateOptions): Promise<MigrationInput> {
  if (opts.fromFiles)
    return inputFromObjects(
      readObjectsFromDir(opts.fromFiles),
      opts.tigeraNamespace,
      `files under ${opts.fromFiles}`,
    );
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  return inputFromCluster(kc, opts.tigeraNamespace);
}

/** Reads, plans and (unless dry run) writes; returns the exit code and what it printed. */
export async function runMigrate(opts: MigrateOptions, print: (line: string) => void): Promise<number> {
  const input = await readInput(opts);
  const { config, findings } = parseTigeraConfig(input.controller, input.devices);
  const plan = planMigration(config, [...input.findings, ...findings], input.policies, opts);
  const files = renderFiles(plan);
  const changes = diffOutput(opts.output, files);
  printSummary(plan, input.source, changes, opts, print);
  if (plan.findings.some((f) => f.severity === 'error')) {
    print('configuration errors (see above): nothing written');
    return EXIT_ERRORS;
  }
  if (!opts.dryRun) writeOutput(opts.output, files, changes);
  return plan.policies.every((p) => p.status === 'mapped') ? 0 : EXIT_REFUSED;
}

function printSummary(
  plan: MigrationPlan,
  source: string,
  changes: FileChange[],
  opts: MigrateOptions,
  print: (line: string) => void,
): void {
  print(`read: ${source}`);
  for (const f of plan.findings) print(`${f.severity}: ${f.where}: ${f.message}`);
  for (const p of plan.policies) {
    const detail =
      p.status === 'mapped'
        ? `→ ${p.mapping}`
        : p.refusals.map((r) => `${r.construct} (${r.fragment})`).join('; ');
    print(`policy ${p.policy}: ${p.status} ${detail}`.trimEnd());
  }
  const verb = opts.dryRun ? 'would' : 'will';
  const counted = changes.filter((c) => c.action !== 'unchanged');
  print(
    `${opts.output}: ${counted.length === 0 ? 'nothing to change' : `${verb} change ${counted.length} file(s)`}`,
  );
  for (const c of counted) print(`  ${c.action} ${c.path}`);
  print(
    `secrets to create before applying: ${plan.secrets.map((s) => `${s.namespace}/${s.name}`).join(', ') || 'none'} (commands in MIGRATION-REPORT.md)`,
  );
}

export function registerMigrateCommand(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('Write fortisync configuration from another product');
  migrate
    .command('calico-enterprise')
    .description(
      "Read Tigera's firewall controller configuration (ConfigMaps tigera-firewall-controller and tigera-firewall-controller-configs) and its GlobalNetworkPolicies, and write FortiGateDevice, FortiManagerTarget and FortiGateEndpointMapping manifests (one file per object) plus MIGRATION-REPORT.md. Exit code 0: every policy mapped; 3: some refused (see the report); 1: configuration errors, nothing written.",
    )
    .requiredOption('--cluster-name <name>', 'spec.clusterName of the generated devices', clusterName)
    .option(
      '--from-files <dir>',
      'read exported YAML/JSON (ConfigMaps and GlobalNetworkPolicies) instead of a cluster',
    )
    .option(
      '--kubeconfig <path>',
      'kubeconfig of the cluster to read (default: KUBECONFIG or ~/.kube/config)',
    )
    .option('--output <dir>', 'directory to write the manifests into', 'fortisync-migration')
    .option('--namespace <ns>', 'namespace of the generated mappings', 'fortisync-system')
    .option('--secret-namespace <ns>', 'namespace of the Secrets the devices reference', 'fortisync-system')
    .option('--tigera-namespace <ns>', "namespace of Tigera's ConfigMaps and Secrets", TIGERA_NAMESPACE)
    .option('--dry-run', 'print what would be written, write nothing', false)
    .action(async (opts: MigrateOptions) => {
      process.exitCode = await runMigrate(opts, (line) => console.log(line));
    });
}
