import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createServer, type Server, type Socket } from 'node:net';
import { withCallDeadline } from '../../../src/runtime/kube-deadline.js';

/** An "API server" that accepts connections and never answers. */
describe('withCallDeadline', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let port = 0;

  beforeAll(async () => {
    server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const kubeConfig = (): KubeConfig => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    return kc;
  };

  it('a generated API call to a server that never answers fails at the deadline', async () => {
    const kc = withCallDeadline(withCallDeadline(kubeConfig(), 300), 300);
    const started = Date.now();
    await expect(kc.makeApiClient(CoreV1Api).listNamespace()).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('without it the call would still be waiting', async () => {
    const pending = kubeConfig()
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .then(
        () => 'answered',
        () => 'failed',
      );
    const outcome = await Promise.race([pending, new Promise((r) => setTimeout(() => r('waiting'), 1_000))]);
    expect(outcome).toBe('waiting');
    for (const s of sockets) s.destroy(); // let it end
    await pending;
  });
});
