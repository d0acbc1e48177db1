import { describe, expect, it } from '@jest/globals';
import { accessProblem, desiredDeviceState, type TargetInput } from '../../../src/domain/desired.js';
import { groupKey } from '../../../src/domain/model.js';
import { device, mapping, namespace, node, pod, view } from './fixtures.js';

/** ADR 0003 §2–3: one kind-free domain; a mapping names its targets per kind. */
const fmg: TargetInput = {
  name: 'fw1',
  kind: 'FortiManagerTarget',
  spec: { clusterName: 'prod', addressNamePrefix: 'k8s', suspend: false, dryRun: false },
};
const v = view(
  [pod('storefront', 'fe-1', 'worker-1', { zone: 'dmz' })],
  [node('worker-1', '192.0.2.11')],
  [namespace('storefront')],
);

describe('targets of both kinds', () => {
  it('a FortiManagerTarget takes the mappings naming it in fortiManagerTargets, a device those in devices', () => {
    const viaFmg = mapping('storefront', 'a', { devices: undefined, fortiManagerTargets: ['fw1'] });
    const viaDevice = mapping('storefront', 'b', { addressGroup: 'K8S-LAN' });
    const onFmg = desiredDeviceState(fmg, [viaFmg, viaDevice], v);
    const onDevice = desiredDeviceState(device, [viaFmg, viaDevice], v);
    expect([...onFmg.groups.keys()]).toEqual([groupKey('IPv4', 'K8S-DMZ')]);
    expect([...onDevice.groups.keys()]).toEqual([groupKey('IPv4', 'K8S-LAN')]);
    expect([...(onFmg.groups.get(groupKey('IPv4', 'K8S-DMZ'))?.members ?? [])]).toEqual([
      'k8s-prod-node-worker-1',
    ]);
  });

  it('grants refuse with the kind of the target in the message', () => {
    const strict: TargetInput = { ...fmg, spec: { ...fmg.spec, access: { allowedGroups: ['K8S-WEB-*'] } } };
    const m = mapping('storefront', 'a', { devices: undefined, fortiManagerTargets: ['fw1'] });
    const problem = accessProblem(strict, m, v);
    expect(problem?.message).toContain('FortiManagerTarget fw1');
    expect(
      accessProblem({ ...device, spec: { ...device.spec, access: strict.spec.access } }, m, v)?.message,
    ).toContain('FortiGateDevice fw1');
  });
});
