export { FortiGateClient } from './client.js';
export type {
  FortiGateClientOptions,
  GetOptions,
  ListOptions,
  RequestEvent,
  RetryOptions,
  TimeoutOptions,
} from './client.js';
export { FortiOSError, isFortiOSError, isRetryable, isIdempotent, classifyHttpFailure } from './errors.js';
export type { FortiOSErrorKind, HttpMethod } from './errors.js';
export { buildFilterParams, escapeFilterValue, formatFilterExpr, parseFilterClause } from './filter.js';
export type { FilterExpr, FilterOp } from './filter.js';
export { toDottedSubnet, parseIPv4Subnet, parseIPv6Prefix, prefixToMask, maskToPrefix } from './subnet.js';
export { parseFortiOSVersion, versionAtLeast } from './version.js';
export * from './types.js';
