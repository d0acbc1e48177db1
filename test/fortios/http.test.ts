import { afterEach, describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeviceHttp, TransportError, type HttpSetup } from '../../src/fortigate/http.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
  remotePort: number;
}

/** A plain HTTP server on 127.0.0.1 whose answers the test scripts; stopped after each test. */
class ScriptedServer {
  readonly seen: Seen[] = [];
  readonly sockets = new Set<number>();
  private server: http.Server | undefined;

  async start(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const remotePort = req.socket.remotePort ?? 0;
        this.sockets.add(remotePort);
        this.seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
          remotePort,
        });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const TIMEOUTS = { connectMs: 1000, responseMs: 1000, requestMs: 2000 };

async function failure(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error('expected a transport error');
}

describe('DeviceHttp', () => {
  const server = new ScriptedServer();
  let client: DeviceHttp | undefined;
  const open = (setup: Partial<HttpSetup> & { baseUrl: string }): DeviceHttp =>
    (client = new DeviceHttp({ timeouts: TIMEOUTS, ...setup }));

  afterEach(async () => {
    client?.close();
    client = undefined;
    server.seen.length = 0;
    server.sockets.clear();
    await server.stop();
  });

  it('sends below the base URL path, with the query and a JSON body, and returns any status as a value', async () => {
    const base = await server.start((_req, res) => {
      res.writeHead(424, { 'content-type': 'application/json' });
      res.end('{"status":"error","error":-5}');
    });
    const reply = await open({ baseUrl: `${base}/fgt-a/` }).request({
      method: 'POST',
      path: '/api/v2/cmdb/firewall/address',
      query: new URLSearchParams({ vdom: 'root', filter: 'name==k8s node' }),
      headers: { accept: 'application/json' },
      json: { name: 'k8s-node-a', subnet: '10.0.0.1 255.255.255.255' },
    });
    expect(reply).toEqual({ status: 424, text: '{"status":"error","error":-5}' });
    expect(server.seen).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/fgt-a/api/v2/cmdb/firewall/address?vdom=root&filter=name%3D%3Dk8s+node',
        contentType: 'application/json',
        body: '{"name":"k8s-node-a","subnet":"10.0.0.1 255.255.255.255"}',
      }),
    ]);
  });

  it('keeps at most maxSockets connections, reused across requests', async () => {
    const base = await server.start((_req, res) => setTimeout(() => res.end('{}'), 20));
    const c = open({ baseUrl: base, maxSockets: 2 });
    const get = (): Promise<unknown> => c.request({ method: 'GET', path: '/x', headers: {} });
    await Promise.all(Array.from({ length: 8 }, get));
    await Promise.all(Array.from({ length: 8 }, get));
    expect(server.seen).toHaveLength(16);
    expect(server.sockets.size).toBe(2);
  });

  it('times out a reply whose headers never come', async () => {
    const base = await server.start(() => undefined);
    const c = open({ baseUrl: base, timeouts: { connectMs: 1000, responseMs: 100, requestMs: 10_000 } });
    const started = Date.now();
    expect((await failure(c.request({ method: 'GET', path: '/x', headers: {} }))).code).toBe('ETIMEDOUT');
    // The response timeout, not the whole-exchange deadline (undici's timers are coarse: < 1 s).
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out an exchange whose body trickles past the request deadline', async () => {
    const base = await server.start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 20);
      res.on('close', () => clearInterval(timer));
    });
    const c = open({ baseUrl: base, timeouts: { connectMs: 1000, responseMs: 1000, requestMs: 200 } });
    const err = await failure(c.request({ method: 'GET', path: '/x', headers: {} }));
    expect(err.code).toBe('ETIMEDOUT');
  });

  it('is unreachable with the errno when nothing listens', async () => {
    const base = await server.start(() => undefined);
    await server.stop();
    const err = await failure(open({ baseUrl: base }).request({ method: 'GET', path: '/x', headers: {} }));
    expect(err.code).toBe('ECONNREFUSED');
  });

  it("stops at the caller's abort and leaves no listener on the caller's signal", async () => {
    const base = await server.start(() => undefined);
    const c = open({ baseUrl: base });
    const caller = new AbortController();
    await c.request({ method: 'GET', path: '/x', headers: {}, signal: caller.signal }).catch(() => undefined);
    // The first one timed out (1 s); the listener it added is gone.
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    const pending = c.request({ method: 'GET', path: '/x', headers: {}, signal: caller.signal });
    caller.abort(new Error('shutting down'));
    await failure(pending);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});
