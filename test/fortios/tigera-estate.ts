import { Agent, fetch } from 'undici';
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { field, raw, TOKEN } from './helpers.js';

/**
 * What Calico Enterprise's firewall controller leaves on a FortiGate, created with its own request
 * shapes (its public source, firewall-integration/pkg/fortimanager/client.go and
 * controllers/fortimanager/selectors_controller.go): addresses POSTed with `"type":""` and
 * `"sub-type":""` and a `"ip mask"` subnet, groups created holding `no-members` and then PUT with
 * their whole member list, every object commented `Managed by Calico Enterprise`.
 */
export const TIGERA_COMMENT = 'Managed by Calico Enterprise';
export const NO_MEMBERS = 'no-members';
/** The user agent of the requests made as Tigera's controller, so a test tells its writes from fortisync's. */
export const TIGERA_USER_AGENT = 'tigera-firewall-controller (fortisync test)';

export interface TigeraGroup {
  /** The GlobalNetworkPolicy's name. */
  name: string;
  /** Address name (node name, or `<namespace>-<pod>`) → IPv4 address. */
  members: Record<string, string>;
}

type Send = (method: string, path: string, body: unknown) => Promise<{ status: number; json: unknown }>;

/** Tigera's requests to a simulator: raw HTTP, or HTTPS trusting its CA (with the given token). */
function sender(sim: SimulatorHandle, token: string): Send {
  if (!sim.caCertPem) return (method, path, body) => raw(sim, method, path, { body, token });
  const dispatcher = new Agent({ connect: { ca: sim.caCertPem } });
  return async (method, path, body) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      dispatcher,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'user-agent': TIGERA_USER_AGENT,
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };
}

async function ok(reply: Promise<{ status: number; json: unknown }>, what: string): Promise<void> {
  const r = await reply;
  if (r.status !== 200)
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(field(r.json, 'error'))}`);
}

function tigeraAddress(name: string, ip: string): Record<string, unknown> {
  return { name, comment: TIGERA_COMMENT, type: '', 'sub-type': '', subnet: `${ip} 255.255.255.255` };
}

/** Seeds the estate on a simulator, in the order Tigera's controller writes it. */
export async function seedTigeraEstate(
  sim: SimulatorHandle,
  groups: TigeraGroup[],
  token = TOKEN,
): Promise<void> {
  const send = sender(sim, token);
  const addresses = new Map<string, string>([[NO_MEMBERS, '0.0.0.0']]);
  for (const g of groups) for (const [name, ip] of Object.entries(g.members)) addresses.set(name, ip);
  for (const [name, ip] of addresses) {
    await ok(send('POST', '/api/v2/cmdb/firewall/address', tigeraAddress(name, ip)), `address ${name}`);
  }
  for (const g of groups) {
    const group = (members: string[]) => ({
      name: g.name,
      comment: TIGERA_COMMENT,
      member: members.map((name) => ({ name })),
    });
    await ok(send('POST', '/api/v2/cmdb/firewall/addrgrp', group([NO_MEMBERS])), `group ${g.name}`);
    const members = Object.keys(g.members);
    if (members.length > 0) {
      await ok(
        send('PUT', `/api/v2/cmdb/firewall/addrgrp/${encodeURIComponent(g.name)}`, group(members)),
        `group ${g.name} members`,
      );
    }
  }
}

/**
 * Tigera's controller still running: every `intervalMs` it PUTs each group's whole member list (its
 * own members, or `no-members`) and its comment, as its poll does (ADR 0004 "What the Tigera
 * controller does"). Returns how to stop it and how many rewrites it made.
 */
export function runFakeTigera(
  sim: SimulatorHandle,
  groups: TigeraGroup[],
  intervalMs: number,
  token = TOKEN,
): { stop: () => Promise<void>; rewrites: () => number } {
  const send = sender(sim, token);
  let rewrites = 0;
  let failure: unknown;
  let inFlight: Promise<void> = Promise.resolve();
  const poll = async (): Promise<void> => {
    for (const g of groups) {
      const members = Object.keys(g.members);
      const body = {
        name: g.name,
        comment: TIGERA_COMMENT,
        member: (members.length > 0 ? members : [NO_MEMBERS]).map((name) => ({ name })),
      };
      await ok(
        send('PUT', `/api/v2/cmdb/firewall/addrgrp/${encodeURIComponent(g.name)}`, body),
        `rewrite ${g.name}`,
      );
      rewrites++;
    }
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(poll).catch((err: unknown) => {
      failure ??= err;
    });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
    },
    rewrites: () => rewrites,
  };
}
