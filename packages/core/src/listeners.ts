/** A handle that removes what it was returned for. Also usable with `using` (`Symbol.dispose`). */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * The typed event emitter every Mimo package uses: `on(event, listener)` returns a {@link Disposable}; a
 * listener that throws never affects the operation being reported or the other listeners (events are
 * observations).
 *
 * @example
 * const events = new Listeners<{ 'job-done': { durationMs: number } }>();
 * using subscription = events.on('job-done', ({ durationMs }) => record(durationMs));
 * events.emit('job-done', { durationMs: 12 });
 */
export class Listeners<Events extends Record<string, unknown>> {
  readonly #map = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Calls `listener` with every `event` emitted until the returned handle is disposed. */
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

  /** Calls the listeners of `event` in the order they were added; a listener's error is dropped. */
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
