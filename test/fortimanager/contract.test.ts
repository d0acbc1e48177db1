import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FortiManagerClient } from '../../src/fortimanager/index.js';
import type { FortiManagerClientOptions } from '../../src/fortimanager/index.js';
import type { FortiManagerSimulatorHandle } from '../../src/simulator/fortimanager/index.js';
import { API_KEY, PASSWORD, startFmg } from './helpers.js';

let sim: FortiManagerSimulatorHandle;
const clients: FortiManagerClient[] = [];

function client(options: Partial<FortiManagerClientOptions> = {}): FortiManagerClient {
  const c = new FortiManagerClient({
    baseUrl: sim.url,
    ca: sim.caCertPem,
    adom: 'root',
    auth: { apiKey: API_KEY },
    retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 20 },
    ...options,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = await startFmg();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  sim.reset();
});

describe('authentication', () => {
  it('API key: Bearer on every call, no session', async () => {
    const fmg = client();
    const status = await fmg.systemStatus();
    expect(status).toMatchObject({ hostname: 'FMG-VM64', version: { major: 7, minor: 4, patch: 5 } });
    expect(sim.sessions.list()).toEqual([]);
  });

  it('session: logs in once, and logs out on close', async () => {
    const fmg = client({ auth: { username: 'fortisync', password: PASSWORD } });
    await fmg.systemStatus();
    await fmg.workspaceMode();
    expect(sim.sessions.list()).toHaveLength(1);
    await fmg.close();
    expect(sim.sessions.list()).toHaveLength(0);
  });
});
