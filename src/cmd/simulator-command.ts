import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorHandle, SimulatorOptions, TokenSpec } from '../simulator/index.js';

export interface SimulatorCommandOptions {
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

export async function runSimulator(opts: SimulatorCommandOptions): Promise<SimulatorHandle> {
  // Loaded only when asked for: the operator shares this binary and should not carry the simulator
  // (and its certificate library) in memory — about 7 MB of resident memory.
  const { startSimulator } = await import('../simulator/index.js');
  const sim = await startSimulator(simulatorOptionsFrom(opts));
  let caPath: string | undefined;
  if (sim.caCertPem) {
    caPath = opts.caOut ?? join(tmpdir(), `fortisync-simulator-${sim.port}-ca.pem`);
    writeFileSync(caPath, sim.caCertPem);
  }
  console.log(readyLine(sim, caPath));
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
  return sim;
}

export function registerSimulatorCommand(program: Command): void {
  program
    .command('simulator')
    .description(
      'Run a FortiGate REST API simulator (FortiOS CMDB addresses, groups, policies) for demos and tests',
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
    .action(async (opts: SimulatorCommandOptions) => {
      await runSimulator(opts);
    });
}
