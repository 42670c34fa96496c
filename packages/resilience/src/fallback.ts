import type { Policy, PolicyContext } from './policy.js';

export interface FallbackOptions {
  /** Which errors are replaced by the fallback; others are rethrown. @default every error */
  shouldHandle?: (error: unknown) => boolean;
}

/**
 * Replaces a failure by a fallback value (or the result of a function of the error).
 *
 * @example
 * const cached = fallback((error) => lastKnownGood);
 */
export function fallback<F>(
  value: F | ((error: unknown) => F | Promise<F>),
  options: FallbackOptions = {},
): Policy {
  const shouldHandle = options.shouldHandle ?? (() => true);
  return {
    async execute<T>(
      operation: (context: PolicyContext) => Promise<T> | T,
      signal?: AbortSignal,
    ): Promise<T> {
      try {
        return await operation({ signal: signal ?? new AbortController().signal, attempt: 1 });
      } catch (error) {
        if (!shouldHandle(error)) throw error;
        return (typeof value === 'function'
          ? await (value as (e: unknown) => F | Promise<F>)(error)
          : value) as unknown as T;
      }
    },
  };
}
