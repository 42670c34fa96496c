/**
 * Turns texts into vectors. Vectors from different embedders (ids) are never compared: the store keeps the
 * embedder id with every vector and searches only vectors of the active one.
 */
export interface Embedder {
  /** Identifies the model and its output space, e.g. `local-hash-v1-384` or `ollama/nomic-embed-text`. */
  readonly id: string;
  /** Length of every vector it returns (1 … 4096 in the store). */
  readonly dimensions: number;
  /** One vector per text, in order. Should honour `signal`. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
  /** Whether results are worth a persistent cache (true for remote or slow models). @default true */
  readonly persistentCache?: boolean;
}

/** A small LRU map (insertion order of a `Map` is its recency order). */
export class LruCache<K, V> {
  readonly #capacity: number;
  readonly #map = new Map<K, V>();

  constructor(capacity: number) {
    this.#capacity = Math.max(0, capacity);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.#capacity === 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  clear(): void {
    this.#map.clear();
  }
}
