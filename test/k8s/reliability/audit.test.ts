import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Harness } from '../../support/operator-harness.js';
import { Audit } from './audit.js';
import type { Expected } from './support.js';

// The instrument of the reliability suite, checked on its own: every figure it reports must be able
// to be non-zero. No operator runs here; the test plays the operator's mistakes on the simulator.
describe('reliability: the audit counts what the FortiGate shows', () => {
  const h = new Harness({ name: 'rel-audit', clusterName: 'au', startOperator: false });
  const ours = (n: string): string => `k8s-au-node-${n}`;
  const marker = '[fortisync:au]';
  const want: Expected = {
    addresses: new Map([[ours('a'), '192.0.2.1']]),
    groups: new Map([['AU-WEB', [ours('a')]]]),
  };

  beforeAll(async () => {
    await h.start();
  });
  afterAll(async () => {
    await h.stop();
  });

  function seed(): void {
    h.sim.state.seed('firewall/address', { name: 'admin-db', subnet: '10.9.9.9/32', comment: 'by hand' });
    h.sim.state.seed('firewall/address', { name: 'admin-web', subnet: '10.9.9.10/32', comment: 'by hand' });
    for (const n of ['a', 'b'])
      h.sim.state.seed('firewall/address', {
        name: ours(n),
        subnet: `192.0.2.${n === 'a' ? 1 : 2}/32`,
        comment: `${marker} node ${n}`,
      });
    h.sim.state.seed('firewall/addrgrp', { name: 'AU-WEB', member: [{ name: ours('a') }], comment: marker });
    h.sim.state.seed('firewall/addrgrp', { name: 'ADMIN-GRP', member: [{ name: 'admin-db' }] });
  }

  it('a clean FortiGate gives zero everywhere', async () => {
    seed();
    const audit = new Audit(h, 'au').begin();
    audit.hold(want);
    h.sim.state.remove('firewall/address', ours('b')); // an orphan of ours going is what should happen
    // Our member joining an admin group is not a change of the admin's object.
    h.sim.state.update('firewall/addrgrp', 'ADMIN-GRP', {
      member: [{ name: 'admin-db' }, { name: ours('a') }],
    });
    await new Promise((r) => setTimeout(r, 300)); // samples see our member in the admin's group
    h.sim.state.update('firewall/addrgrp', 'ADMIN-GRP', { member: [{ name: 'admin-db' }] });
    const diff = await audit.settle(() => want, 1000);
    expect(diff).toEqual([]);
    expect(audit.end()).toEqual({ objectsLost: 0, staleMembers: 0, foreignTouched: 0 });
  });

  it('a member that must stay, gone for a moment, is lost even when it comes back', async () => {
    const audit = new Audit(h, 'au').begin();
    audit.hold(want);
    h.sim.state.update('firewall/addrgrp', 'AU-WEB', { member: [{ name: 'none' }] });
    await new Promise((r) => setTimeout(r, 300)); // at least two samples see it
    h.sim.state.update('firewall/addrgrp', 'AU-WEB', { member: [{ name: ours('a') }] });
    expect(await audit.settle(() => want, 1000)).toEqual([]);
    expect(audit.end()).toMatchObject({ objectsLost: 1 });
    expect(audit.details()).toEqual([`AU-WEB member ${ours('a')}`]);
  });

  it('a stale member, a changed admin object and a deleted one are each counted', async () => {
    h.sim.state.seed('firewall/address', {
      name: ours('c'),
      subnet: '192.0.2.3/32',
      comment: `${marker} node c`,
    });
    const audit = new Audit(h, 'au').begin();
    h.sim.state.update('firewall/addrgrp', 'AU-WEB', { member: [{ name: ours('a') }, { name: ours('c') }] });
    h.sim.state.update('firewall/address', 'admin-web', { comment: 'changed by someone' });
    h.sim.state.update('firewall/addrgrp', 'ADMIN-GRP', { member: [{ name: 'admin-web' }] });
    h.sim.state.remove('firewall/address', 'admin-db');
    const want2: Expected = { ...want, addresses: new Map([...want.addresses, [ours('c'), '192.0.2.3']]) };
    const diff = await audit.settle(() => want2, 500);
    expect(diff).toEqual([`group AU-WEB holds [${ours('a')}, ${ours('c')}], want [${ours('a')}]`]);
    expect(audit.end()).toEqual({ objectsLost: 1, staleMembers: 1, foreignTouched: 2 });
  });

  it('a scenario that never settles is counted, not thrown', async () => {
    const audit = new Audit(h, 'au').begin();
    const diff = await audit.settle(
      () => ({ addresses: new Map([[ours('z'), '192.0.2.26']]), groups: new Map([['AU-WEB', [ours('z')]]]) }),
      300,
    );
    expect(diff).toContain(`missing address ${ours('z')}`);
    expect(audit.end().objectsLost).toBe(2); // the address and the member
  });
});
