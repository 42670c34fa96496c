/** What every operation run by a policy receives. */
export interface PolicyContext {
  /** Aborted when the caller aborts, a timeout fires, or the policy gives up. Pass it on to I/O. */
  signal: AbortSignal;
  /** 1 for the first try, 2 for the first retry, … (set by `retry`; 1 elsewhere). */
  attempt: number;
}

/** A resilience policy: runs an operation with some protection around it. */
export interface Policy {
  /**
   * Runs `operation`. The operation's own errors pass through unchanged; the policy adds its own
   * {@link ResilienceError}s (`BREAKER_OPEN`, `BULKHEAD_FULL`, `TIMEOUT`, `ABORTED`).
   */
  execute<T>(operation: (context: PolicyContext) => Promise<T> | T, signal?: AbortSignal): Promise<T>;
}

/** A signal that never aborts, for callers that pass none. */
export const neverAbortedSignal: AbortSignal = new AbortController().signal;
