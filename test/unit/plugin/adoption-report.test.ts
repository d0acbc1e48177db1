import { describe, expect, it } from '@jest/globals';
import {
  adoptionPlanRows,
  adoptionStatusReport,
  type AdoptionOwner,
} from '../../../src/cmd/plugin/adoption-report.js';
import { RETRY_ADOPTION_ANNOTATION } from '../../../src/domain/adoption.js';
import { addressKey, groupKey, type ObservedDeviceState } from '../../../src/domain/model.js';
import { desiredGroup } from '../domain/fixtures.js';

const G = 'fortigate.web';
const OURS = 'k8s-prod-node-w1';

const owner = (over: Partial<AdoptionOwner> = {}): AdoptionOwner => ({
  kind: 'FortiGateDevice',
  metadata: { name: 'fw1' },
  spec: { clusterName: 'prod', adoption: { source: 'CalicoEnterprise', groups: [G, 'fortigate.unfed'] } },
  ...over,
});

const desired = desiredGroup(G, [OURS]);

const observed: ObservedDeviceState = {
  addresses: new Map([
    [addressKey('IPv4', OURS), { name: OURS, family: 'IPv4', ip: '192.0.2.1', comment: 'x' }],
  ]),
  groups: new Map([
    [
      groupKey('IPv4', G),
      { name: G, family: 'IPv4', members: ['w1'], comment: 'Managed by Calico Enterprise' },
    ],
  ]),
};

const conflict = (retryToken: string) => ({
  status: {
    adoption: {
      groups: [
        {
          name: G,
          family: 'IPv4' as const,
          state: 'Conflict' as const,
          since: '2026-12-02T10:00:00Z',
          message: 'stop',
          retryToken,
        },
      ],
    },
  },
});

describe('adoptionPlanRows', () => {
  it('a listed group no live mapping feeds is not adopted, and says so', () => {
    const rows = adoptionPlanRows(owner(), desired, observed, new Set([addressKey('IPv4', 'w1')]));
    expect(rows.map((r) => [r.group, r.step])).toEqual([
      ['fortigate.unfed', 'NotAdopted'],
      [G, 'AddFortisyncMembers'],
    ]);
    expect(rows[1]?.add).toEqual([OURS]);
  });

  it('a stop in the status shows until the retry annotation takes a new value', () => {
    const tigera = new Set([addressKey('IPv4', 'w1')]);
    expect(
      adoptionPlanRows(
        owner({
          ...conflict('a'),
          metadata: { name: 'fw1', annotations: { [RETRY_ADOPTION_ANNOTATION]: 'a' } },
        }),
        desired,
        observed,
        tigera,
      )[1]?.step,
    ).toBe('StoppedByConflict');
    const retried = owner({
      ...conflict('a'),
      metadata: { name: 'fw1', annotations: { [RETRY_ADOPTION_ANNOTATION]: 'b' } },
    });
    expect(adoptionPlanRows(retried, desired, observed, tigera)[1]?.step).toBe('AddFortisyncMembers');
  });
});

describe('adoptionStatusReport', () => {
  it('none without status.adoption; otherwise every group by owner, and what is left alone', () => {
    expect(adoptionStatusReport([owner()])).toBeUndefined();
    const r = adoptionStatusReport([
      owner({
        kind: 'FortiManagerTarget',
        metadata: { name: 'fmg' },
        status: { adoption: { ...conflict('').status.adoption, unadopted: { groups: ['x'], addresses: 3 } } },
      }),
    ]);
    expect(r?.groups.map((g) => [g.owner, g.name, g.state])).toEqual([
      ['FortiManagerTarget/fmg', G, 'Conflict'],
    ]);
    expect(r?.unadopted).toEqual([{ owner: 'FortiManagerTarget/fmg', groups: ['x'], addresses: 3 }]);
  });
});
