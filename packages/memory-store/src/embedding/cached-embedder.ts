// The store's embedder behind its two caches: an in-memory LRU and the driver's persistent table.
import type { StorageDriver } from '../driver/memory-driver.js';
import { MemoryStoreError } from '../errors.js';
import { contentHash } from '../util/hash.js';
import { type Embedder, LruCache } from './embedder.js';

/**
 * The active embedder of a store, shared by its memories and its graph. Embeds through the in-memory LRU
 * and (for embedders that ask for it) the persistent cache keyed by model and content hash, and checks
 * every vector's size. {@link use} switches to another embedder (`reembed()`), which everyone holding
 * this object sees at once.
 */
export class CachedEmbedder {
  readonly #driver: StorageDriver;
  #embedder: Embedder;
  readonly #cache: LruCache<string, Float32Array>;

  /** @param cacheSize entries of the in-memory LRU (`embeddingCacheSize`) */
  constructor(driver: StorageDriver, embedder: Embedder, cacheSize: number) {
    this.#driver = driver;
    this.#embedder = embedder;
    this.#cache = new LruCache(cacheSize);
  }

  /** The embedder whose vectors are searched. */
  get current(): Embedder {
    return this.#embedder;
  }

  /** The active model's id (vectors of other models are never compared). */
  get id(): string {
    return this.#embedder.id;
  }

  /** The active model's vector size (0 for an HTTP embedder that has not answered yet). */
  get dimensions(): number {
    return this.#embedder.dimensions;
  }

  /** Switches to another embedder; the in-memory cache of the previous one is dropped. */
  use(embedder: Embedder): void {
    this.#embedder = embedder;
    this.#cache.clear();
  }

  /**
   * One vector per text, in order, from the caches where they hold it and from the embedder otherwise.
   *
   * @throws {MemoryStoreError} `EMBEDDING_FAILED` when the embedder answers with the wrong number or size of vectors
   */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const model = this.#embedder.id;
    const hashes = texts.map(contentHash);
    const out: Array<Float32Array | undefined> = hashes.map((hash) =>
      this.#cache.get(`${model}\u0000${hash}`),
    );
    let missing = hashes.flatMap((_hash, i) => (out[i] ? [] : [i]));
    const persistent = this.#embedder.persistentCache !== false;
    if (missing.length > 0 && persistent) {
      const cached = await this.#driver.cacheGet(
        model,
        missing.map((i) => hashes[i] as string),
      );
      for (const i of missing) {
        const vector = cached.get(hashes[i] as string);
        if (vector && vector.length === this.#embedder.dimensions) out[i] = vector;
      }
      missing = missing.filter((i) => !out[i]);
    }
    if (missing.length > 0) {
      const vectors = await this.#embedder.embed(
        missing.map((i) => texts[i] as string),
        signal ? { signal } : undefined,
      );
      if (vectors.length !== missing.length) {
        throw new MemoryStoreError(
          'EMBEDDING_FAILED',
          `${model} returned ${vectors.length} vectors for ${missing.length} texts`,
        );
      }
      const fresh: Array<{ hash: string; vector: Float32Array }> = [];
      missing.forEach((index, i) => {
        const vector = vectors[i] as Float32Array;
        if (vector.length !== this.#embedder.dimensions) {
          throw new MemoryStoreError(
            'EMBEDDING_FAILED',
            `${model} returned a ${vector.length}-dimensional vector, expected ${this.#embedder.dimensions}`,
          );
        }
        out[index] = vector;
        fresh.push({ hash: hashes[index] as string, vector });
      });
      if (persistent) await this.#driver.cachePut(model, fresh);
    }
    return out.map((vector, i) => {
      const result = vector as Float32Array;
      this.#cache.set(`${model}\u0000${hashes[i]}`, result);
      return result;
    });
  }
}
