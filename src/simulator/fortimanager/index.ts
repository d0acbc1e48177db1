export { startFortiManagerSimulator } from './server.js';
export type {
  AdomApi,
  FmgFaultAction,
  FmgFaultRule,
  FmgFaults,
  FortiManagerSimulatorHandle,
  FortiManagerSimulatorOptions,
  ManagedDeviceSpec,
} from './types.js';
export type { AdminSpec, RpcPermit } from './sessions.js';
export type { GlobalWorkspaceMode, WorkspaceMode } from './adoms.js';
export type { ObjTable } from './objects.js';
export { FMG as FMG_STATUS } from './codes.js';
export { FMG_CONTROL_PREFIX } from './control.js';
