// The generic controller machinery in one import. It knows nothing of FortiGate.
export { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
export { FakeClock, flushAsync } from './fake-clock.js';
export { TerminalError, isTerminalError, errorMessage } from './errors.js';
export {
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  type RateLimiter,
} from './rate-limiter.js';
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
export {
  runtimeMetrics,
  RuntimeMetrics,
  type ControllerMetrics,
  type InformerMetrics,
  type LeaderMetrics,
  type WorkQueueMetrics,
} from './metrics.js';
export {
  Controller,
  type ControllerOptions,
  type ReconcileContext,
  type Reconciler,
  type ReconcileResult,
} from './controller.js';
export { namespaceIndex, objectKey, splitKey, Store, type IndexFn } from './store.js';
export {
  Informer,
  isGone,
  waitForCacheSync,
  type DeleteInfo,
  type EventHandlers,
  type InformerOptions,
  type ListFn,
  type ListResult,
  type WatchLike,
} from './informer.js';
export {
  customResourceInformer,
  listAllPages,
  namespaceInformer,
  nodeInformer,
  podInformer,
  podNodeNameIndex,
  secretInformer,
  type GroupVersionResource,
  type KindInformerOptions,
} from './informer-factory.js';
export {
  defaultIdentity,
  LeaderElector,
  type LeaderCallbacks,
  type LeaderElectionOptions,
} from './leader-election.js';
export {
  kubeLeaseStore,
  LeaseConflictError,
  type LeaderElectionRecord,
  type LeaseStore,
  type VersionedRecord,
} from './lease-store.js';
export { EventLoopMonitor, HealthServer, type HealthCheck, type HealthServerOptions } from './health.js';
export { MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export * from './status.js';
