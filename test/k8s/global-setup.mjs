// Jest loads global setup with Node's own resolver (no ts-jest path mapping), so it runs the
// compiled helpers from dist/ (`npm run build`, which `make test` does first).
import { existsSync } from 'node:fs';

const helper = new URL('../../dist/test/support/control-plane.js', import.meta.url);

/** One real control plane per test run; test files isolate themselves by namespace. */
export default async function globalSetup() {
  if (!existsSync(helper)) {
    throw new Error(
      'dist/test/support is missing: run `npm run build` (make test does) before the k8s tests',
    );
  }
  const { startControlPlane } = await import(helper.href);
  const { installCrds } = await import(new URL('../../dist/test/support/crds.js', import.meta.url).href);
  const started = Date.now();
  const cp = await startControlPlane();
  globalThis.__FORTISYNC_CONTROL_PLANE__ = cp;
  process.env.FORTISYNC_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.FORTISYNC_TEST_KUBECTL = cp.kubectlPath();
  process.env.FORTISYNC_TEST_CONTROL_PLANE_DIR = cp.dir;
  process.env.FORTISYNC_TEST_SERVER = cp.server;
  try {
    await installCrds(cp.kubeConfig());
  } catch (err) {
    await cp.stop();
    throw err;
  }
  console.log(
    `\ncontrol plane ready at ${cp.server} in ${Date.now() - started} ms (kubeconfig ${cp.kubeconfigPath})`,
  );
}
