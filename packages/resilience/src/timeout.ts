import { assertNumber, ResilienceError } from './errors.js';
import type { Policy, PolicyContext } from './policy.js';

/**
 * Bounds an operation's duration. The operation receives a signal that aborts when the time is up (or the
 * caller aborts); the caller is rejected at that moment with `TIMEOUT` (or `ABORTED`), without waiting for
 * an operation that ignores its signal. Nothing is left behind: the timer and listeners are removed in
 * every outcome.
 *
 * @example
 * await timeout(5_000).execute(({ signal }) => fetch(url, { signal }));
 */
export function timeout(timeoutMs: number): Policy {
  assertNumber('timeoutMs', timeoutMs, 1);
  return {
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) {
        return Promise.reject(
          new ResilienceError('ABORTED', 'Aborted before it started', { cause: signal.reason }),
        );
      }
      const controller = new AbortController();
      return new Promise<T>((resolve, reject) => {
        let settled = false;
        const finish = (): boolean => {
          if (settled) return false;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onParentAbort);
          return true;
        };
        const onParentAbort = (): void => {
          if (!finish()) return;
          const error = new ResilienceError('ABORTED', 'Aborted by the caller', { cause: signal?.reason });
          controller.abort(error);
          reject(error);
        };
        const timer = setTimeout(() => {
          if (!finish()) return;
          const error = new ResilienceError('TIMEOUT', `Timed out after ${timeoutMs} ms`, {
            data: { timeoutMs },
          });
          controller.abort(error);
          reject(error);
        }, timeoutMs);
        timer.unref?.();
        signal?.addEventListener('abort', onParentAbort, { once: true });
        Promise.resolve()
          .then(() => operation({ signal: controller.signal, attempt: 1 }))
          .then(
            (value) => {
              if (finish()) resolve(value);
            },
            (error: unknown) => {
              if (finish()) reject(error);
            },
          );
      });
    },
  };
}
