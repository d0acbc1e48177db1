import { describe, expect, it } from '@jest/globals';
import { deviceSpecSchema } from '../../../src/api/v1alpha1/fortigate-device.js';
import { fortiManagerTargetSpecSchema } from '../../../src/api/v1alpha1/fortimanager-target.js';
import { checkFortiManagerTargetSpec } from '../../../src/api/v1alpha1/validation.js';

const target = {
  url: 'https://fmg.example.net',
  credentialsSecretRef: { name: 'fmg-key', namespace: 'fortisync-system' },
  clusterName: 'prod',
};

describe('FortiManagerTarget spec (same schema as the CRD)', () => {
  it('accepts a minimal target and applies the defaults', () => {
    const r = checkFortiManagerTargetSpec(target);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.spec).toMatchObject({
        adom: 'root',
        auth: 'APIKey',
        maxConcurrentRequests: 4,
        deletionPolicy: 'Delete',
      });
    }
  });

  it('shares grants, limits and TLS with FortiGateDevice: the very same schema objects', () => {
    for (const field of ['tls', 'clusterName', 'access', 'limits', 'deletionPolicy', 'dryRun', 'suspend']) {
      expect(fortiManagerTargetSpecSchema.properties?.[field]).toBe(deviceSpecSchema.properties?.[field]);
    }
  });

  it('install policy Packages needs a package; scope VDOMs default to root', () => {
    const none = checkFortiManagerTargetSpec({ ...target, install: { policy: 'Packages' } });
    expect(none).toEqual({
      ok: false,
      problems: [{ path: 'spec.install', message: 'policy Packages needs at least one package' }],
    });
    const ok = checkFortiManagerTargetSpec({
      ...target,
      install: { policy: 'Packages', packages: [{ name: 'dmz', scope: [{ device: 'fgt-dmz' }] }] },
    });
    expect(ok.ok && ok.spec.install).toEqual({
      policy: 'Packages',
      packages: [{ name: 'dmz', scope: [{ device: 'fgt-dmz', vdom: 'root' }] }],
      coalesceSeconds: 30,
      timeoutSeconds: 900,
    });
  });

  it.each([
    [{ auth: 'Token' }, 'spec.auth'],
    [{ url: 'https://fmg.example.net/jsonrpc' }, 'spec.url'],
    [{ adom: 'a/b' }, 'spec.adom'],
    [{ install: { coalesceSeconds: 1 } }, 'spec.install.coalesceSeconds'],
    [{ tls: { insecureSkipVerify: true, caBundle: 'x' } }, 'spec.tls'],
  ])('refuses %j', (patch, path) => {
    const r = checkFortiManagerTargetSpec({ ...target, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain(path);
  });
});
