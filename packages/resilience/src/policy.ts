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

/** A handle that removes what it was returned for. */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** A signal that never aborts, for callers that pass none. */
export const neverAbortedSignal: AbortSignal = new AbortController().signal;

/**
 * A small typed event emitter shared by the Mimo packages: `on(event, listener)` returns a
 * {@link Disposable}; a listener that throws never affects the operation being reported or the other
 * listeners (events are observations).
 *
 * @example
 * const events = new Listeners<{ 'job-done': { durationMs: number } }>();
 * using subscription = events.on('job-done', ({ durationMs }) => record(durationMs));
 * events.emit('job-done', { durationMs: 12 });
 */
export class Listeners<Events extends Record<string, unknown>> {
  readonly #map = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): Disposable {
    const set = this.#map.get(event) ?? new Set();
    this.#map.set(event, set);
    const entry = listener as (payload: never) => void;
    set.add(entry);
    const dispose = (): void => void set.delete(entry);
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Listeners of `event`, or of every event when omitted (for leak checks). */
  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.#map.get(event)?.size ?? 0;
    let total = 0;
    for (const set of this.#map.values()) total += set.size;
    return total;
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    for (const listener of [...(this.#map.get(event) ?? [])]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch {
        // An observer's failure must not change the outcome of the call it observes.
      }
    }
  }
}
