import { FortiGateClient } from '../../src/fortigate/index.js';
import type { FortiGateClientOptions, RequestEvent } from '../../src/fortigate/index.js';
import { startSimulator } from '../../src/simulator/index.js';
import type { SimulatorHandle, SimulatorOptions } from '../../src/simulator/index.js';

export const TOKEN = 'test-token-0123456789';

export function simulator(options: Partial<SimulatorOptions> = {}): Promise<SimulatorHandle> {
  return startSimulator({ tokens: [TOKEN], ...options });
}

/** A client tuned for tests: fast retries, no 401 cool-down unless asked, events recorded. */
export function clientFor(
  sim: SimulatorHandle,
  overrides: Partial<FortiGateClientOptions> = {},
): { client: FortiGateClient; events: RequestEvent[] } {
  const events: RequestEvent[] = [];
  const client = new FortiGateClient({
    baseUrl: sim.url,
    token: TOKEN,
    ca: sim.caCertPem,
    vdom: 'root',
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5, randomize: false },
    timeouts: { connectMs: 2_000, responseMs: 2_000, requestMs: 4_000 },
    readAfterWrite: { attempts: 3, delayMs: 5 },
    unauthorizedCooldownMs: 0,
    onRequest: (event) => events.push(event),
    ...overrides,
  });
  return { client, events };
}

export interface RawReply {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

/** A raw HTTP call for behaviour tests (plain-HTTP simulators only). */
export async function raw(
  sim: SimulatorHandle,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawReply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${sim.url}${path}`, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text, json };
}

/** Reads a field of a JSON reply without casts sprinkled through the tests. */
export function field(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
