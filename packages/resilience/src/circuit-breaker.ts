import { type Disposable, Listeners } from '@mimo-mcp/core';
import { assertNumber, ResilienceError } from './errors.js';
import { neverAbortedSignal, type Policy, type PolicyContext } from './policy.js';

/** Opens after `threshold` failures in a row; any success resets the count. */
export interface ConsecutiveBreakerOptions {
  kind: 'consecutive';
  threshold: number;
}

/**
 * Opens when, over the last `durationMs`, at least `minimumThroughput` calls were made and the share of
 * failures reached `threshold` (0..1). The window slides in tenths of `durationMs`.
 */
export interface SamplingBreakerOptions {
  kind: 'sampling';
  threshold: number;
  durationMs: number;
  minimumThroughput: number;
}

/** Opens after `threshold` consecutive failures. */
export function consecutiveBreaker(threshold: number): ConsecutiveBreakerOptions {
  return { kind: 'consecutive', threshold };
}

/** Opens when the failure rate over a sliding window reaches `threshold`, given enough calls. */
export function samplingBreaker(options: Omit<SamplingBreakerOptions, 'kind'>): SamplingBreakerOptions {
  return { kind: 'sampling', ...options };
}

export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface CircuitBreakerOptions {
  /** Name shown in snapshots and events. @default 'breaker' */
  name?: string;
  /** When to open. @default consecutiveBreaker(5) */
  breaker?: ConsecutiveBreakerOptions | SamplingBreakerOptions;
  /** How long the breaker stays open before letting one trial call through. @default 30_000 */
  halfOpenAfterMs?: number;
  /**
   * Which errors count as failures. Errors it rejects pass through without counting (and, for the trial
   * call in half-open, show the downstream is answering, so the breaker closes). @default every error
   */
  shouldCount?: (error: unknown) => boolean;
}

/** A point-in-time view of a breaker, safe to show to callers (and agents). */
export interface CircuitBreakerSnapshot {
  name: string;
  state: CircuitState;
  /** Consecutive failures (consecutive breaker) or failures in the window (sampling breaker). */
  failures: number;
  /** Calls in the current window (sampling breaker), or since the last failure streak began. */
  calls: number;
  /** Milliseconds until a trial call is allowed: > 0 only while open. */
  retryAfterMs: number;
  /** When the breaker last opened (epoch ms), if it ever did. */
  openedAt: number | undefined;
  /** The last counted failure, if any. */
  lastFailure: { message: string; at: number } | undefined;
}

export interface CircuitBreakerEvents extends Record<string, unknown> {
  /** Every transition, exactly once. */
  'state-change': { name: string; from: CircuitState; to: CircuitState; error?: unknown };
  /** A call was refused without running the operation. */
  'call-rejected': { name: string; state: CircuitState; retryAfterMs: number };
  'call-success': { name: string; durationMs: number };
  'call-failure': { name: string; durationMs: number; error: unknown };
}

export interface CircuitBreakerPolicy extends Policy {
  readonly name: string;
  readonly state: CircuitState;
  snapshot(): CircuitBreakerSnapshot;
  /** Holds the breaker open (`isolated`) until the returned handle is disposed, then closes it. */
  isolate(): Disposable;
  /** Closes the breaker and forgets its history. */
  reset(): void;
  on<E extends keyof CircuitBreakerEvents>(
    event: E,
    listener: (payload: CircuitBreakerEvents[E]) => void,
  ): Disposable;
}

interface Bucket {
  start: number;
  successes: number;
  failures: number;
}

/**
 * A circuit breaker: closed (calls flow and outcomes are counted) → open after the failure threshold
 * (calls fail fast with `BREAKER_OPEN` and `data.retryAfterMs`, the operation is never invoked) →
 * half-open after `halfOpenAfterMs` (exactly one trial call runs, every concurrent caller is rejected
 * fast) → closed if the trial succeeds, open again if it fails. Every transition emits `state-change`.
 *
 * @example
 * const breaker = circuitBreaker({ name: 'ollama', breaker: consecutiveBreaker(3), halfOpenAfterMs: 10_000 });
 * const vector = await breaker.execute(({ signal }) => embed(text, { signal }));
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreakerPolicy {
  const name = options.name ?? 'breaker';
  const strategy = options.breaker ?? consecutiveBreaker(5);
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 30_000;
  const shouldCount = options.shouldCount ?? (() => true);
  assertNumber('halfOpenAfterMs', halfOpenAfterMs, 0);
  if (strategy.kind === 'consecutive') {
    assertNumber('breaker.threshold', strategy.threshold, 1, true);
  } else {
    if (!(strategy.threshold > 0 && strategy.threshold <= 1)) {
      throw new ResilienceError(
        'INVALID_ARGUMENT',
        `breaker.threshold must be in (0, 1], got ${strategy.threshold}`,
      );
    }
    assertNumber('breaker.durationMs', strategy.durationMs, 1);
    assertNumber('breaker.minimumThroughput', strategy.minimumThroughput, 1, true);
  }

  const events = new Listeners<CircuitBreakerEvents>();
  let state: CircuitState = 'closed';
  let openedAt: number | undefined;
  let consecutiveFailures = 0;
  let streakCalls = 0;
  let buckets: Bucket[] = [];
  let lastFailure: { message: string; at: number } | undefined;
  let trialRunning = false;
  let isolations = 0;

  const bucketMs = strategy.kind === 'sampling' ? Math.max(1, strategy.durationMs / 10) : 0;

  const windowTotals = (now: number): { successes: number; failures: number } => {
    if (strategy.kind !== 'sampling') return { successes: 0, failures: 0 };
    buckets = buckets.filter((bucket) => bucket.start > now - strategy.durationMs);
    let successes = 0;
    let failures = 0;
    for (const bucket of buckets) {
      successes += bucket.successes;
      failures += bucket.failures;
    }
    return { successes, failures };
  };

  const record = (now: number, failed: boolean): void => {
    if (strategy.kind === 'consecutive') {
      consecutiveFailures = failed ? consecutiveFailures + 1 : 0;
      streakCalls = failed ? streakCalls + 1 : 0;
      return;
    }
    let bucket = buckets.at(-1);
    if (!bucket || now - bucket.start >= bucketMs) {
      bucket = { start: now, successes: 0, failures: 0 };
      buckets.push(bucket);
    }
    if (failed) bucket.failures++;
    else bucket.successes++;
  };

  const thresholdReached = (now: number): boolean => {
    if (strategy.kind === 'consecutive') return consecutiveFailures >= strategy.threshold;
    const { successes, failures } = windowTotals(now);
    const total = successes + failures;
    return total >= strategy.minimumThroughput && failures / total >= strategy.threshold;
  };

  const transition = (to: CircuitState, error?: unknown): void => {
    if (state === to) return;
    const from = state;
    state = to;
    if (to === 'open' || to === 'isolated') openedAt = Date.now();
    if (to === 'closed') {
      consecutiveFailures = 0;
      streakCalls = 0;
      buckets = [];
    }
    events.emit('state-change', error === undefined ? { name, from, to } : { name, from, to, error });
  };

  const retryAfterMs = (now: number): number => {
    if (state !== 'open' || openedAt === undefined) return 0;
    return Math.max(0, openedAt + halfOpenAfterMs - now);
  };

  const reject = (now: number): never => {
    const wait = retryAfterMs(now);
    events.emit('call-rejected', { name, state, retryAfterMs: wait });
    const reason =
      state === 'isolated'
        ? 'is isolated'
        : state === 'half-open'
          ? 'is half-open and its one trial call is running'
          : `is open; retry in ${wait} ms`;
    throw new ResilienceError('BREAKER_OPEN', `Circuit breaker "${name}" ${reason}`, {
      data: { name, state, retryAfterMs: wait },
    });
  };

  const policy: CircuitBreakerPolicy = {
    name,
    get state() {
      // Reported lazily: an open breaker whose wait is over shows as half-open (the next call is a trial).
      if (state === 'open' && retryAfterMs(Date.now()) === 0) return 'half-open';
      return state;
    },
    async execute<T>(
      operation: (context: PolicyContext) => Promise<T> | T,
      signal?: AbortSignal,
    ): Promise<T> {
      const now = Date.now();
      if (signal?.aborted) {
        throw new ResilienceError('ABORTED', `Call through "${name}" aborted before it started`, {
          cause: signal.reason,
        });
      }
      let isTrial = false;
      if (state === 'isolated') reject(now);
      if (state === 'open') {
        if (retryAfterMs(now) > 0) reject(now);
        transition('half-open');
      }
      if (state === 'half-open') {
        if (trialRunning) reject(now);
        trialRunning = true;
        isTrial = true;
      }
      const started = Date.now();
      try {
        const result = await operation({ signal: signal ?? neverAbortedSignal, attempt: 1 });
        const end = Date.now();
        events.emit('call-success', { name, durationMs: end - started });
        if (isTrial) {
          if (state === 'half-open') transition('closed');
        } else if (state === 'closed') {
          record(end, false);
        }
        return result;
      } catch (error) {
        const end = Date.now();
        const counted = shouldCount(error);
        events.emit('call-failure', { name, durationMs: end - started, error });
        if (counted) {
          lastFailure = { message: error instanceof Error ? error.message : String(error), at: end };
        }
        if (isTrial) {
          if (state === 'half-open') transition(counted ? 'open' : 'closed', counted ? error : undefined);
        } else if (state === 'closed' && counted) {
          record(end, true);
          if (thresholdReached(end)) transition('open', error);
        }
        throw error;
      } finally {
        if (isTrial) trialRunning = false;
      }
    },
    snapshot() {
      const now = Date.now();
      const totals = windowTotals(now);
      return {
        name,
        state: policy.state,
        failures: strategy.kind === 'consecutive' ? consecutiveFailures : totals.failures,
        calls: strategy.kind === 'consecutive' ? streakCalls : totals.successes + totals.failures,
        retryAfterMs: retryAfterMs(now),
        openedAt,
        lastFailure,
      };
    },
    isolate() {
      isolations++;
      transition('isolated');
      let disposed = false;
      const dispose = (): void => {
        if (disposed) return;
        disposed = true;
        isolations--;
        if (isolations === 0) transition('closed');
      };
      return { dispose, [Symbol.dispose]: dispose };
    },
    reset() {
      isolations = 0;
      lastFailure = undefined;
      transition('closed');
      consecutiveFailures = 0;
      streakCalls = 0;
      buckets = [];
    },
    on: (event, listener) => events.on(event, listener),
  };
  return policy;
}
