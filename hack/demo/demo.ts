/**
 * `make demo`: the whole job on a laptop with no cluster and no FortiGate. Starts a local control
 * plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with two kwok-run workers,
 * the FortiGate simulator over HTTPS and the operator, then walks through the storefront story.
 * Pass --keep to leave everything running, and --fortimanager (`make demo FMG=1`) to tell the same
 * story through the FortiManager simulator down to the FortiGate it manages (./fortimanager.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../test/support/control-plane.js';
import { installCrds } from '../../test/support/crds.js';
import { spawnOperator } from '../../test/support/operator-process.js';
import { ProcessSupervisor } from '../../test/support/supervisor.js';
import { repoRoot } from '../../test/support/testenv-binaries.js';
import { startSimulator, type SimulatorHandle } from '../../src/simulator/index.js';
import { directFortiGate, GROUP, type DemoFirewall, type DemoSide } from './firewall.js';
import { startFortiManagerSide } from './fortimanager.js';
import { bold, dim, Kubectl, step, until } from './kubectl.js';
import { applyStorefrontExample } from './storefront.js';

const KEEP = process.argv.includes('--keep') || process.env.KEEP === '1';
/** `make demo FMG=1`: the same story through FortiManager down to the FortiGate it manages. */
const FMG = process.argv.includes('--fortimanager') || process.env.FMG === '1';
const TOKEN = 'demo-token-not-a-secret-0123456789';
const root = repoRoot();

function kwokDir(): string {
  return execFileSync(join(root, 'hack/kwok/build.sh'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
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

/** The group fell back to its placeholder (an ADOM for FortiOS 7.2+ may also leave it empty). */
function isEmptied(members: string[]): boolean {
  return members.length === 0 || members.join() === 'none';
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
  await applyStorefrontExample(k, {
    secret: { name: 'fortigate-token', literals: { token: TOKEN } },
    ca: { configMap: 'fortigate-ca', pemFile: join(dir, 'fortigate-ca.pem') },
    object: {
      file: join(ex, '20-fortigatedevice.yaml'),
      resource: 'fortigatedevice',
      name: 'fw1',
      patch: { spec: { url: simUrl } },
    },
    mappingFile: join(ex, '40-endpointmapping.yaml'),
  });
  await k.run(['get', 'fortigatedevices']);
}

/** The FortiGate simulator, written directly through a FortiGateDevice. */
async function startFortiGateSide(dir: string): Promise<DemoSide> {
  step('Starting the FortiGate simulator (HTTPS); the firewall admin has a policy on group K8S-DMZ');
  const sim = await startFortiGate(dir);
  return {
    firewall: directFortiGate(sim),
    apply: async (k) => {
      step('Applying the storefront example (examples/storefront) pointed at the simulator');
      await applyStorefront(k, sim.url, dir);
    },
    close: () => sim.close(),
    hint: `simulator: curl --cacert ${join(dir, 'fortigate-ca.pem')} -H 'Authorization: Bearer ${TOKEN}' ${sim.url}/api/v2/cmdb/firewall/addrgrp/${GROUP}`,
  };
}

/** Steps 1 to 3: one replica, two, none; returns the propagation time of the second replica. */
async function scaleStory(k: Kubectl, fw: DemoFirewall): Promise<number> {
  step('1. One frontend replica (worker-2 cordoned so it lands on worker-1)');
  await k.run(['cordon', 'worker-2']);
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=1']);
  await until('K8S-DMZ to hold worker-1', () =>
    fw.members().join() === 'k8s-prod-node-worker-1' ? true : undefined,
  );
  await k.run(['-n', 'storefront', 'get', 'pods', '-l', 'app=frontend', '-o', 'wide']);
  await statusMembers(k, '1');
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  await fw.show(k);

  step('2. Scale to two replicas; the second lands on worker-2');
  await k.run(['uncordon', 'worker-2']);
  await k.run(['cordon', 'worker-1']);
  const t0 = Date.now();
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=2']);
  await until('K8S-DMZ to hold both workers', () =>
    fw.members().join() === 'k8s-prod-node-worker-1,k8s-prod-node-worker-2' ? true : undefined,
  );
  const propagation = Date.now() - t0;
  await k.run(['uncordon', 'worker-1']);
  await k.run(['-n', 'storefront', 'get', 'pods', '-l', 'app=frontend', '-o', 'wide']);
  await statusMembers(k, '2');
  await k.run(['-n', 'storefront', 'get', 'fgem', '-o', 'wide']);
  await fw.show(k);
  console.log(
    bold(`→ from "kubectl scale" to the FortiGate group holding worker-2: ${propagation} ms`) +
      dim(` (${fw.propagationNote})`),
  );

  step('3. Scale to zero: the group falls back to none, the addresses go');
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=0']);
  await until('K8S-DMZ to hold none', () => (isEmptied(fw.members()) ? true : undefined));
  const emptied = Date.now();
  // The addresses the group write released are deleted by the device's next sync (deferred: at most
  // about a second later, so the group never names a missing object); show the state once it has run.
  await until('the released node addresses to be deleted', () =>
    fw.ownedAddresses() === 0 ? true : undefined,
  );
  console.log(
    dim(
      `(the addresses the group released are deleted by ${fw.releasedBy}: gone ${Date.now() - emptied} ms after the group showed none)`,
    ),
  );
  await statusMembers(k, '0');
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  await fw.show(k);
  return propagation;
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
async function deleteStory(k: Kubectl, fw: DemoFirewall): Promise<number> {
  step('4. Delete the mapping: fortisync lets go; the admin’s group and policy stay');
  await k.run(['-n', 'storefront', 'scale', 'deployment', 'frontend', '--replicas=1']);
  await until('K8S-DMZ to hold a worker again', () =>
    fw.members().some((m) => m.startsWith('k8s-prod-node-')) ? true : undefined,
  );
  await k.run(['-n', 'storefront', 'delete', 'fgem', 'dmz-frontend', '--wait=true']);
  await until('clean-up', () => (isEmptied(fw.members()) ? true : undefined));
  // The finalizer goes once the members left; the addresses follow with the next sync.
  await until(
    'the node addresses to be deleted',
    () => (fw.ownedAddresses() === 0 ? true : undefined),
    30_000,
  );
  await fw.show(k);
  await k.run(['-n', 'storefront', 'get', 'fgem']);
  return fw.ownedAddresses();
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'fortisync-demo-'));
  let cp: ControlPlane | undefined;
  let side: DemoSide | undefined;
  let sup: ProcessSupervisor | undefined;
  let failed = true;
  const cleanup = async (): Promise<void> => {
    await sup?.stopAll(5000);
    await side?.close();
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

    side = FMG ? await startFortiManagerSide(dir) : await startFortiGateSide(dir);

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

    await side.apply(k);

    const propagation = await scaleStory(k, side.firewall);

    const ownedLeft = await deleteStory(k, side.firewall);
    // The kubectl plugin reads FortiGateDevices; through FortiManager the steps above showed the status.
    if (!FMG) await seeItStory(k);
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
      console.log(side.hint);
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
