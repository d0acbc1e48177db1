import { describe, expect, it } from '@jest/globals';
import { runDemo } from '../../support/demo-run.js';

/** The text of one demo step, from its title to the next step's. */
function section(out: string, from: string, to?: string): string {
  const start = out.indexOf(from);
  expect(start).toBeGreaterThanOrEqual(0);
  return out.slice(start, to ? out.indexOf(to) : undefined);
}

// `make demo FMG=1`: the storefront story through FortiManager down to the FortiGate it manages.
describe('make demo FMG=1', () => {
  it('installs each change through FortiManager to the managed FortiGate and leaves nothing behind', async () => {
    const started = Date.now();
    const { code, out } = await runDemo(['--fortimanager']);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(90_000);

    expect(out).toContain('the FMG admin installed dmz-pkg to fgt-dmz: task 1 done');
    expect(out).toMatch(
      /\$ kubectl get fortimanagertargets\nNAME +READY +REASON +URL +ADOM +WORKSPACE +INSTALL +AGE\nfmg-dmz +True +Synced +https:\/\/127\.0\.0\.1:\d+ +root +normal +Packages /,
    );
    const fortigate = 'FortiGate fgt-dmz side (installed by FortiManager)';
    const one = section(out, '1. One frontend replica', '2. Scale to two');
    expect(section(one, fortigate)).toContain('address group K8S-DMZ: k8s-prod-node-worker-1\n');
    expect(one).toMatch(
      /install task \d+ "Install Package\(dmz-pkg\)" by fortisync-prod: 100 %, fgt-dmz\/root done/,
    );

    const two = section(out, '2. Scale to two', '3. Scale to zero');
    // The ADOM holds both, the install that brought them is in the target's status, and the FortiGate has them.
    expect(section(two, 'FortiManager side', fortigate)).toContain(
      'address group K8S-DMZ: k8s-prod-node-worker-1, k8s-prod-node-worker-2\n',
    );
    expect(two).toContain('workspace lock: free');
    expect(two).toMatch(/\ninstall dmz-pkg: task \d+ done \(\S+ → \S+\); fgt-dmz\/root done\n/);
    expect(two).toMatch(/\nInstalled=True Installed: installed: dmz-pkg/);
    const onFortiGate = section(two, fortigate);
    expect(onFortiGate).toContain('address group K8S-DMZ: k8s-prod-node-worker-1, k8s-prod-node-worker-2\n');
    expect(onFortiGate).toMatch(/address k8s-prod-node-worker-2 +192\.0\.2\.12 255\.255\.255\.255/);
    expect(onFortiGate).toContain('policy 10 "dmz-to-entra": K8S-DMZ → login.microsoft.com accept');
    expect(out).toMatch(
      /from "kubectl scale" to the FortiGate group holding worker-2: \d+ ms \(.*install of dmz-pkg/,
    );

    const zero = section(out, '3. Scale to zero', '4. Delete the mapping');
    expect(section(zero, fortigate)).toContain('address group K8S-DMZ: none\n');
    expect(section(zero, fortigate)).toContain('address objects by fortisync: (none)');

    const deleted = section(out, '4. Delete the mapping');
    expect(section(deleted, fortigate)).toContain('address group K8S-DMZ: none\n');
    expect(out).toContain('objects left by fortisync: 0');
    // Every install fortisync started ended done; none failed.
    expect(out).not.toMatch(/InstallFailed|fgt-dmz\/root error/);
  }, 150_000);
});
