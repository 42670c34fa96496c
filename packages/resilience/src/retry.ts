import { type Disposable, Listeners } from '@mimo-mcp/core';
import { assertNumber, ResilienceError } from './errors.js';
import { neverAbortedSignal, type Policy, type PolicyContext } from './policy.js';

export interface RetryOptions {
  /** Total attempts, the first one included. @default 3 */
  maxAttempts?: number;
  /** Cap of the exponential backoff before jitter, for attempt 2. @default 100 */
  initialDelayMs?: number;
  /** Upper bound of any single wait (backoff or retry-after hint). @default 10_000 */
  maxDelayMs?: number;
  /**
   * Whether a failure may be retried. Called with the error and the attempt that failed (1-based).
   * @default every error except this package's own `ABORTED` and `INVALID_ARGUMENT`
   */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * A server-provided wait, e.g. from an HTTP `Retry-After` header. When it returns a number the next
   * attempt waits at least that long; if that exceeds `maxDelayMs` the policy gives up instead of waiting.
   * @default reads a numeric `retryAfterMs` property of the error, or of its `data`
   */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Random source in [0, 1), for jitter. @default Math.random */
  random?: () => number;
}

export interface RetryEvents extends Record<string, unknown> {
  /** A failed attempt will be retried after `delayMs`. */
  'retry-scheduled': { attempt: number; delayMs: number; error: unknown };
  /** The policy stopped retrying and rethrew `error`. */
  'retry-exhausted': { attempts: number; error: unknown };
}

export interface RetryPolicy extends Policy {
  on<E extends keyof RetryEvents>(event: E, listener: (payload: RetryEvents[E]) => void): Disposable;
}

function defaultRetryAfter(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const direct = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof direct === 'number') return direct;
  const data = (error as { data?: { retryAfterMs?: unknown } }).data;
  return typeof data?.retryAfterMs === 'number' ? data.retryAfterMs : undefined;
}

/**
 * The delay before attempt `attempt + 1` under exponential backoff with full jitter (AWS architecture
 * blog, "Exponential Backoff and Jitter"): uniform in [0, min(maxDelayMs, initialDelayMs · 2^(attempt-1))).
 */
export function fullJitterDelay(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Waits `ms`, or rejects with `ABORTED` as soon as `signal` aborts. Leaves no timer or listener behind. The
 * timer keeps the process alive while it runs.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ResilienceError('ABORTED', 'Wait aborted', { cause: signal.reason }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ResilienceError('ABORTED', 'Wait aborted', { cause: signal?.reason }));
    };
    // Not unref'd: someone awaits this wait. With nothing else pending (a CLI whose only work is this call),
    // an unref'd timer let Node exit in the middle of a retry, printing nothing (`mimo doctor`).
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Retries a failing operation with exponential backoff and full jitter, up to `maxAttempts`. Only errors
 * `shouldRetry` accepts are retried; a retry-after hint from the error is honoured; an abort stops at once
 * (during a wait, with `ABORTED`). When it gives up, the last error is rethrown unchanged.
 *
 * @example
 * const withRetry = retry({ maxAttempts: 4, shouldRetry: (e) => isTransient(e) });
 * await withRetry.execute(({ signal }) => fetch(url, { signal }));
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  const maxAttempts = options.maxAttempts ?? 3;
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  assertNumber('maxAttempts', maxAttempts, 1, true);
  assertNumber('initialDelayMs', initialDelayMs, 0);
  assertNumber('maxDelayMs', maxDelayMs, 0);
  const shouldRetry =
    options.shouldRetry ??
    ((error: unknown) =>
      !(
        ResilienceError.isInstance(error) &&
        (error.code === 'ABORTED' || error.code === 'INVALID_ARGUMENT')
      ));
  const retryAfter = options.retryAfterMs ?? defaultRetryAfter;
  const random = options.random ?? Math.random;
  const events = new Listeners<RetryEvents>();

  return {
    async execute<T>(
      operation: (context: PolicyContext) => Promise<T> | T,
      signal?: AbortSignal,
    ): Promise<T> {
      const activeSignal = signal ?? neverAbortedSignal;
      for (let attempt = 1; ; attempt++) {
        if (activeSignal.aborted) {
          throw new ResilienceError('ABORTED', `Aborted before attempt ${attempt}`, {
            cause: activeSignal.reason,
          });
        }
        try {
          return await operation({ signal: activeSignal, attempt });
        } catch (error) {
          if (activeSignal.aborted || attempt >= maxAttempts || !shouldRetry(error, attempt)) {
            events.emit('retry-exhausted', { attempts: attempt, error });
            throw error;
          }
          const hint = retryAfter(error);
          let delayMs = fullJitterDelay(attempt, initialDelayMs, maxDelayMs, random);
          if (hint !== undefined && Number.isFinite(hint) && hint > 0) {
            if (hint > maxDelayMs) {
              events.emit('retry-exhausted', { attempts: attempt, error });
              throw error;
            }
            delayMs = Math.max(delayMs, Math.ceil(hint));
          }
          events.emit('retry-scheduled', { attempt, delayMs, error });
          await sleep(delayMs, activeSignal);
        }
      }
    },
    on: (event, listener) => events.on(event, listener),
  };
}
