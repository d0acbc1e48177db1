import type { AdomApi } from '../../../src/simulator/fortimanager/index.js';
import type { SimulatorStateApi } from '../../../src/simulator/index.js';

/**
 * The 2 ms sampler of the migration end-to-end tests: reads address groups in the simulator's own
 * process (a FortiGate's table, or a FortiManager ADOM's) and keeps what each sample showed, so a
 * test can assert that no instant of the handover held a wrong or empty member set.
 */

/** Where the sampler reads a group: its members, the IP each stands for, its comment. */
export interface GroupView {
  /** Member names; undefined when the group does not exist. */
  members(group: string): string[] | undefined;
  /** The IPv4 address a member stands for (0.0.0.0 for the placeholders). */
  ip(member: string): string;
  comment(group: string): string;
}

/** A FortiOS simulator's groups (`subnet` is "ip mask"). */
export function fortiosGroups(state: SimulatorStateApi): GroupView {
  return {
    members: (g) => {
      const group = state.get('firewall/addrgrp', g);
      return group ? ((group.member as { name: string }[] | undefined) ?? []).map((m) => m.name) : undefined;
    },
    ip: (m) => String(state.get('firewall/address', m)?.subnet ?? '0.0.0.0').split(' ')[0] as string,
    comment: (g) => String(state.get('firewall/addrgrp', g)?.comment ?? ''),
  };
}

/** A FortiManager ADOM's committed groups (`subnet` is [ip, mask], members are names). */
export function adomGroups(adom: AdomApi): GroupView {
  return {
    members: (g) => {
      const group = adom.get('firewall/addrgrp', g);
      return group ? ((group.member as string[] | undefined) ?? []).map(String) : undefined;
    },
    ip: (m) => {
      const subnet = adom.get('firewall/address', m)?.subnet;
      return Array.isArray(subnet) ? String(subnet[0]) : '0.0.0.0';
    },
    comment: (g) => String(adom.get('firewall/addrgrp', g)?.comment ?? ''),
  };
}

export interface Sample {
  t: number;
  /** The IPs the group's members stand for (0.0.0.0 for the placeholders); undefined: no group. */
  ips: string[] | undefined;
  /** Whose members the group held: `fortisync`, `tigera`, `none`, joined with + and sorted. */
  owners: string;
  comment: string;
}

/** Samples the groups every 2 ms; `wrong` says which samples a test must never see. */
export class GroupSampler {
  readonly samples = new Map<string, Sample[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly view: GroupView,
    private readonly groups: string[],
    private readonly cluster: string,
  ) {
    for (const g of groups) this.samples.set(g, []);
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), 2);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  private sample(): void {
    const now = Date.now();
    for (const g of this.groups) {
      const members = this.view.members(g);
      const owners = new Set(
        (members ?? []).map((m) =>
          m.startsWith(`k8s-${this.cluster}-`) ? 'fortisync' : m === 'none' ? 'none' : 'tigera',
        ),
      );
      this.samples.get(g)?.push({
        t: now,
        ips: members?.map((m) => this.view.ip(m)),
        owners: [...owners].sort().join('+'),
        comment: this.view.comment(g),
      });
    }
  }

  /** Samples whose real sources (placeholders aside) differ from `want`, or whose group is empty. */
  wrong(group: string, want: string[]): Sample[] {
    const real = (ips: string[] | undefined) =>
      [...new Set(ips ?? [])].filter((ip) => ip !== '0.0.0.0').sort();
    return (this.samples.get(group) ?? []).filter(
      (s) => JSON.stringify(real(s.ips)) !== JSON.stringify([...want].sort()) || (s.ips ?? []).length === 0,
    );
  }

  /** When the group first showed these owners (ms), or undefined. */
  firstSeen(group: string, owners: string): number | undefined {
    return this.samples.get(group)?.find((s) => s.owners === owners)?.t;
  }
}
