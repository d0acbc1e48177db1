/**
 * Simulator throughput with zero added latency: how many FortiOS requests per second it answers,
 * so we know it is never what limits an operator benchmark. Prints one line per scenario.
 *
 *   npx tsc -p tsconfig.json --outDir /tmp/fortisync-bench && node /tmp/fortisync-bench/bench/simulator-throughput.js [seconds] [concurrency]
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { FortiGateClient } from '../src/fortigate/index.js';
import { startSimulator } from '../src/simulator/index.js';
import type { SimulatorHandle } from '../src/simulator/index.js';

const TOKEN = 'bench-token';
const seconds = Number(process.argv[2] ?? 3);
const concurrency = Number(process.argv[3] ?? 16);

type Call = (worker: number, i: number) => Promise<number>;

function rawCaller(sim: SimulatorHandle): (method: string, path: string, body?: unknown) => Promise<number> {
  const secure = sim.url.startsWith('https');
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: sim.caCertPem })
    : new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const request = secure ? https.request : http.request;
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${sim.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** `requestsPerCall`: HTTP requests one call makes, so the figure is always requests per second. */
async function measure(name: string, call: Call, requestsPerCall = 1): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const status = await call(worker, i);
        done += requestsPerCall;
        if (status !== 200) failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  console.log(
    `${name.padEnd(48)} ${Math.round(done / elapsed)
      .toString()
      .padStart(7)} req/s  (${done} requests, ${failed} non-200, ${concurrency} concurrent)`,
  );
}

async function scenarios(sim: SimulatorHandle, label: string): Promise<void> {
  const call = rawCaller(sim);
  for (let i = 0; i < 1000; i++)
    sim.state.seed('firewall/address', { name: `seed-${i}`, subnet: `10.${i >> 8}.${i & 255}.1/32` });
  sim.state.seed('firewall/addrgrp', { name: 'bench-group', member: [{ name: 'seed-0' }] });
  // Warm the JIT and the keep-alive sockets so the first scenario is not penalised.
  for (let i = 0; i < 2000; i += concurrency) {
    await Promise.all(
      Array.from({ length: concurrency }, () => call('GET', '/api/v2/cmdb/firewall/address/seed-1')),
    );
  }
  await measure(`${label} GET one address`, (_, i) =>
    call('GET', `/api/v2/cmdb/firewall/address/seed-${i % 1000}`),
  );
  await measure(`${label} GET filtered list (1002 entries)`, () =>
    call('GET', '/api/v2/cmdb/firewall/address?filter=name==seed-500&format=name|subnet'),
  );
  await measure(
    `${label} POST + DELETE address`,
    async (worker, i) => {
      const name = `w${worker}-${i}`;
      const created = await call('POST', '/api/v2/cmdb/firewall/address', { name, subnet: '10.200.0.1/32' });
      if (created !== 200) return created;
      return call('DELETE', `/api/v2/cmdb/firewall/address/${name}`);
    },
    2,
  );
  await measure(
    `${label} group member add + remove`,
    async (worker, i) => {
      const member = `seed-${1 + ((worker * 61 + i) % 999)}`;
      const added = await call('POST', '/api/v2/cmdb/firewall/addrgrp/bench-group/member', { name: member });
      if (added !== 200) return added;
      return call('DELETE', `/api/v2/cmdb/firewall/addrgrp/bench-group/member/${member}`);
    },
    2,
  );
  const client = new FortiGateClient({
    baseUrl: sim.url,
    token: TOKEN,
    ca: sim.caCertPem,
    maxSockets: concurrency,
  });
  await measure(`${label} FortiGateClient.get (got, keep-alive)`, async (_, i) => {
    await client.get('firewall/address', `seed-${i % 1000}`);
    return 200;
  });
  client.close();
}

async function main(): Promise<void> {
  console.log(`simulator throughput, zero added latency, ${seconds} s per scenario, node ${process.version}`);
  for (const plain of [true, false]) {
    const sim = await startSimulator({
      tokens: [TOKEN],
      http: plain,
      requestLogCapacity: 1000,
      limits: { addresses: 1_000_000 },
    });
    await scenarios(sim, plain ? 'http ' : 'https');
    await sim.close();
  }
}

await main();
