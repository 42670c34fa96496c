import { type Disposable, Listeners } from '@mimo-mcp/core';
import {
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type CircuitBreakerSnapshot,
  circuitBreaker,
} from './circuit-breaker.js';

export interface BreakerRegistry {
  /** The breaker named `name`, created with `options` (or the registry defaults) on first use. */
  get(name: string, options?: Omit<CircuitBreakerOptions, 'name'>): CircuitBreakerPolicy;
  /** Whether a breaker of that name exists. */
  has(name: string): boolean;
  /** Removes a breaker (e.g. when its skill is removed). */
  delete(name: string): boolean;
  /** Snapshots of every breaker, sorted by name. */
  list(): CircuitBreakerSnapshot[];
  /** Transitions of any breaker in the registry. */
  on(event: 'state-change', listener: (payload: CircuitBreakerEvents['state-change']) => void): Disposable;
}

/**
 * A registry of named circuit breakers, so that every part of a process shares one breaker per
 * downstream and their states can be listed (e.g. for a status tool or metrics).
 *
 * @example
 * const breakers = createBreakerRegistry({ halfOpenAfterMs: 10_000 });
 * await breakers.get('skill:github').execute(call);
 * breakers.list(); // [{ name: 'skill:github', state: 'closed', ... }]
 */
export function createBreakerRegistry(defaults: Omit<CircuitBreakerOptions, 'name'> = {}): BreakerRegistry {
  const breakers = new Map<string, { policy: CircuitBreakerPolicy; subscription: Disposable }>();
  const events = new Listeners<Pick<CircuitBreakerEvents, 'state-change'>>();
  return {
    get(name, options) {
      const existing = breakers.get(name);
      if (existing) return existing.policy;
      const policy = circuitBreaker({ ...defaults, ...options, name });
      const subscription = policy.on('state-change', (payload) => events.emit('state-change', payload));
      breakers.set(name, { policy, subscription });
      return policy;
    },
    has: (name) => breakers.has(name),
    delete(name) {
      const entry = breakers.get(name);
      entry?.subscription.dispose();
      return breakers.delete(name);
    },
    list: () =>
      [...breakers.values()]
        .map((entry) => entry.policy.snapshot())
        .sort((a, b) => a.name.localeCompare(b.name)),
    on: (event, listener) => events.on(event, listener),
  };
}
