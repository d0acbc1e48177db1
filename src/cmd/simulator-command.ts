import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorHandle, SimulatorOptions, TokenSpec } from '../simulator/index.js';

export interface SimulatorCommandOptions {
  /** Simulate a FortiManager (JSON-RPC) with managed FortiGates instead of one FortiGate. */
  fortimanager?: boolean;
  apiUser?: string;
  admin?: string[];
  adom?: string[];
  device?: string[];
  deviceToken?: string;
  workspaceMode?: string;
  lockPreempt?: boolean;
  fortimanagerVersion?: string;
  installMs?: number;
  idleTimeoutS?: number;
  loginMax?: number;
  listen: string;
  token: string[];
  readOnlyToken: string[];
  controlToken?: string;
  http?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  caOut?: string;
  fortiosVersion: string;
  vdom: string[];
  state?: string;
  latencyMs: number;
  latencyJitterMs: number;
  maxAddresses?: number;
  maxGroups?: number;
  maxMembers?: number;
  trustedHost: string[];
  allowUrlToken?: boolean;
  caseInsensitiveNames?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function integer(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
    return n;
  };
}

/** `127.0.0.1:8443`, `[::1]:8443` or a bare port. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen) ?? /^()()(\d+)$/.exec(listen);
  if (!match) throw new Error(`--listen expects HOST:PORT, got ${listen}`);
  return { host: match[1] || match[2] || '127.0.0.1', port: Number(match[3]) };
}

export function simulatorOptionsFrom(
  opts: SimulatorCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): SimulatorOptions {
  // A token in the environment keeps it out of the process list.
  const tokens: (string | TokenSpec)[] = [
    ...opts.token,
    ...(env.FORTISYNC_SIMULATOR_TOKEN ? [env.FORTISYNC_SIMULATOR_TOKEN] : []),
  ];
  tokens.push(...opts.readOnlyToken.map((token) => ({ token, readOnly: true })));
  if (tokens.length === 0) throw new Error('give at least one --token (or FORTISYNC_SIMULATOR_TOKEN)');
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new Error('--tls-cert and --tls-key go together');
  const { host, port } = parseListen(opts.listen);
  const limits: SimulatorOptions['limits'] = {};
  if (opts.maxAddresses !== undefined) limits.addresses = opts.maxAddresses;
  if (opts.maxGroups !== undefined) limits.groups = opts.maxGroups;
  if (opts.maxMembers !== undefined) limits.membersPerGroup = opts.maxMembers;
  return {
    host,
    port,
    tokens,
    controlToken: opts.controlToken ?? env.FORTISYNC_SIMULATOR_CONTROL_TOKEN,
    http: opts.http === true,
    tls:
      opts.tlsCert && opts.tlsKey
        ? { certPem: readFileSync(opts.tlsCert, 'utf8'), keyPem: readFileSync(opts.tlsKey, 'utf8') }
        : undefined,
    fortiosVersion: opts.fortiosVersion,
    vdoms: opts.vdom.length > 0 ? opts.vdom : ['root'],
    statePath: opts.state,
    latencyMs: opts.latencyMs,
    latencyJitterMs: opts.latencyJitterMs,
    limits,
    trustedHosts: opts.trustedHost.length > 0 ? opts.trustedHost : undefined,
    allowUrlToken: opts.allowUrlToken,
    caseSensitiveNames: opts.caseInsensitiveNames !== true,
  };
}

/** The one line a user (or a script waiting for readiness) looks for. */
export function readyLine(sim: SimulatorHandle, caPath: string | undefined): string {
  const ca = caPath ? ` CA: ${caPath}` : '';
  return `fortisync simulator listening on ${sim.url} (FortiOS ${sim.version.replace(/^v/, '')}, vdoms ${sim.vdoms.join(',')})${ca}`;
}

export async function runSimulator(opts: SimulatorCommandOptions): Promise<{ close(): Promise<void> }> {
  if (opts.fortimanager) return runFortiManagerSimulator(opts);
  // Loaded only when asked for: the operator shares this binary and should not carry the simulator
  // (and its certificate library) in memory — about 7 MB of resident memory.
  const { startSimulator } = await import('../simulator/index.js');
  const sim = await startSimulator(simulatorOptionsFrom(opts));
  const caPath = writeCa(sim.caCertPem, sim.port, opts.caOut);
  console.log(readyLine(sim, caPath));
  stopOnSignals(sim);
  return sim;
}

async function runFortiManagerSimulator(opts: SimulatorCommandOptions): Promise<{ close(): Promise<void> }> {
  const { startFortiManagerSimulator } = await import('../simulator/fortimanager/index.js');
  const { fortiManagerOptionsFrom, fortiManagerReadyLines } =
    await import('./fortimanager-simulator-options.js');
  const sim = await startFortiManagerSimulator(fortiManagerOptionsFrom(opts));
  const caPath = writeCa(sim.caCertPem, sim.port, opts.caOut);
  for (const line of fortiManagerReadyLines(sim, caPath)) console.log(line);
  stopOnSignals(sim);
  return sim;
}

function writeCa(caCertPem: string | undefined, port: number, caOut: string | undefined): string | undefined {
  if (!caCertPem) return undefined;
  const caPath = caOut ?? join(tmpdir(), `fortisync-simulator-${port}-ca.pem`);
  writeFileSync(caPath, caCertPem);
  return caPath;
}

function stopOnSignals(sim: { close(): Promise<void> }): void {
  const stop = (signal: string): void => {
    console.log(`fortisync simulator: ${signal}, shutting down`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description(
      'Run a FortiGate REST API simulator (FortiOS CMDB addresses, groups, policies), or with --fortimanager a FortiManager JSON-RPC simulator, for demos and tests',
    )
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:10443')
    .option('--token <token>', 'accepted API token (repeatable; or FORTISYNC_SIMULATOR_TOKEN)', collect, [])
    .option(
      '--read-only-token <token>',
      'token of a read-only API admin: writes get 403 (repeatable)',
      collect,
      [],
    )
    .option('--control-token <token>', 'token for the /__sim control API (default: any API token)')
    .option('--http', 'serve plain HTTP instead of HTTPS')
    .option('--tls-cert <file>', 'serve this certificate (PEM) instead of a generated one')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--ca-out <file>', 'where to write the generated CA certificate (default: in the temp directory)')
    .option('--fortios-version <version>', 'FortiOS version to behave like', '7.2.8')
    .option('--vdom <name>', 'VDOM to simulate (repeatable; the first is the default)', collect, [])
    .option('--state <file>', 'load and save the configuration here so it survives a restart')
    .option('--latency-ms <n>', 'latency added to every API call', integer('--latency-ms'), 0)
    .option('--latency-jitter-ms <n>', 'random extra latency, up to n ms', integer('--latency-jitter-ms'), 0)
    .option(
      '--max-addresses <n>',
      'entries per address table per VDOM (-4 beyond)',
      integer('--max-addresses'),
    )
    .option('--max-groups <n>', 'entries per group table per VDOM', integer('--max-groups'))
    .option('--max-members <n>', 'members per group', integer('--max-members'))
    .option('--trusted-host <cidr>', 'API admin trusted host (repeatable)', collect, [])
    .option('--allow-url-token', 'accept access_token= in the URL even from 7.4.5 on')
    .option('--case-insensitive-names', 'treat names that differ only in case as the same entry')
    .option('--fortimanager', 'simulate a FortiManager (JSON-RPC) and its managed FortiGates instead')
    .option('--api-user <name>', 'FortiManager: the API admin that owns the --token keys', 'fortisync')
    .option('--admin <user:password[:read|none]>', 'FortiManager: a session admin (repeatable)', collect, [])
    .option('--adom <name>', 'FortiManager: an ADOM besides global (repeatable; default root)', collect, [])
    .option('--device <name[:vdom,vdom]>', 'FortiManager: a managed FortiGate (repeatable)', collect, [])
    .option(
      '--device-token <token>',
      'FortiManager: REST API token of the managed FortiGates (default: the first --token)',
    )
    .option('--workspace-mode <mode>', 'FortiManager: disabled, normal, workflow or per-adom', 'disabled')
    .option('--lock-preempt', "FortiManager: admins may break each other's ADOM locks")
    .option('--fortimanager-version <version>', 'FortiManager version to behave like', '7.4.5')
    .option(
      '--install-ms <n>',
      'FortiManager: how long a package install takes',
      integer('--install-ms'),
      3000,
    )
    .option(
      '--idle-timeout-s <n>',
      'FortiManager: idle_timeout_api of login sessions',
      integer('--idle-timeout-s'),
      900,
    )
    .option('--login-max <n>', 'FortiManager: sessions open at once', integer('--login-max'), 32)
    .action(async (opts: SimulatorCommandOptions) => {
      await runSimulator(opts);
    });
}
