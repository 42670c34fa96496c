export type { Disposable } from '@mimo-mcp/core';
export { type BulkheadOptions, type BulkheadPolicy, type BulkheadStats, bulkhead } from './bulkhead.js';
export {
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type CircuitBreakerSnapshot,
  type CircuitState,
  type ConsecutiveBreakerOptions,
  circuitBreaker,
  consecutiveBreaker,
  type SamplingBreakerOptions,
  samplingBreaker,
} from './circuit-breaker.js';
export { ResilienceError, type ResilienceErrorCode } from './errors.js';
export { type FallbackOptions, fallback } from './fallback.js';
export type { Policy, PolicyContext } from './policy.js';
export { type BreakerRegistry, createBreakerRegistry } from './registry.js';
export {
  fullJitterDelay,
  type RetryEvents,
  type RetryOptions,
  type RetryPolicy,
  retry,
  sleep,
} from './retry.js';
export { timeout } from './timeout.js';
export { wrap } from './wrap.js';
