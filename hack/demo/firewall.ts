/**
 * The FortiGate that enforces the admin's policy, as the demo watches it: written directly by the
 * operator, or through FortiManager by a package install (hack/demo/fortimanager.ts).
 */
import type { SimulatorHandle } from '../../src/simulator/index.js';
import { bold, dim, type Kubectl } from './kubectl.js';

export const GROUP = 'K8S-DMZ';

export interface DemoFirewall {
  /** Members of K8S-DMZ on the FortiGate, sorted. */
  members(): string[];
  /** Address objects on the FortiGate that carry fortisync's ownership marker. */
  ownedAddresses(): number;
  /** Prints what the FortiGate (and what stands before it) holds now. */
  show(k: Kubectl): Promise<void>;
  /** Where the time from `kubectl scale` to the FortiGate goes (printed after step 2). */
  propagationNote: string;
  /** What removes the addresses a group released from the FortiGate (step 3). */
  releasedBy: string;
}

/** The firewall side of the demo: started before the operator, its storefront applied after. */
export interface DemoSide {
  firewall: DemoFirewall;
  /** Applies the storefront example pointed at this side. */
  apply(k: Kubectl): Promise<void>;
  close(): Promise<void>;
  /** How to look at it by hand (printed with --keep). */
  hint: string;
}

export function groupMembers(sim: SimulatorHandle): string[] {
  const g = sim.state.get('firewall/addrgrp', GROUP);
  return ((g?.member as { name: string }[] | undefined) ?? []).map((m) => m.name).sort();
}

export function ownedAddresses(sim: SimulatorHandle): number {
  return sim.state.list('firewall/address').filter((a) => String(a.comment ?? '').includes('[fortisync:'))
    .length;
}

/** The group, fortisync's addresses and the admin's policies, as a GET on the FortiGate returns them. */
export function showFortiGate(sim: SimulatorHandle, title = 'FortiGate side'): void {
  console.log(bold(title) + dim(` (GET ${sim.url}/api/v2/cmdb/firewall/addrgrp/${GROUP})`));
  const members = groupMembers(sim);
  console.log(`  address group ${GROUP}: ${members.length > 0 ? members.join(', ') : '(no members)'}`);
  const ours = sim.state
    .list('firewall/address')
    .filter((a) => String(a.comment ?? '').includes('[fortisync:'));
  if (ours.length === 0) console.log('  address objects by fortisync: (none)');
  for (const a of ours)
    console.log(`  address ${String(a.name)}  ${String(a.subnet)}  "${String(a.comment)}"`);
  for (const p of sim.state.list('firewall/policy')) {
    const src = (p.srcaddr as { name: string }[]).map((m) => m.name).join(',');
    const dst = (p.dstaddr as { name: string }[]).map((m) => m.name).join(',');
    console.log(`  policy ${String(p.policyid)} "${String(p.name)}": ${src} → ${dst} ${String(p.action)}`);
  }
}

/** The operator writes the FortiGate itself (a FortiGateDevice). */
export function directFortiGate(sim: SimulatorHandle): DemoFirewall {
  return {
    members: () => groupMembers(sim),
    ownedAddresses: () => ownedAddresses(sim),
    show: () => {
      showFortiGate(sim);
      return Promise.resolve();
    },
    propagationNote: 'scheduling, kwok starting the pod, the operator’s two writes',
    releasedBy: 'the next sync',
  };
}
