import { assertNumber, ResilienceError } from './errors.js';
import { neverAbortedSignal, type Policy, type PolicyContext } from './policy.js';

export interface BulkheadOptions {
  /** Operations allowed to run at once. */
  maxConcurrent: number;
  /** Callers allowed to wait for a slot; beyond it calls are rejected with `BULKHEAD_FULL`. @default 0 */
  maxQueued?: number;
}

export interface BulkheadStats {
  active: number;
  queued: number;
  maxConcurrent: number;
  maxQueued: number;
}

export interface BulkheadPolicy extends Policy {
  stats(): BulkheadStats;
}

interface Waiter {
  grant: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * Limits concurrency: at most `maxConcurrent` operations run, at most `maxQueued` callers wait (FIFO), the
 * rest are rejected with `BULKHEAD_FULL` at once. A slot is held until the operation itself settles, even
 * if an outer timeout already answered the caller, so the real concurrency never exceeds the limit. A
 * queued caller whose signal aborts leaves the queue with `ABORTED`.
 *
 * @example
 * const perSkill = bulkhead({ maxConcurrent: 8, maxQueued: 32 });
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  const maxConcurrent = options.maxConcurrent;
  const maxQueued = options.maxQueued ?? 0;
  assertNumber('maxConcurrent', maxConcurrent, 1, true);
  assertNumber('maxQueued', maxQueued, 0, true);
  let active = 0;
  const queue: Waiter[] = [];

  const release = (): void => {
    active--;
    const next = queue.shift();
    if (next) {
      next.signal?.removeEventListener('abort', next.onAbort);
      active++;
      next.grant();
    }
  };

  const acquire = (signal: AbortSignal | undefined): Promise<void> => {
    if (signal?.aborted) {
      return Promise.reject(
        new ResilienceError('ABORTED', 'Aborted before it started', { cause: signal.reason }),
      );
    }
    if (active < maxConcurrent) {
      active++;
      return Promise.resolve();
    }
    if (queue.length >= maxQueued) {
      return Promise.reject(
        new ResilienceError(
          'BULKHEAD_FULL',
          `Bulkhead full: ${active} running (limit ${maxConcurrent}) and ${queue.length} queued (limit ${maxQueued})`,
          { data: { maxConcurrent, maxQueued } },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        signal,
        onAbort: () => {
          const index = queue.indexOf(waiter);
          if (index !== -1) queue.splice(index, 1);
          reject(
            new ResilienceError('ABORTED', 'Aborted while waiting for a bulkhead slot', {
              cause: signal?.reason,
            }),
          );
        },
      };
      queue.push(waiter);
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
    });
  };

  return {
    async execute<T>(
      operation: (context: PolicyContext) => Promise<T> | T,
      signal?: AbortSignal,
    ): Promise<T> {
      await acquire(signal);
      try {
        return await operation({ signal: signal ?? neverAbortedSignal, attempt: 1 });
      } finally {
        release();
      }
    },
    stats: () => ({ active, queued: queue.length, maxConcurrent, maxQueued }),
  };
}
