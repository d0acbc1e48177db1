import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { Option, type Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  credentialsNamespacesOf,
  fortiManagerSessionSecretOf,
  parseOperatorConfig,
  splitHostPort,
  type OperatorConfig,
} from '../operator/config.js';
import { OVERLAP_WINDOW_MS } from '../controllers/device/sync.js';
import { reuseApiServerAgents } from '../operator/kube-agents.js';
import { createLogger } from '../operator/logging.js';
import type { Logger } from 'winston';
import { Operator } from '../operator/operator.js';
import { HealthServer } from '../runtime/health.js';
import { defaultIdentity, LeaderElector } from '../runtime/leader-election.js';
import { kubeLeaseStore } from '../runtime/lease-store.js';
import { MetricsServer } from '../runtime/metrics-server.js';

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return reuseApiServerAgents(kc);
}

function leaseNamespace(cfg: OperatorConfig): string {
  if (cfg.leaderElectionNamespace) return cfg.leaderElectionNamespace;
  if (existsSync(SA_NAMESPACE_FILE)) return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
  throw new Error(
    'leader election needs a namespace: set --leader-election-namespace (or POD_NAMESPACE), or run with --no-leader-elect',
  );
}

/** Runs the operator until SIGTERM/SIGINT; resolves with the exit code. */
export async function runOperator(cfg: OperatorConfig): Promise<number> {
  const logger = createLogger(cfg.logLevel, cfg.logFormat);
  const kc = loadKubeConfig(cfg.kubeconfig);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const identity = process.env.POD_NAME
    ? `${process.env.POD_NAME}_${defaultIdentity().split('_')[1]}`
    : defaultIdentity();
  const sessionSecret = fortiManagerSessionSecretOf(cfg);
  const operator = new Operator({
    kubeConfig: kc,
    logger,
    registry,
    identity,
    deviceWorkers: cfg.deviceWorkers,
    ...(cfg.overlapWindowSeconds !== undefined ? { overlapWindowMs: cfg.overlapWindowSeconds * 1000 } : {}),
    mappingWorkers: cfg.mappingWorkers,
    resyncPeriodMs: cfg.resyncPeriodSeconds * 1000,
    ...(cfg.watchSelector ? { watchSelector: cfg.watchSelector } : {}),
    ...(credentialsNamespacesOf(cfg) ? { credentialsNamespaces: credentialsNamespacesOf(cfg) } : {}),
    ...(sessionSecret ? { fortiManagerSessionSecret: sessionSecret } : {}),
  });
  const health = new HealthServer({ ...splitHostPort(cfg.healthAddr) });
  health.addReadyCheck('informers-synced', () => operator.informersSynced());
  const metrics = new MetricsServer({ ...splitHostPort(cfg.metricsAddr), registry });
  const [h, m] = await Promise.all([health.listen(), metrics.listen()]);
  logger.info('fortisync operator starting', {
    identity,
    health: `${h.address}:${h.port}`,
    metrics: `${m.address}:${m.port}`,
    leaderElect: cfg.leaderElect,
  });

  const stop = new AbortController();
  let shuttingDown = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (resolveExit = r));
  let electorDone: Promise<void> = Promise.resolve();

  const shutdown = async (reason: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('shutting down', { reason, deadlineSeconds: cfg.shutdownTimeoutSeconds });
    const deadlineMs = cfg.shutdownTimeoutSeconds * 1000;
    const hardStop = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      resolveExit(code || 1);
    }, deadlineMs + 2000);
    hardStop.unref();
    // Stop the work first, then give up the lease so a successor starts at once.
    await operator.stop(Math.floor(deadlineMs * 0.7));
    stop.abort();
    await electorDone;
    await Promise.allSettled([health.close(), metrics.close()]);
    logger.info('stopped');
    await endLogger(logger);
    clearTimeout(hardStop);
    resolveExit(code);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));

  try {
    await operator.startInformers(stop.signal);
  } catch (err) {
    logger.error('informers failed to start', { error: String(err) });
    await shutdown('startup failure', 1);
    return exited;
  }
  logger.info('caches synced');
  if (cfg.leaderElect) {
    electorDone = electLeader(cfg, kc, identity, logger, {
      lead: () => operator.startControllers(),
      lost: () => {
        if (shuttingDown) return; // the lease was given up on purpose
        // Never two writers: a replica that lost its lease exits and restarts as a follower.
        logger.error('leadership lost; aborting FortiOS requests and exiting');
        operator.abortDeviceRequests();
        void shutdown('leadership lost', 1);
      },
    }).run(stop.signal);
  } else {
    operator.startControllers();
  }
  return exited;
}

/** Flushes the last log lines (at most half a second). */
function endLogger(logger: Logger): Promise<void> {
  return new Promise<void>((r) => {
    logger.on('finish', () => r());
    logger.end();
    setTimeout(r, 500).unref();
  });
}

/** Leader election on a Lease: the controllers run only while this replica leads. */
function electLeader(
  cfg: OperatorConfig,
  kc: KubeConfig,
  identity: string,
  logger: Logger,
  on: { lead: () => void; lost: () => void },
): LeaderElector {
  return new LeaderElector({
    store: kubeLeaseStore(kc.makeApiClient(CoordinationV1Api), leaseNamespace(cfg), cfg.leaderElectionId),
    identity,
    logger,
    releaseOnCancel: true,
    callbacks: {
      onStartedLeading: () => {
        logger.info('became leader; starting controllers');
        on.lead();
      },
      onStoppedLeading: on.lost,
      onNewLeader: (leader) => {
        if (leader !== identity) logger.info('following leader', { leader });
      },
    },
  });
}

export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description('Run the operator: reconcile FortiGateEndpointMappings and FortiGateDevices')
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: in-cluster config, else ~/.kube/config)',
      ).env('KUBECONFIG'),
    )
    .addOption(
      new Option('--leader-elect', 'elect one active replica with a Lease')
        .default(true)
        .env('FORTISYNC_LEADER_ELECT'),
    )
    .addOption(new Option('--no-leader-elect', 'run without leader election (one replica, local runs)'))
    .addOption(new Option('--leader-election-namespace <ns>', 'namespace of the Lease').env('POD_NAMESPACE'))
    .addOption(new Option('--leader-election-id <name>', 'name of the Lease').default('fortisync-leader'))
    .addOption(
      new Option('--health-addr <host:port>', '/healthz and /readyz')
        .default(':8081')
        .env('FORTISYNC_HEALTH_ADDR'),
    )
    .addOption(
      new Option('--metrics-addr <host:port>', 'Prometheus /metrics')
        .default(':8080')
        .env('FORTISYNC_METRICS_ADDR'),
    )
    .addOption(
      new Option('--log-level <level>', 'error, warn, info or debug').default('info').env('LOG_LEVEL'),
    )
    .addOption(
      new Option('--log-format <format>', 'json or text').default('json').env('FORTISYNC_LOG_FORMAT'),
    )
    .addOption(
      new Option(
        '--shutdown-timeout-seconds <n>',
        'deadline for a graceful stop (keep below the pod grace period)',
      )
        .default('20')
        .env('FORTISYNC_SHUTDOWN_TIMEOUT_SECONDS'),
    )
    .addOption(
      new Option('--device-workers <n>', 'concurrent device syncs')
        .default('2')
        .env('FORTISYNC_DEVICE_WORKERS'),
    )
    .addOption(
      new Option(
        '--overlap-window-seconds <n>',
        "for how long a FortiGate's sync writes changes seen meanwhile beside its own writes (0: one batch per sync)",
      )
        .default(String(OVERLAP_WINDOW_MS / 1000))
        .env('FORTISYNC_OVERLAP_WINDOW_SECONDS'),
    )
    .addOption(
      new Option('--mapping-workers <n>', 'concurrent mapping status reconciles')
        .default('4')
        .env('FORTISYNC_MAPPING_WORKERS'),
    )
    .addOption(
      new Option('--resync-period-seconds <n>', 're-enqueue every object this often')
        .default('600')
        .env('FORTISYNC_RESYNC_PERIOD_SECONDS'),
    )
    .addOption(
      new Option(
        '--credentials-namespaces <list>',
        'namespaces (comma-separated) whose Secrets and ConfigMaps devices may reference, as the RBAC of the install allows; * for any',
      ).env('FORTISYNC_CREDENTIALS_NAMESPACES'),
    )
    .addOption(
      new Option(
        '--fortimanager-session-secret <name>',
        'a pre-created Secret (NAME in the operator namespace, or NAMESPACE/NAME) where Session-mode FortiManager session ids are kept, so a restart logs a crashed session out; the operator only gets and updates it',
      ).env('FORTISYNC_FORTIMANAGER_SESSION_SECRET'),
    )
    .addOption(
      new Option(
        '--watch-selector <selector>',
        'only manage FortiGateDevices and mappings with these labels (sharding)',
      ).env('FORTISYNC_WATCH_SELECTOR'),
    )
    .action(async (opts: Record<string, unknown>) => {
      let cfg: OperatorConfig;
      try {
        const leaderElect =
          typeof opts.leaderElect === 'string' ? opts.leaderElect !== 'false' : opts.leaderElect;
        cfg = parseOperatorConfig({ ...opts, leaderElect });
        fortiManagerSessionSecretOf(cfg); // a bad value stops here, before anything starts
      } catch (err) {
        console.error(`fortisync operator: ${(err as Error).message}`);
        process.exit(2);
      }
      process.exitCode = await runOperator(cfg);
      process.exit(process.exitCode);
    });
}
