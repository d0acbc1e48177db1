export { FortiManagerClient } from './client.js';
export type { FortiManagerClientOptions, WaitOptions } from './client.js';
export { FortiManagerError, isFortiManagerError, isRetryable, kindOfCode, CODE_KINDS } from './errors.js';
export type { FortiManagerErrorKind, LockHolder } from './errors.js';
export type { FmgAuth, RetryOptions, RpcEvent, TimeoutOptions } from './transport.js';
export { escapeName } from './urls.js';
export type * from './types.js';
export { requestKind, type RequestKind } from './request-kind.js';
export { Mutex } from './mutex.js';
