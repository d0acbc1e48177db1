import { describe, expect, it } from '@jest/globals';
import { runDemo } from '../../support/demo-run.js';

// What a newcomer sees after `make demo`: run non-interactively, check the story's outcome.
describe('make demo', () => {
  it('walks through the storefront story and leaves nothing behind', async () => {
    const { code, out } = await runDemo();
    expect(code).toBe(0);
    expect(out).toContain('address group K8S-DMZ: k8s-prod-node-worker-1\n');
    expect(out).toContain('address group K8S-DMZ: k8s-prod-node-worker-1, k8s-prod-node-worker-2');
    expect(out).toContain('address group K8S-DMZ: none');
    // Scale to zero shows the state once the deferred deletion of the addresses has run.
    const zero = out.slice(out.indexOf('3. Scale to zero'), out.indexOf('4. Delete the mapping'));
    expect(zero).toMatch(
      /addresses the group released are deleted by the next sync: gone \d+ ms after the group showed none/,
    );
    expect(zero).toContain('address objects by fortisync: (none)');
    expect(zero).not.toMatch(/address k8s-prod-node-/);
    expect(out).toMatch(/from "kubectl scale" to the FortiGate group holding worker-2: \d+ ms/);
    expect(out).toContain('objects left by fortisync: 0');
    expect(out).toContain('policy 10 "dmz-to-entra": K8S-DMZ → login.microsoft.com accept');
    // It ends with the kubectl plugin: trace of a frontend pod, then status.
    const seeIt = out.slice(out.indexOf('5. See it'));
    expect(seeIt).toMatch(/\$ kubectl fortisync trace pod storefront\/frontend-\S+\n/);
    expect(seeIt).toMatch(
      /storefront\/dmz-frontend +fw1 +IPv4 +Node +k8s-prod-node-worker-\d \(192\.0\.2\.1\d\) +K8S-DMZ +member +InSync\n/,
    );
    expect(seeIt).toMatch(/fw1 +10 +dmz-to-entra +accept +K8S-DMZ +login\.microsoft\.com +K8S-DMZ\n/);
    expect(seeIt).toContain("fw1: read live; in sync (the operator's plan is empty)");
    expect(seeIt).toMatch(/\$ kubectl fortisync status\nDEVICES\nNAME +READY +REASON/);
    expect(seeIt).toMatch(/\nfw1 +True +Synced +v\d/);
    expect(seeIt).toMatch(/LEADER\n\S+ \(lease fortisync-system\/fortisync-leader, renewed \d+s ago\)/);
  }, 300_000);
});
