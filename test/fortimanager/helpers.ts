import { Agent, request } from 'node:https';
import { startFortiManagerSimulator } from '../../src/simulator/fortimanager/index.js';
import type {
  FortiManagerSimulatorHandle,
  FortiManagerSimulatorOptions,
} from '../../src/simulator/fortimanager/index.js';

export const API_KEY = 'k8s-api-key-0123456789';
export const PASSWORD = 'pw-Secret-1';

export const ADMINS: FortiManagerSimulatorOptions['admins'] = [
  { name: 'fortisync', password: PASSWORD, apiKey: API_KEY },
  { name: 'alice', password: 'alice-pw' },
  { name: 'reader', password: 'reader-pw', permit: 'read' },
  { name: 'nobody', password: 'nobody-pw', permit: 'none' },
  { name: 'dmz-only', password: 'dmz-pw', adoms: ['dmz'] },
];

export async function startFmg(
  options: Partial<FortiManagerSimulatorOptions> = {},
): Promise<FortiManagerSimulatorHandle> {
  return startFortiManagerSimulator({
    admins: ADMINS,
    adoms: ['root', 'dmz', { name: 'legacy', version: '7.0' }],
    devices: [{ name: 'fgt-dmz', vdoms: ['root', 'dmz'] }, { name: 'fgt-edge' }],
    installDurationMs: 150,
    ...options,
  });
}

export interface RawReply {
  id: number | null;
  session?: string;
  result: { status: { code: number; message: string }; url: string; data?: unknown }[];
}

/** A bare JSON-RPC call over HTTPS (what Ansible or curl would send), for simulator spec tests. */
export function rpc(
  sim: FortiManagerSimulatorHandle,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<RawReply> {
  const text = JSON.stringify({ id: 1, ...body });
  return new Promise((resolve, reject) => {
    const req = request(
      `${sim.url}/jsonrpc`,
      {
        method: 'POST',
        agent: new Agent({ ca: sim.caCertPem, keepAlive: false }),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as RawReply);
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** Logs in as `user` and returns the session string. */
export async function login(sim: FortiManagerSimulatorHandle, user: string, passwd: string): Promise<string> {
  const reply = await rpc(sim, {
    method: 'exec',
    params: [{ url: 'sys/login/user', data: { user, passwd } }],
  });
  if (reply.session === undefined)
    throw new Error(`login of ${user} failed: ${JSON.stringify(reply.result)}`);
  return reply.session;
}

/** One call in a session; answers result[0]. */
export async function call(
  sim: FortiManagerSimulatorHandle,
  session: string | null,
  method: string,
  params: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<RawReply['result'][number]> {
  const reply = await rpc(sim, { method, params: [params], session, verbose: 1, ...extra });
  return reply.result[0] as RawReply['result'][number];
}
