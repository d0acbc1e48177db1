export default async function globalTeardown() {
  const cp = globalThis.__FORTISYNC_CONTROL_PLANE__;
  globalThis.__FORTISYNC_CONTROL_PLANE__ = undefined;
  await cp?.stop();
}
