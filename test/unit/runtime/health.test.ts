import { afterEach, describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { FakeClock } from '../../../src/runtime/fake-clock.js';
import { HealthServer } from '../../../src/runtime/health.js';
import { MetricsServer } from '../../../src/runtime/metrics-server.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function startHealth(clock: FakeClock) {
  const server = new HealthServer({
    host: '127.0.0.1',
    port: 0,
    eventLoop: { clock, maxBlockMs: 10_000 },
    checkTimeoutMs: 200,
  });
  const { port } = await server.listen();
  closers.push(() => server.close());
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };
  return { server, get };
}

describe('HealthServer', () => {
  it('/healthz fails only while the event loop is blocked', async () => {
    const clock = new FakeClock();
    const { get } = await startHealth(clock);
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok' });
    clock.jump(11_000); // time passes, but no tick ran
    const blocked = await get('/healthz?verbose');
    expect(blocked.status).toBe(500);
    expect(blocked.body).toContain('[-]eventloop failed: event loop blocked for 11000 ms');
    await clock.advance(1000); // the loop runs again
    expect((await get('/livez')).status).toBe(200);
  });

  it('/readyz runs pluggable checks; ?verbose lists them', async () => {
    const clock = new FakeClock();
    const { server, get } = await startHealth(clock);
    let synced = false;
    server.addReadyCheck('informers', () => synced);
    server.addReadyCheck('leader', async () => {});
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(500);
    expect(notReady.body).toContain('[-]informers failed: not ready');
    synced = true;
    expect(await get('/readyz')).toEqual({ status: 200, body: 'ok' });
    const verbose = await get('/readyz?verbose');
    expect(verbose.status).toBe(200);
    expect(verbose.body).toBe('[+]informers ok\n[+]leader ok\nreadyz check passed\n');
  });

  it('a throwing or hanging check fails with its reason instead of hanging the probe', async () => {
    const clock = new FakeClock();
    const { server, get } = await startHealth(clock);
    server.addReadyCheck('boom', () => {
      throw new Error('cache not synced: pods');
    });
    server.addReadyCheck('hang', () => new Promise<void>(() => {}));
    const res = await get('/readyz?verbose');
    expect(res.status).toBe(500);
    expect(res.body).toContain('[-]boom failed: cache not synced: pods');
    expect(res.body).toContain('[-]hang failed: no answer within 200 ms');
  });

  it('answers 404 elsewhere', async () => {
    const { get } = await startHealth(new FakeClock());
    expect((await get('/nope')).status).toBe(404);
  });
});

describe('MetricsServer', () => {
  it('serves the registry at /metrics', async () => {
    const registry = new Registry();
    new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(3);
    const server = new MetricsServer({ host: '127.0.0.1', port: 0, registry });
    const { port } = await server.listen();
    closers.push(() => server.close());
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('test_things_total 3');
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
