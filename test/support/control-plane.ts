import { KubeConfig } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateControlPlaneCerts, type ControlPlaneCerts } from './certs.js';
import { freePort } from './free-port.js';
import { ProcessSupervisor } from './supervisor.js';
import { binaryPath, testenvBinDir } from './testenv-binaries.js';

export interface ControlPlaneOptions {
  /** kube-controller-manager controllers to run; empty runs no controller manager. */
  controllers?: string[];
  /** Also run kube-scheduler (the demo needs it; tests bind pods with spec.nodeName). */
  scheduler?: boolean;
  /** Extra kube-apiserver flags, e.g. a shorter etcd compaction interval. */
  apiserverArgs?: string[];
  /** Extra etcd flags, e.g. a larger `--quota-backend-bytes` for a bench with 150,000 pods. */
  etcdArgs?: string[];
  /** Everything is killed after this long even if the owner never calls stop(). */
  maxLifetimeSeconds?: number;
  startupTimeoutMs?: number;
  /** Where certificates, data and logs go; a fresh temporary directory by default. */
  dir?: string;
}

export interface ControlPlane {
  readonly dir: string;
  readonly binDir: string;
  readonly server: string;
  /** A kubeconfig file for the cluster-admin client certificate, usable with `kubectl --kubeconfig`. */
  readonly kubeconfigPath: string;
  readonly certs: ControlPlaneCerts;
  kubeConfig(): KubeConfig;
  /** Runs the matching kubectl with this control plane's kubeconfig. */
  kubectlPath(): string;
  /** Restarts kube-apiserver on the same port (watches break; etcd keeps the data). */
  restartApiserver(): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_CONTROLLERS = ['garbagecollector', 'namespace'];

/**
 * Starts etcd, kube-apiserver and (optionally) kube-controller-manager and kube-scheduler, all built
 * from Go modules by `make testenv`, on free 127.0.0.1 ports with a throwaway PKI.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir = testenvBinDir();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fortisync-cp-'));
  mkdirSync(dir, { recursive: true });
  const supervisor = new ProcessSupervisor(dir, options.maxLifetimeSeconds ?? 3 * 3600);
  const timeoutMs = options.startupTimeoutMs ?? 120_000;
  try {
    const certs = await generateControlPlaneCerts();
    const files = writeCerts(dir, certs);
    const [etcdClient, etcdPeer, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const etcd = supervisor.start('etcd', binaryPath('etcd', binDir), [
      '--name=default',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      // Throwaway data: durability costs seconds per test run for nothing.
      '--unsafe-no-fsync',
      '--log-level=warn',
      ...(options.etcdArgs ?? []),
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${files.apiserverCert}`,
      `--tls-private-key-file=${files.apiserverKey}`,
      `--client-ca-file=${files.caCert}`,
      `--service-account-key-file=${files.saPublic}`,
      `--service-account-signing-key-file=${files.saPrivate}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--authorization-mode=RBAC',
      // No node controller or kubelet will ever reconcile endpoints or remove not-ready taints here;
      // the ServiceAccount plugin would reject pods in namespaces without a default ServiceAccount.
      '--endpoint-reconciler-type=none',
      '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition',
      '--allow-privileged=true',
      '--profiling=false',
      ...(options.apiserverArgs ?? []),
    ];
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYaml(server, certs), { mode: 0o600 });
    let apiserver = supervisor.start('kube-apiserver', binaryPath('kube-apiserver', binDir), apiserverArgs);
    await waitForReady(server, certs, timeoutMs, () => [etcd, apiserver]);

    const controllers = options.controllers ?? DEFAULT_CONTROLLERS;
    if (controllers.length > 0) {
      supervisor.start('kube-controller-manager', binaryPath('kube-controller-manager', binDir), [
        `--kubeconfig=${kubeconfigPath}`,
        `--controllers=${controllers.join(',')}`,
        '--leader-elect=false',
        '--secure-port=0',
        `--service-account-private-key-file=${files.saPrivate}`,
        `--root-ca-file=${files.caCert}`,
      ]);
    }
    if (options.scheduler) {
      supervisor.start('kube-scheduler', binaryPath('kube-scheduler', binDir), [
        `--kubeconfig=${kubeconfigPath}`,
        '--leader-elect=false',
        '--secure-port=0',
      ]);
    }

    return {
      dir,
      binDir,
      server,
      kubeconfigPath,
      certs,
      kubeConfig() {
        const kc = new KubeConfig();
        kc.loadFromFile(kubeconfigPath);
        return kc;
      },
      kubectlPath: () => binaryPath('kubectl', binDir),
      async restartApiserver() {
        await supervisor.stopOne(apiserver);
        apiserver = supervisor.start('kube-apiserver', binaryPath('kube-apiserver', binDir), apiserverArgs);
        await waitForReady(server, certs, timeoutMs, () => [etcd, apiserver]);
      },
      async stop() {
        await supervisor.stopAll();
        if (!options.dir && !process.env.FORTISYNC_KEEP_TESTENV_DIR)
          rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await supervisor.stopAll();
    throw err;
  }
}

function writeCerts(dir: string, certs: ControlPlaneCerts) {
  const files = {
    caCert: join(dir, 'ca.crt'),
    apiserverCert: join(dir, 'apiserver.crt'),
    apiserverKey: join(dir, 'apiserver.key'),
    saPublic: join(dir, 'sa.pub'),
    saPrivate: join(dir, 'sa.key'),
  };
  writeFileSync(files.caCert, certs.ca.cert);
  writeFileSync(files.apiserverCert, certs.apiserver.cert);
  writeFileSync(files.apiserverKey, certs.apiserver.key, { mode: 0o600 });
  writeFileSync(files.saPublic, certs.serviceAccount.publicKey);
  writeFileSync(files.saPrivate, certs.serviceAccount.privateKey, { mode: 0o600 });
  return files;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

export function kubeconfigYaml(server: string, certs: ControlPlaneCerts): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fortisync-testenv',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(certs.ca.cert)}`,
    'users:',
    '- name: admin',
    '  user:',
    `    client-certificate-data: ${b64(certs.admin.cert)}`,
    `    client-key-data: ${b64(certs.admin.key)}`,
    'contexts:',
    '- name: fortisync-testenv',
    '  context:',
    '    cluster: fortisync-testenv',
    '    user: admin',
    'current-context: fortisync-testenv',
    '',
  ].join('\n');
}

async function waitForReady(
  server: string,
  certs: ControlPlaneCerts,
  timeoutMs: number,
  processes: () => { name: string; hasExited(): boolean; logFile: string }[],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    for (const p of processes()) {
      if (p.hasExited()) {
        throw new Error(`${p.name} exited during startup; last log lines:\n${tail(p.logFile)}`);
      }
    }
    try {
      const { status, body } = await get(`${server}/readyz`, certs);
      if (status === 200) return;
      last = `${status} ${body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`kube-apiserver not ready after ${timeoutMs} ms: ${last}`);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function get(url: string, certs: ControlPlaneCerts): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: certs.ca.cert, cert: certs.admin.cert, key: certs.admin.key, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
