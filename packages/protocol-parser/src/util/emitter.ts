/** A handle that removes what it was returned for. Also usable with `using` (Symbol.dispose). */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/**
 * A minimal typed event emitter: `on(event, listener)` returns a {@link Disposable}. A listener that
 * throws never breaks the emitter or the other listeners (its error is dropped: events are observations).
 */
export class Emitter<Events extends Record<string, unknown>> {
  #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): Disposable {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    const dispose = (): void => {
      set.delete(listener as (payload: never) => void);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  emit<E extends keyof Events>(event: E, payload: Events[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch {
        // Listeners observe; they cannot change the outcome of what is being reported.
      }
    }
  }

  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.#listeners.get(event)?.size ?? 0;
    let total = 0;
    for (const set of this.#listeners.values()) total += set.size;
    return total;
  }
}
