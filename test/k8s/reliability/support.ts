import type { KubeConfig } from '@kubernetes/client-node';
import { appendFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import winston from 'winston';
import type { FortiGateClientOptions } from '../../../src/fortigate/client.js';
import { Operator } from '../../../src/operator/operator.js';
import type { FaultRule } from '../../../src/simulator/faults.js';
import type { SimulatorHandle } from '../../../src/simulator/index.js';
import type { Harness } from '../../support/operator-harness.js';

/** Where every reliability test file appends its figures (one JSON object a line). */
export const FIGURES_FILE =
  process.env.FORTISYNC_RELIABILITY_FIGURES ?? '/tmp/fortisync-reliability-figures.jsonl';

export interface Figures {
  file: string;
  faults: Record<string, number>;
  scenarios: number;
  objectsLost: number;
  staleMembers: number;
  /** Foreign objects whose content changed (Audit); absent in files that do not sample yet. */
  foreignTouched?: number;
  badInputs?: number;
  notes?: string[];
}

export function recordFigures(f: Figures): void {
  const line = JSON.stringify({ at: new Date().toISOString(), ...f });
  console.log(`reliability figures: ${line}`);
  appendFileSync(FIGURES_FILE, `${line}\n`);
}

/**
 * Fault rules by kind: remembers which rule id stands for which kind, so the request log can be
 * tallied afterwards (`faults injected by kind`).
 */
export class FaultBook {
  private readonly kinds = new Map<string, string>();

  constructor(private readonly sim: () => SimulatorHandle) {}

  add(kind: string, rule: FaultRule): string {
    const id = this.sim().faults.add(rule);
    this.kinds.set(id, kind);
    return id;
  }

  remove(id: string): void {
    this.sim().faults.remove(id);
  }

  /** Requests the simulator answered with an injected fault, by kind. */
  tally(into: Record<string, number> = {}): Record<string, number> {
    for (const e of this.sim().requestLog.entries({})) {
      if (!e.fault) continue;
      const id = e.fault.split(':')[0] ?? '';
      const kind = e.fault === 'not-found-after-create' ? '404-after-create' : this.kinds.get(id);
      if (kind) into[kind] = (into[kind] ?? 0) + 1;
    }
    return into;
  }
}

/**
 * Starts the harness' in-process operator with our own FortiGate client options (timeouts shorter
 * than the defaults, so hangs turn into timeouts within a test).
 */
export async function startOperatorWith(
  h: Harness,
  clientOptions: Partial<FortiGateClientOptions>,
  kubeConfig: KubeConfig = h.kc,
): Promise<Operator> {
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write: (chunk: Buffer, _enc, cb) => {
            h.logs.push(chunk.toString());
            cb();
          },
        }),
      }),
    ],
  });
  const op = new Operator({
    kubeConfig,
    logger,
    registry: new Registry(),
    identity: `test-${h.id}`,
    watchSelector: h.selector,
    clientOptions,
    verifyIncremental: true,
  });
  await op.startInformers();
  op.startControllers();
  h.operator = op;
  return op;
}

export interface Expected {
  /** Address names (IPv4 table) fortisync should own, with their IPs. */
  addresses: Map<string, string>;
  /** Group name → exact member list. */
  groups: Map<string, string[]>;
  /** Groups that must not exist (fortisync created them and nothing feeds or uses them any more). */
  absentGroups?: string[];
}

/** What the FortiGate holds that differs from `expected`; empty when it matches exactly. */
export function differences(h: Harness, clusterName: string, expected: Expected): string[] {
  const marker = `[fortisync:${clusterName}]`;
  const out: string[] = [];
  const owned = h.sim.state.list('firewall/address').filter((a) => String(a.comment ?? '').includes(marker));
  const ownedNames = new Set(owned.map((a) => String(a.name)));
  for (const a of owned) {
    const name = String(a.name);
    const want = expected.addresses.get(name);
    if (want === undefined) out.push(`orphan address ${name}`);
    else if (!String(a.subnet).startsWith(`${want} `))
      out.push(`address ${name} is ${String(a.subnet)}, want ${want}`);
  }
  for (const [name] of expected.addresses) if (!ownedNames.has(name)) out.push(`missing address ${name}`);
  const ips = owned.map((a) => String(a.subnet));
  const dup = ips.filter((ip, i) => ips.indexOf(ip) !== i);
  if (dup.length > 0) out.push(`duplicate address objects for ${dup.join(', ')}`);
  for (const [group, members] of expected.groups) {
    const have = h.members(group);
    const want = [...members].sort();
    if (JSON.stringify(have) !== JSON.stringify(want))
      out.push(`group ${group} holds [${have?.join(', ') ?? 'no group'}], want [${want.join(', ')}]`);
  }
  for (const g of expected.absentGroups ?? [])
    if (h.members(g) !== undefined)
      out.push(`group ${g} should be gone, holds [${h.members(g)?.join(', ')}]`);
  return out;
}

/** Members of groups that are ours but not wanted: stale members (open doors). */
export function staleMembers(h: Harness, clusterName: string, expected: Expected): number {
  const marker = `[fortisync:${clusterName}]`;
  const ours = new Set(
    h.sim.state
      .list('firewall/address')
      .filter((a) => String(a.comment ?? '').includes(marker))
      .map((a) => String(a.name)),
  );
  let stale = 0;
  for (const g of h.sim.state.list('firewall/addrgrp')) {
    const want = new Set(expected.groups.get(String(g.name)) ?? []);
    for (const m of (g.member as { name: string }[] | undefined) ?? []) {
      if (ours.has(m.name) && !want.has(m.name)) stale++;
    }
  }
  return stale;
}
