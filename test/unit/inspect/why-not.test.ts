import { describe, expect, it } from '@jest/globals';
import { membershipVerdict, type MembershipFacts, type VerdictState } from '../../../src/inspect/why-not.js';

const ADDR = { name: 'k8s-prod-node-worker-1', ip: '192.0.2.11' };

/** A pod that is a member in sync; each row changes one fact. */
function facts(change: (f: MembershipFacts) => void = () => {}): MembershipFacts {
  const f: MembershipFacts = {
    family: 'IPv4',
    mode: 'Node',
    group: 'K8S-DMZ',
    mapping: { key: 'storefront/dmz', deleting: false, suspend: false, dryRun: false },
    device: { name: 'fw1', found: true, suspend: false, dryRun: false },
    pod: { scheduled: true, terminating: false, phase: 'Running', node: 'worker-1' },
    namespace: { selected: true, how: "the mapping's own namespace" },
    labels: { matched: true, terms: [{ term: 'app=frontend', matched: true }] },
    nodeFound: true,
    address: { ...ADDR },
    live: { read: true, groupExists: true, member: true, addressIp: ADDR.ip },
  };
  change(f);
  return f;
}

const notLive = (f: MembershipFacts): void => {
  f.live = { read: true, groupExists: true, member: false };
};

// [row, facts, state, reason, text the message must contain]
const rows: [string, MembershipFacts, VerdictState, string, string][] = [
  ['member, in sync', facts(), 'member', 'InSync', 'k8s-prod-node-worker-1 (192.0.2.11) is in K8S-DMZ'],
  [
    'invalid mapping',
    facts((f) => (f.mapping.specProblem = 'spec.addressGroup: must match')),
    'excluded',
    'InvalidSpec',
    'mapping storefront/dmz has an invalid spec: spec.addressGroup',
  ],
  [
    'mapping being deleted',
    facts((f) => (f.mapping.deleting = true)),
    'excluded',
    'MappingDeleting',
    'being deleted',
  ],
  [
    'namespace not selected (but the node is a member for other pods)',
    facts((f) => (f.namespace = { selected: false, how: 'namespaceSelector team=shop ✗' })),
    'excluded',
    'NamespaceNotSelected',
    'namespaceSelector team=shop ✗); k8s-prod-node-worker-1 is in K8S-DMZ for other pods on node worker-1',
  ],
  [
    'labels not matched, naming the failing term',
    facts((f) => {
      f.labels = {
        matched: false,
        terms: [
          { term: 'app=frontend', matched: true },
          { term: 'zone=dmz', matched: false },
        ],
      };
      notLive(f);
    }),
    'excluded',
    'LabelsNotMatched',
    'podSelector of storefront/dmz: app=frontend ✓, zone=dmz ✗',
  ],
  [
    'device not found',
    facts((f) => (f.device.found = false)),
    'excluded',
    'DeviceNotFound',
    'FortiGateDevice fw1 does not exist',
  ],
  [
    'FortiManagerTarget not found: named as such, with the field to fix',
    facts((f) => (f.device = { ...f.device, kind: 'FortiManagerTarget', name: 'fmg1', found: false })),
    'excluded',
    'DeviceNotFound',
    'FortiManagerTarget fmg1 does not exist; create it or fix spec.fortiManagerTargets',
  ],
  [
    'FortiManagerTarget suspended',
    facts((f) => {
      f.device = { ...f.device, kind: 'FortiManagerTarget', name: 'fmg1', suspend: true };
      notLive(f);
    }),
    'held',
    'DeviceSuspended',
    'FortiManagerTarget fmg1 is suspended',
  ],
  [
    'invalid device',
    facts((f) => (f.device.specProblem = 'spec.url: must match')),
    'excluded',
    'InvalidSpec',
    'FortiGateDevice fw1 has an invalid spec',
  ],
  [
    'namespace not granted by the device',
    facts((f) => {
      f.access = {
        reason: 'NamespaceNotAllowed',
        message: 'FortiGateDevice fw1 does not accept mappings from namespace storefront',
      };
      notLive(f);
    }),
    'excluded',
    'NamespaceNotAllowed',
    'does not accept mappings from namespace storefront',
  ],
  [
    'group not allowed by the device',
    facts(
      (f) =>
        (f.access = {
          reason: 'GroupNotAllowed',
          message: 'FortiGateDevice fw1 does not allow group K8S-DMZ',
        }),
    ),
    'excluded',
    'GroupNotAllowed',
    'does not allow group K8S-DMZ',
  ],
  [
    'pod not scheduled',
    facts((f) => {
      f.pod = { scheduled: false, terminating: false, phase: 'Pending' };
      delete f.address;
      notLive(f);
    }),
    'pending',
    'PodNotScheduled',
    'not scheduled',
  ],
  ['pod terminating', facts((f) => (f.pod.terminating = true)), 'excluded', 'PodTerminating', 'fail closed'],
  ['pod succeeded', facts((f) => (f.pod.phase = 'Succeeded')), 'excluded', 'PodFinished', '(Succeeded)'],
  ['pod failed', facts((f) => (f.pod.phase = 'Failed')), 'excluded', 'PodFinished', '(Failed)'],
  [
    'node gone',
    facts((f) => {
      f.nodeFound = false;
      delete f.address;
      notLive(f);
    }),
    'excluded',
    'NodeNotFound',
    'node worker-1 does not exist',
  ],
  [
    'node without an address of the family',
    facts((f) => {
      f.family = 'IPv6';
      delete f.address;
      notLive(f);
    }),
    'excluded',
    'NoNodeAddress',
    'node worker-1 has no IPv6 InternalIP or ExternalIP',
  ],
  [
    'Pod mode, pod starting without an IP',
    facts((f) => {
      f.mode = 'Pod';
      f.pod.phase = 'Pending';
      delete f.address;
      notLive(f);
    }),
    'pending',
    'NoPodIP',
    'no IPv4 address yet',
  ],
  [
    'Pod mode, running pod without an address of the family',
    facts((f) => {
      f.mode = 'Pod';
      f.family = 'IPv6';
      delete f.address;
      notLive(f);
    }),
    'excluded',
    'NoPodIP',
    'dual-stack',
  ],
  [
    'device suspended',
    facts((f) => {
      f.device.suspend = true;
      notLive(f);
    }),
    'held',
    'DeviceSuspended',
    'FortiGateDevice fw1 is suspended: fortisync leaves K8S-DMZ as it is; the group does not hold it',
  ],
  ['device dry-run', facts((f) => (f.device.dryRun = true)), 'held', 'DeviceDryRun', 'the group holds it'],
  ['mapping suspended', facts((f) => (f.mapping.suspend = true)), 'held', 'MappingSuspended', 'is suspended'],
  ['mapping dry-run', facts((f) => (f.mapping.dryRun = true)), 'held', 'MappingDryRun', 'is in dry-run'],
  [
    'a limit holds a new member back',
    facts((f) => {
      f.limit = { reason: 'MemberLimitReached', message: 'group K8S-DMZ would hold 3 members' };
      notLive(f);
    }),
    'held',
    'MemberLimitReached',
    'would hold 3 members',
  ],
  [
    'a limit does not hold back a member already in',
    facts((f) => (f.limit = { reason: 'AddressLimitReached', message: 'x' })),
    'member',
    'InSync',
    'as desired',
  ],
  [
    'device unreachable',
    facts((f) => (f.live = { read: false, error: 'device unreachable: connect ECONNREFUSED' })),
    'unknown',
    'DeviceUnreadable',
    'could not be read (device unreachable: connect ECONNREFUSED)',
  ],
  [
    'address object holds another IP',
    facts((f) => (f.live = { read: true, groupExists: true, member: true, addressIp: '192.0.2.99' })),
    'drift',
    'AddressDrift',
    'holds 192.0.2.99 instead of 192.0.2.11',
  ],
  [
    'not written yet',
    facts(notLive),
    'pending',
    'NotYetSynced',
    'K8S-DMZ does not hold k8s-prod-node-worker-1 yet',
  ],
  [
    'group not created yet',
    facts((f) => (f.live = { read: true, groupExists: false, member: false })),
    'pending',
    'NotYetSynced',
    'K8S-DMZ does not exist yet',
  ],
];

describe('trace: why a pod is (not) in a group', () => {
  it.each(rows)('%s', (_row, f, state, reason, text) => {
    const v = membershipVerdict(f);
    expect([v.state, v.reason]).toEqual([state, reason]);
    expect(v.message).toContain(text);
  });

  it('names the node note only in Node mode, when the node address is in the group', () => {
    const podMode = membershipVerdict(
      facts((f) => {
        f.mode = 'Pod';
        f.namespace = { selected: false, how: 'x' };
      }),
    );
    expect(podMode.message).not.toContain('other pods');
    const notIn = membershipVerdict(
      facts((f) => {
        f.namespace = { selected: false, how: 'x' };
        notLive(f);
      }),
    );
    expect(notIn.message).not.toContain('other pods');
  });
});
