/** A handle that removes the listener it was returned for. */
export interface Disposable {
  dispose(): void;
  [Symbol.dispose](): void;
}

/** Typed events; a throwing listener never affects the operation being reported. */
export class Events<Map extends Record<string, unknown>> {
  readonly #listeners = new globalThis.Map<keyof Map, Set<(payload: never) => void>>();

  on<E extends keyof Map>(event: E, listener: (payload: Map[E]) => void): Disposable {
    const set = this.#listeners.get(event) ?? new Set();
    this.#listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    const dispose = (): void => {
      set.delete(listener as (payload: never) => void);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  emit<E extends keyof Map>(event: E, payload: Map[E]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Map[E]) => void)(payload);
      } catch {
        // Observers cannot change the outcome of what they observe.
      }
    }
  }
}
