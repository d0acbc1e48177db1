import { startControlPlane, type ControlPlane } from '../support/control-plane.js';
import { installCrds } from '../support/crds.js';

declare global {
  var __FORTISYNC_CONTROL_PLANE__: ControlPlane | undefined;
}

/** One real control plane per test run; test files isolate themselves by namespace. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const cp = await startControlPlane();
  globalThis.__FORTISYNC_CONTROL_PLANE__ = cp;
  process.env.FORTISYNC_TEST_KUBECONFIG = cp.kubeconfigPath;
  process.env.FORTISYNC_TEST_KUBECTL = cp.kubectlPath();
  process.env.FORTISYNC_TEST_CONTROL_PLANE_DIR = cp.dir;
  await installCrds(cp.kubeConfig());
  console.log(`\ncontrol plane ready at ${cp.server} in ${Date.now() - started} ms (kubeconfig ${cp.kubeconfigPath})`);
}
