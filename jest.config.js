// Jest runs in ESM mode (ts-jest `useESM`, Node's --experimental-vm-modules: Jest 30's ESM support
// still needs it on Node 24) because got, p-retry and client-node 2.x are ESM-only.
// Five projects: pure unit tests; FortiOS and FortiManager client/simulator tests over loopback
// HTTP(S); operations artifacts checked with the tools hack/tools builds (kstatus, Argo CD's Lua,
// helm) and promtool; and tests against the real control plane, which one global setup starts once per run.
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true }] };
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  testEnvironment: 'node',
};

export default {
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'fortios', testMatch: ['<rootDir>/test/fortios/**/*.test.ts'] },
    { ...common, displayName: 'fortimanager', testMatch: ['<rootDir>/test/fortimanager/**/*.test.ts'] },
    { ...common, displayName: 'ops', testMatch: ['<rootDir>/test/ops/**/*.test.ts'] },
    {
      ...common,
      displayName: 'k8s',
      testMatch: ['<rootDir>/test/k8s/**/*.test.ts'],
      globalSetup: '<rootDir>/test/k8s/global-setup.mjs',
      globalTeardown: '<rootDir>/test/k8s/global-teardown.mjs',
    },
  ],
};
