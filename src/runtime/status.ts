// Generic status, finalizer and event helpers, re-exported from one place for reconcilers.
export {
  conditionsEqual,
  findCondition,
  formatTime,
  isConditionTrue,
  removeCondition,
  setCondition,
  type Condition,
  type ConditionUpdate,
} from './conditions.js';
export {
  addFinalizerPatch,
  applyJsonPatch,
  ensureFinalizer,
  hasFinalizer,
  removeFinalizer,
  removeFinalizerPatch,
  type CustomObjectRef,
  type JsonPatchOp,
} from './finalizers.js';
export { StatusPatcher, type GroupVersionPlural } from './status-patcher.js';
export {
  EventRecorder,
  type EventRecorderOptions,
  type EventRegarding,
  type EventType,
} from './event-recorder.js';
export { createMergePatch, jsonEqual, toJson, type JsonValue } from './json.js';
