import type { Policy, PolicyContext } from './policy.js';

/**
 * Composes policies, outermost first: `wrap(retry, breaker, timeout, bulkhead)` retries calls that go
 * through the breaker, each attempt bounded by the timeout, each holding a bulkhead slot. The innermost
 * operation receives the signal of the innermost policy (aborted by any outer timeout or abort) and the
 * attempt number set by `retry`.
 *
 * @example
 * const policy = wrap(retry({ maxAttempts: 3 }), circuitBreaker(), timeout(10_000), bulkhead({ maxConcurrent: 4 }));
 * await policy.execute(({ signal }) => callSkill(signal));
 */
export function wrap(...policies: Policy[]): Policy {
  return {
    execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal?: AbortSignal): Promise<T> {
      const run = (
        index: number,
        outer: PolicyContext | undefined,
        currentSignal: AbortSignal | undefined,
      ): Promise<T> => {
        const policy = policies[index];
        if (!policy) {
          return Promise.resolve().then(() =>
            operation({
              signal: currentSignal ?? new AbortController().signal,
              attempt: outer?.attempt ?? 1,
            }),
          );
        }
        return policy.execute(
          (context) =>
            run(
              index + 1,
              {
                signal: context.signal,
                attempt: context.attempt > 1 ? context.attempt : (outer?.attempt ?? 1),
              },
              context.signal,
            ),
          currentSignal,
        );
      };
      return run(0, undefined, signal);
    },
  };
}
