/**
 * `make demo`: the whole job on a laptop with no cluster and no FortiGate. Starts a local control
 * plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with two kwok-run workers,
 * the FortiGate simulator over HTTPS and the operator, then walks through the storefront story.
 * Pass --keep to leave everything running.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../test/support/control-plane.js';
import { installCrds } from '../../test/support/crds.js';
import { spawnOperator } from '../../test/support/operator-process.js';
import { ProcessSupervisor } from '../../test/support/supervisor.js';
import { repoRoot } from '../../test/support/testenv-binaries.js';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.js';

const KEEP = process.argv.includes('--keep') || process.env.KEEP === '1';
const TOKEN = 'demo-token-not-a-secret-0123456789';
const GROUP = 'K8S-DMZ';
const root = repoRoot();
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function step(title: string): void {
  console.log(`\n${bold(`━━ ${title}`)}`);
}

function kwokDir(): string {
  return execFileSync(join(root, 'hack/kwok/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

const execFileAsync = promisify(execFile);

class Kubectl {
  constructor(
    private readonly path: string,
    private readonly kubeconfig: string,
  ) {}
  // Asynchronous on purpose: the simulator runs in this process and must keep answering meanwhile.
  async run(args: string[], opts: { show?: boolean; input?: string } = {}): Promise<string> {
    if (opts.show !== false) console.log(dim(`$ kubectl ${args.join(' ')}`));
    let out: string;
    try {
      const child = execFileAsync(this.path, ['--kubeconfig', this.kubeconfig, ...args], {
        encoding: 'utf8',
      });
      if (opts.input !== undefined) {
        child.child.stdin?.end(opts.input);
      }
      out = (await child).stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string };
      throw new Error(`kubectl ${args.join(' ')} failed: ${(e.stderr || e.stdout || String(err)).trim()}`, {
        cause: err,
      });
    }
    if (opts.show !== false && out.trim()) console.log(out.trimEnd());
    return out;
  }

  /**
   * `kubectl fortisync …`: kubectl finds the plugin shim of plugins/ on PATH (as after a krew
   * install). A plugin takes no kubectl flag before its name, so the kubeconfig goes by KUBECONFIG.
   */
  async plugin(args: string[]): Promise<string> {
    console.log(dim(`$ kubectl fortisync ${args.join(' ')}`));
    try {
      const { stdout } = await execFileAsync(this.path, ['fortisync', ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          KUBECONFIG: this.kubeconfig,
          PATH: `${join(root, 'plugins')}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        },
      });
      console.log(stdout.trimEnd());
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string };
      throw new Error(
        `kubectl fortisync ${args.join(' ')} failed: ${(e.stderr || e.stdout || String(err)).trim()}`,
        {
          cause: err,
        },
      );
    }
  }
}

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `kubectl get fgem` reports this many members, as a user would watch it. */
async function statusMembers(k: Kubectl, n: string): Promise<void> {
  await until(
    `status to report ${n} member(s)`,
    async () => {
      const out = await k.run(
        ['-n', 'storefront', 'get', 'fgem', 'dmz-frontend', '-o', 'jsonpath={.status.members}'],
        { show: false },
      );
      return out.trim() === n ? true : undefined;
    },
    60_000,
    200,
  );
}

function members(sim: SimulatorHandle): string[] {
  const g = sim.state.get('firewall/addrgrp', GROUP);
  return ((g?.member as { name: string }[] | undefined) ?? []).map((m) => m.name).sort();
}

function showFortiGate(sim: SimulatorHandle): void {
  console.log(bold('FortiGate side') + dim(` (GET ${sim.url}/api/v2/cmdb/firewall/addrgrp/${GROUP})`));
  console.log(`  address group ${GROUP}: ${members(sim).join(', ')}`);
  const ours = sim.state
    .list('firewall/address')
    .filter((a) => String(a.comment ?? '').includes('[fortisync:'));
  if (ours.length === 0) console.log('  address objects by fortisync: (none)');
  for (const a of ours)
    console.log(`  address ${String(a.name)}  ${String(a.subnet)}  "${String(a.comment)}"`);
  for (const p of sim.state.list('firewall/policy')) {
    const src = (p.srcaddr as { name: string }[]).map((m) => m.name).join(',');
    const dst = (p.dstaddr as { name: string }[]).map((m) => m.name).join(',');
    console.log(`  policy ${String(p.policyid)} "${String(p.name)}": ${src} → ${dst} ${String(p.action)}`);
  }
}

/** kwok plays the kubelet of the two workers: pods get IPs and become Running. */
async function startWorkers(
  k: Kubectl,
  sup: ProcessSupervisor,
  kubeconfig: string,
  kwok: string,
): Promise<void> {
  sup.start('kwok', join(kwok, 'kwok'), [
    `--kubeconfig=${kubeconfig}`,
    `--config=${join(kwok, 'stages.yaml')}`,
    '--manage-all-nodes=false',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
    '--cidr=10.244.0.0/16',
    '--node-ip=192.0.2.1',
  ]);
  for (const [name, ip] of [
    ['worker-1', '192.0.2.11'],
    ['worker-2', '192.0.2.12'],
  ] as const) {
    await k.run(['apply', '-f', '-'], {
      show: false,
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { 'kubernetes.io/hostname': name, type: 'kwok' },
        },
        spec: {},
      }),
    });
    // The address a kubelet would report; kwok keeps an InternalIP that is already there.
    await k.run(
      [
        'patch',
        'node',
        name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            addresses: [
              { type: 'InternalIP', address: ip },
              { type: 'Hostname', address: name },
            ],
          },
        }),
      ],
      { show: false },
    );
  }
  await until('kwok to make the workers Ready', async () => {
    const out = await k.run(
      [
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}',
      ],
      { show: false },
    );
    return out
      .trim()
      .split(/\s+/)
      .filter((s) => s === 'True').length === 2
      ? true
      : undefined;
  });
  await k.run(['get', 'nodes', '-o', 'wide']);
}

/** The FortiGate simulator (HTTPS); the firewall admin has a policy on group K8S-DMZ. */
async function startFortiGate(dir: string): Promise<SimulatorHandle> {
  const sim = await startSimulator({ tokens: [TOKEN], statePath: join(dir, 'fortigate-state.json') });
  writeFileSync(join(dir, 'fortigate-ca.pem'), sim.caCertPem ?? '');
  sim.state.seed('firewall/address', {
    name: 'login.microsoft.com',
    type: 'fqdn',
    fqdn: 'login.microsoft.com',
    comment: 'Entra ID sign-in',
  });
  sim.state.seed('firewall/addrgrp', {
    name: GROUP,
    member: [{ name: 'none' }],
    comment: 'DMZ workloads (kept by fortisync)',
  });
  sim.state.seed('firewall/policy', {
    policyid: 10,
    name: 'dmz-to-entra',
    srcaddr: [{ name: GROUP }],
    dstaddr: [{ name: 'login.microsoft.com' }],
    action: 'accept',
  });
  console.log(`simulator at ${sim.url} (FortiOS ${sim.version}); CA in ${join(dir, 'fortigate-ca.pem')}`);
  return sim;
}

/** The storefront example (examples/storefront), pointed at the simulator. */
async function applyStorefront(k: Kubectl, simUrl: string, dir: string): Promise<void> {
  const ex = join(root, 'examples/storefront');
  await k.run(['apply', '-f', join(ex, '00-namespace.yaml')]);
  await k.run([
    '-n',
    'fortisync-system',
    'create',
    'secret',
    'generic',
    'fortigate-token',
    `--from-literal=token=${TOKEN}`,
  ]);
  await k.run([
    '-n',
    'fortisync-system',
    'create',
    'configmap',
    'fortigate-ca',
    `--from-file=ca.crt=${join(dir, 'fortigate-ca.pem')}`,
  ]);
  await k.run(['apply', '-f', join(ex, '20-fortigatedevice.yaml')]);
  await k.run([
    'patch',
    'fortigatedevice',
    'fw1',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { url: simUrl } }),
  ]);
  await k.run(['apply', '-f', join(root, 'hack/demo/storefront-services.yaml')]);
  await k.run(['apply', '-f', join(ex, '30-frontend.yaml')]);
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=0']);
  await k.run(['apply', '-f', join(ex, '40-endpointmapping.yaml')]);
  await k.run(['-n', 'storefront', 'wait', '--for=condition=Ready', 'fgem/dmz-frontend', '--timeout=60s']);
  await k.run(['get', 'fortigatedevices']);
}

/** Steps 1 to 3: one replica, two, none; returns the propagation time of the second replica. */
async function scaleStory(k: Kubectl, sim: SimulatorHandle): Promise<number> {
  step('1. One frontend replica (worker-2 cordoned so it lands on worker-1)');
  await k.run(['cordon', 'worker-2']);
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=1']);
  await until('K8S-DMZ to hold worker-1', () =>
    members(sim).join() === 'k8s-prod-node-worker-1' ? true : undefined,
  );
  await k.run(['-n', 'storefront', 'get', 'pods', '-l', 'app=frontend', '-o', 'wide']);
  await statusMembers(k, '1');
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  showFortiGate(sim);

  step('2. Scale to two replicas; the second lands on worker-2');
  await k.run(['uncordon', 'worker-2']);
  await k.run(['cordon', 'worker-1']);
  const t0 = Date.now();
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=2']);
  await until('K8S-DMZ to hold both workers', () =>
    members(sim).join() === 'k8s-prod-node-worker-1,k8s-prod-node-worker-2' ? true : undefined,
  );
  const propagation = Date.now() - t0;
  await k.run(['uncordon', 'worker-1']);
  await k.run(['-n', 'storefront', 'get', 'pods', '-l', 'app=frontend', '-o', 'wide']);
  await statusMembers(k, '2');
  await k.run(['-n', 'storefront', 'get', 'fgem', '-o', 'wide']);
  showFortiGate(sim);
  console.log(
    bold(`→ from "kubectl scale" to the FortiGate group holding worker-2: ${propagation} ms`) +
      dim(' (scheduling, kwok starting the pod, the operator’s two writes)'),
  );

  step('3. Scale to zero: the group falls back to none, the addresses go');
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=0']);
  await until('K8S-DMZ to hold none', () => (members(sim).join() === 'none' ? true : undefined));
  const emptied = Date.now();
  // The addresses the group write released are deleted by the device's next sync (deferred: at most
  // about a second later, so the group never names a missing object); show the state once it has run.
  await until('the released node addresses to be deleted', () =>
    ownedAddresses(sim) === 0 ? true : undefined,
  );
  console.log(
    dim(
      `(the addresses the group released are deleted by the next sync: gone ${Date.now() - emptied} ms after the group showed none)`,
    ),
  );
  await statusMembers(k, '0');
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  showFortiGate(sim);
  return propagation;
}

function ownedAddresses(sim: SimulatorHandle): number {
  return sim.state.list('firewall/address').filter((a) => String(a.comment ?? '').includes('[fortisync:'))
    .length;
}

/** Step 5: the mapping back, and the questions people ask, answered by the kubectl plugin. */
async function seeItStory(k: Kubectl): Promise<void> {
  step('5. See it: kubectl fortisync trace and status (the mapping applied again)');
  await k.run(['apply', '-f', join(root, 'examples/storefront/40-endpointmapping.yaml')]);
  await k.run(['-n', 'storefront', 'wait', '--for=condition=Ready', 'fgem/dmz-frontend', '--timeout=60s']);
  await statusMembers(k, '1');
  const pod = await k.run(
    ['-n', 'storefront', 'get', 'pods', '-l', 'app=frontend', '-o', 'jsonpath={.items[0].metadata.name}'],
    { show: false },
  );
  await k.plugin(['trace', 'pod', `storefront/${pod.trim()}`]);
  await k.plugin(['status']);
}

/** Step 4: the mapping is deleted; returns how many address objects fortisync left behind. */
async function deleteStory(k: Kubectl, sim: SimulatorHandle): Promise<number> {
  step('4. Delete the mapping: fortisync lets go; the admin’s group and policy stay');
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=1']);
  await until('K8S-DMZ to hold a worker again', () =>
    members(sim).some((m) => m.startsWith('k8s-prod-node-')) ? true : undefined,
  );
  await k.run(['-n', 'storefront', 'delete', 'fgem', 'dmz-frontend', '--wait=true']);
  await until('clean-up', () => (members(sim).join() === 'none' ? true : undefined));
  // The finalizer goes once the members left; the addresses follow with the next sync.
  await until(
    'the node addresses to be deleted',
    () => (ownedAddresses(sim) === 0 ? true : undefined),
    10_000,
  );
  showFortiGate(sim);
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  return ownedAddresses(sim);
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-demo-'));
  let cp: ControlPlane | undefined;
  let sim: SimulatorHandle | undefined;
  let sup: ProcessSupervisor | undefined;
  let failed = true;
  const cleanup = async (): Promise<void> => {
    await sup?.stopAll(5000);
    await sim?.close();
    await cp?.stop();
    // On failure the logs (operator, kwok, control plane) stay for a post-mortem.
    if (failed) console.error(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  try {
    step('Starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler)');
    const kwok = kwokDir();
    cp = await startControlPlane({
      controllers: ['garbagecollector', 'namespace', 'deployment', 'replicaset', 'serviceaccount-token'],
      scheduler: true,
      dir: join(dir, 'cluster'),
      maxLifetimeSeconds: KEEP ? 24 * 3600 : 1800,
    });
    await installCrds(cp.kubeConfig());
    const k = new Kubectl(cp.kubectlPath(), cp.kubeconfigPath);
    sup = new ProcessSupervisor(dir, KEEP ? 24 * 3600 : 1800);
    await startWorkers(k, sup, cp.kubeconfigPath, kwok);

    step('Starting the FortiGate simulator (HTTPS); the firewall admin has a policy on group K8S-DMZ');
    sim = await startFortiGate(dir);

    step('Starting the operator');
    await k.run(['create', 'namespace', 'fortisync-system']);
    // As production runs it (the flags of the Dockerfile and config/manager: test/support).
    const op = spawnOperator(
      [
        `--kubeconfig=${cp.kubeconfigPath}`,
        '--leader-election-namespace=fortisync-system',
        '--health-addr=127.0.0.1:0',
        '--metrics-addr=127.0.0.1:0',
        '--log-format=text',
      ],
      { supervisor: sup },
    );
    console.log(`operator pid ${op.pid}, log ${op.logFile}`);

    step('Applying the storefront example (examples/storefront) pointed at the simulator');
    await applyStorefront(k, sim.url, dir);

    const propagation = await scaleStory(k, sim);

    const ownedLeft = await deleteStory(k, sim);
    await seeItStory(k);
    console.log(
      bold(
        `\nDemo finished in ${Math.round((Date.now() - started) / 1000)} s: propagation ${propagation} ms; objects left by fortisync: ${ownedLeft}.`,
      ),
    );
    if (ownedLeft !== 0) throw new Error('fortisync left address objects behind');
    failed = false;

    if (KEEP) {
      step('Left running (--keep)');
      console.log(`kubectl:   export KUBECONFIG=${cp.kubeconfigPath}; ${cp.kubectlPath()} get fgem -A`);
      console.log(
        `simulator: curl --cacert ${join(dir, 'fortigate-ca.pem')} -H 'Authorization: Bearer ${TOKEN}' ${sim.url}/api/v2/cmdb/firewall/addrgrp/${GROUP}`,
      );
      console.log(`operator log: ${op.logFile}`);
      console.log('stop with Ctrl-C (everything started here is stopped).');
      await new Promise(() => undefined);
    }
  } finally {
    if (!KEEP) await cleanup();
  }
}

if (!existsSync(join(root, 'dist/src/cmd/fortisync.js'))) {
  mkdirSync(join(root, 'dist'), { recursive: true });
}
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
