import type { AddressType, IPFamily, TargetKind } from '../api/v1alpha1/fortigate-endpoint-mapping.js';
import type { Problem } from '../domain/problem.js';
import type { SelectorTerm } from './selector-terms.js';
import { formatTerms } from './selector-terms.js';

/** What the device holds for one group and one address, as read live; or why it could not be read. */
export type LiveMembership =
  | { read: false; error: string }
  | {
      read: true;
      groupExists: boolean;
      /** The address stands in the group. */
      member: boolean;
      /** The IP the address object holds on the device, when it exists. */
      addressIp?: string;
    };

/** Everything `trace` knows about one pod, one mapping, one device and one family. */
export interface MembershipFacts {
  family: IPFamily;
  mode: AddressType;
  group: string;
  mapping: { key: string; specProblem?: string; deleting: boolean; suspend: boolean; dryRun: boolean };
  device: {
    name: string;
    /** Absent: a FortiGateDevice. */
    kind?: TargetKind;
    found: boolean;
    specProblem?: string;
    suspend: boolean;
    dryRun: boolean;
  };
  pod: { scheduled: boolean; terminating: boolean; phase?: string; node?: string };
  /** The mapping's namespace rule picks the pod's namespace; `how` says which rule. */
  namespace: { selected: boolean; how: string };
  labels: { matched: boolean; terms: readonly SelectorTerm[] };
  /** The device refuses the mapping (domain `accessProblem`). */
  access?: Problem;
  /** Node mode: the pod's node exists. */
  nodeFound: boolean;
  /** The address that stands for the pod in this family (node address or pod IP), when there is one. */
  address?: { name: string; ip: string };
  /** A limit holds new members of the group back (domain `plan` problems). */
  limit?: Problem;
  live: LiveMembership;
}

/**
 * - `member`: the address is in the group and holds the right IP;
 * - `pending`: it will be (not scheduled yet, no IP yet, the operator has not written it yet);
 * - `held`: the operator leaves the group alone (suspended, dry-run) or a limit holds it back;
 * - `drift`: the group names it but the object holds another IP;
 * - `excluded`: the pod is not wanted in the group;
 * - `unknown`: the device could not be read.
 */
export type VerdictState = 'member' | 'pending' | 'held' | 'drift' | 'excluded' | 'unknown';

export interface Verdict {
  state: VerdictState;
  reason: string;
  message: string;
}

type Check = (f: MembershipFacts) => Verdict | undefined;

const verdict = (state: VerdictState, reason: string, message: string): Verdict => ({
  state,
  reason,
  message,
});

/** Node mode: the node's address may be in the group for other pods on the node. */
function nodeNote(f: MembershipFacts): string {
  if (f.mode !== 'Node' || !f.live.read || !f.live.member || !f.address) return '';
  return `; ${f.address.name} is in ${f.group} for other pods on node ${f.pod.node ?? '?'}, so traffic from this pod passes anyway (Node mode: the node's address stands for every pod on it)`;
}

function excluded(f: MembershipFacts, reason: string, message: string): Verdict {
  return verdict('excluded', reason, message + nodeNote(f));
}

const mappingChecks: Check[] = [
  (f) =>
    f.mapping.specProblem
      ? excluded(f, 'InvalidSpec', `mapping ${f.mapping.key} has an invalid spec: ${f.mapping.specProblem}`)
      : undefined,
  (f) =>
    f.mapping.deleting
      ? excluded(
          f,
          'MappingDeleting',
          `mapping ${f.mapping.key} is being deleted: its members leave the group`,
        )
      : undefined,
  (f) =>
    f.namespace.selected
      ? undefined
      : excluded(
          f,
          'NamespaceNotSelected',
          `mapping ${f.mapping.key} does not select the pod's namespace (${f.namespace.how})`,
        ),
  (f) =>
    f.labels.matched
      ? undefined
      : excluded(
          f,
          'LabelsNotMatched',
          `the pod's labels do not meet the podSelector of ${f.mapping.key}: ${formatTerms(f.labels.terms)}`,
        ),
];

/** "FortiGateDevice fw1" or "FortiManagerTarget fmg1". */
const label = (f: MembershipFacts): string => `${f.device.kind ?? 'FortiGateDevice'} ${f.device.name}`;
const specField = (f: MembershipFacts): string =>
  f.device.kind === 'FortiManagerTarget' ? 'spec.fortiManagerTargets' : 'spec.devices';

const deviceChecks: Check[] = [
  (f) =>
    f.device.found
      ? undefined
      : excluded(f, 'DeviceNotFound', `${label(f)} does not exist; create it or fix ${specField(f)}`),
  (f) =>
    f.device.specProblem
      ? excluded(f, 'InvalidSpec', `${label(f)} has an invalid spec: ${f.device.specProblem}`)
      : undefined,
  (f) => (f.access ? excluded(f, f.access.reason, f.access.message) : undefined),
];

const podChecks: Check[] = [
  (f) =>
    f.pod.scheduled
      ? undefined
      : verdict('pending', 'PodNotScheduled', 'the pod is not scheduled to a node yet; it joins once it is'),
  (f) =>
    f.pod.terminating
      ? excluded(f, 'PodTerminating', 'the pod is being deleted: it left the group at once (fail closed)')
      : undefined,
  (f) =>
    f.pod.phase === 'Succeeded' || f.pod.phase === 'Failed'
      ? excluded(f, 'PodFinished', `the pod has finished (${f.pod.phase}): finished pods do not count`)
      : undefined,
  (f) =>
    f.mode === 'Node' && !f.nodeFound
      ? excluded(f, 'NodeNotFound', `node ${f.pod.node ?? '?'} does not exist`)
      : undefined,
  (f) => (f.address ? undefined : noAddress(f)),
];

function noAddress(f: MembershipFacts): Verdict {
  if (f.mode === 'Node') {
    return excluded(
      f,
      'NoNodeAddress',
      `node ${f.pod.node ?? '?'} has no ${f.family} InternalIP or ExternalIP in its status`,
    );
  }
  return f.pod.phase === 'Pending' || f.pod.phase === undefined
    ? verdict('pending', 'NoPodIP', `the pod has no ${f.family} address yet; it joins once it has one`)
    : excluded(f, 'NoPodIP', `the pod has no ${f.family} address (is the cluster dual-stack?)`);
}

function liveText(f: MembershipFacts): string {
  if (!f.live.read) return `the device could not be read (${f.live.error})`;
  return f.live.member ? `the group holds it` : `the group does not hold it`;
}

const heldChecks: Check[] = [
  (f) => {
    const why = f.device.suspend
      ? ['DeviceSuspended', `${label(f)} is suspended`]
      : f.device.dryRun
        ? ['DeviceDryRun', `${label(f)} is in dry-run`]
        : f.mapping.suspend
          ? ['MappingSuspended', `mapping ${f.mapping.key} is suspended`]
          : f.mapping.dryRun
            ? ['MappingDryRun', `mapping ${f.mapping.key} is in dry-run`]
            : undefined;
    return (
      why &&
      verdict('held', why[0] as string, `${why[1]}: fortisync leaves ${f.group} as it is; ${liveText(f)}`)
    );
  },
  (f) =>
    f.limit && !(f.live.read && f.live.member) ? verdict('held', f.limit.reason, f.limit.message) : undefined,
];

function liveVerdict(f: MembershipFacts): Verdict {
  const address = f.address as { name: string; ip: string };
  if (!f.live.read)
    return verdict('unknown', 'DeviceUnreadable', `wanted in ${f.group} as ${address.name}; ${liveText(f)}`);
  if (f.live.member && f.live.addressIp === address.ip)
    return verdict('member', 'InSync', `${address.name} (${address.ip}) is in ${f.group}, as desired`);
  if (f.live.member)
    return verdict(
      'drift',
      'AddressDrift',
      `${address.name} is in ${f.group} but holds ${f.live.addressIp ?? 'no host address'} instead of ${address.ip}; the next sync or drift check repairs it`,
    );
  const what = f.live.groupExists
    ? `${f.group} does not hold ${address.name} yet`
    : `${f.group} does not exist yet`;
  return verdict(
    'pending',
    'NotYetSynced',
    `wanted as ${address.name} (${address.ip}) but ${what}: the operator has not written it (is it running and the leader? see the device's conditions)`,
  );
}

/**
 * Why the pod is (or is not) in the mapping's group on the device for one family: the first check
 * that decides wins, in the order the operator applies its own rules (mapping, device access, pod,
 * address, suspension and limits), then what the device holds live.
 */
export function membershipVerdict(f: MembershipFacts): Verdict {
  for (const check of [...mappingChecks, ...deviceChecks, ...podChecks, ...heldChecks]) {
    const v = check(f);
    if (v) return v;
  }
  return liveVerdict(f);
}
