/**
 * What one FortiOS request costs the operator's process (issue 19, ADR 0008): CPU per request of
 * FortiGateClient, creates and deletes of addresses at the device's default concurrency, against
 * the simulator in a child process so that only the client's side is counted. At scale a cold start
 * is one write per address and per group, so this cost times the writes is most of its CPU.
 *
 *   node dist/bench/client-cost.js [--requests 4000] [--rounds 5] [--concurrency 16]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FortiGateClient } from '../src/fortigate/index.js';
import { inPool } from '../src/runtime/pool.js';
import { startSimulator } from '../src/simulator/index.js';
import { ownCpuSeconds } from './lib/machine-cpu.js';
import { distribution } from './lib/stats.js';

const TOKEN = 'bench-token';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1] ?? fallback) : fallback;
}

/** The child: a simulator with room for every address, its URL and CA sent to the parent. */
async function serve(): Promise<void> {
  const sim = await startSimulator({ tokens: [TOKEN], limits: { addresses: 1_000_000 } });
  process.send?.({ url: sim.url, ca: sim.caCertPem });
}

async function simulatorChild(): Promise<{ child: ChildProcess; url: string; ca: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const { url, ca } = await new Promise<{ url: string; ca: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; ca: string }));
    child.once('exit', (code) => reject(new Error(`the simulator exited (${code})`)));
  });
  return { child, url, ca };
}

/** `count` addresses created, then deleted, `concurrency` at a time; CPU µs per request. */
async function round(
  client: FortiGateClient,
  tag: string,
  count: number,
  concurrency: number,
): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `bench-${tag}-${i}`);
  const cpu = process.cpuUsage();
  await inPool(names, concurrency, async (name) => {
    await client.create('firewall/address', { name, subnet: '10.200.0.1 255.255.255.255', comment: 'bench' });
  });
  await inPool(names, concurrency, async (name) => {
    await client.delete('firewall/address', name);
  });
  return (1e6 * ownCpuSeconds(cpu)) / (2 * count);
}

async function main(): Promise<void> {
  const requests = arg('requests', 4000);
  const rounds = arg('rounds', 5);
  const concurrency = arg('concurrency', 16);
  const sim = await simulatorChild();
  const client = new FortiGateClient({ baseUrl: sim.url, token: TOKEN, ca: sim.ca, maxSockets: concurrency });
  try {
    await round(client, 'warm', 500, concurrency);
    const perRequest: number[] = [];
    for (let r = 0; r < rounds; r++) perRequest.push(await round(client, `r${r}`, requests / 2, concurrency));
    const d = distribution(perRequest);
    const all = perRequest.map((v) => v.toFixed(0)).join(' / ');
    console.log(
      `client CPU per request: p50 ${d?.p50.toFixed(0)} µs (rounds: ${all}; ` +
        `${requests} requests each, ${concurrency} in flight)`,
    );
  } finally {
    client.close();
    sim.child.kill();
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
