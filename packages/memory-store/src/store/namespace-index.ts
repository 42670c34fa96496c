// The per-namespace vector indexes of a store and their bookkeeping: which changes of the file they hold,
// the store's own inserts, and reloads.
import { VectorIndex } from '@mimo-mcp/vector-nif';
import type { NewMemoryRow, StorageDriver } from '../driver/memory-driver.js';
import type { CachedEmbedder } from '../embedding/cached-embedder.js';
import type { MemoryStoreEmitter } from './events.js';

/** Own inserts remembered between syncs; past it, the next sync reads some of them back (correct, only slower). */
const MAX_OWN_SEQS = 1024;

/**
 * One `VectorIndex` per namespace over the vectors of the active embedder, kept in step with the file:
 * the store's own writes are applied as they happen, other connections' writes by {@link sync}.
 */
export class NamespaceIndexes {
  readonly #driver: StorageDriver;
  readonly #embedder: CachedEmbedder;
  readonly #events: MemoryStoreEmitter;
  readonly #assertOpen: () => void;
  readonly #indexes = new Map<string, VectorIndex>();
  #syncedSeq = 0;
  #changeToken = -1;
  /** Sequence numbers of this store's own inserts since the last sync: already in the index. */
  #ownSeqs: number[] = [];
  /** Counts index reloads, so an insert that awaited its commit knows whether a reload dropped its vectors. */
  #generation = 0;

  constructor(
    driver: StorageDriver,
    embedder: CachedEmbedder,
    events: MemoryStoreEmitter,
    assertOpen: () => void,
  ) {
    this.#driver = driver;
    this.#embedder = embedder;
    this.#events = events;
    this.#assertOpen = assertOpen;
  }

  /** The change token the indexes are in step with (the keyword search caches by it). */
  get changeToken(): number {
    return this.#changeToken;
  }

  /** Increases at every reload. */
  get generation(): number {
    return this.#generation;
  }

  /** The index of a namespace, if it has one. */
  get(namespace: string): VectorIndex | undefined {
    return this.#indexes.get(namespace);
  }

  /** Removes one vector from its namespace's index. */
  remove(namespace: string, id: string): void {
    this.#indexes.get(namespace)?.remove(id);
  }

  /** Vectors indexed in a namespace, or in all of them when `namespace` is undefined. */
  size(namespace: string | undefined): number {
    return namespace === undefined
      ? [...this.#indexes.values()].reduce((sum, index) => sum + index.size, 0)
      : (this.#indexes.get(namespace)?.size ?? 0);
  }

  /** Records an insert of this store (its rows are in the indexes already): the next sync skips it. */
  ownInsert(seq: number): void {
    if (this.#ownSeqs.length >= MAX_OWN_SEQS) this.#ownSeqs = [];
    this.#ownSeqs.push(seq);
  }

  /** Drops every index (at close). */
  clear(): void {
    this.#indexes.clear();
  }

  /** The index of a namespace, created empty if it has none. */
  ensure(namespace: string): VectorIndex {
    let index = this.#indexes.get(namespace);
    if (!index) {
      index = new VectorIndex({ dimensions: this.#embedder.dimensions, initialCapacity: 256 });
      this.#indexes.set(namespace, index);
    }
    return index;
  }

  /**
   * Adds rows' vectors to their namespaces' indexes: one bulk update per namespace, so vectors are
   * normalised and quantised in a single native call. `block`, when given, holds all the rows' vectors in
   * order (a batch bound for one namespace goes in as it is).
   */
  addRows(rows: readonly NewMemoryRow[], block?: Float32Array): void {
    const groups = new Map<string, NewMemoryRow[]>();
    for (const row of rows) {
      const group = groups.get(row.namespace);
      if (group) group.push(row);
      else groups.set(row.namespace, [row]);
    }
    const dims = this.#embedder.dimensions;
    for (const [namespace, group] of groups) {
      let vectors = block;
      if (!vectors || group.length !== rows.length) {
        vectors = new Float32Array(group.length * dims);
        group.forEach((row, i) => {
          (vectors as Float32Array).set(row.embedding?.vector ?? [], i * dims);
        });
      }
      this.ensure(namespace).setMany(
        group.map((row) => row.id),
        vectors,
      );
    }
  }

  /** Rebuilds the in-memory vector indexes from the database (vectors of the active embedder only). */
  async reload(): Promise<void> {
    this.#assertOpen();
    const started = Date.now();
    this.#changeToken = await this.#driver.changeToken();
    this.#syncedSeq = await this.#driver.currentSeq();
    this.#ownSeqs = [];
    this.#generation++;
    this.#indexes.clear();
    const dims = this.#embedder.dimensions;
    for await (const batch of this.#driver.iterateVectors(this.#embedder.id, 10_000)) {
      const groups = new Map<string, { ids: string[]; vectors: Float32Array[] }>();
      for (const item of batch) {
        if (item.vector.length !== dims) continue;
        const group = groups.get(item.namespace) ?? { ids: [], vectors: [] };
        group.ids.push(item.id);
        group.vectors.push(item.vector);
        groups.set(item.namespace, group);
      }
      for (const [namespace, group] of groups) {
        const block = new Float32Array(group.ids.length * dims);
        group.vectors.forEach((vector, i) => {
          block.set(vector, i * dims);
        });
        this.ensure(namespace).setMany(group.ids, block);
      }
    }
    this.#events.emit('index-refreshed', {
      upserts: 0,
      removals: 0,
      reset: true,
      durationMs: Date.now() - started,
    });
  }

  /**
   * Applies writes made by other connections or processes (noticed through the database's change token)
   * to the in-memory indexes. Called before every search; cheap when nothing changed.
   */
  async sync(): Promise<void> {
    this.#assertOpen();
    const token = await this.#driver.changeToken();
    if (token === this.#changeToken) {
      // Nobody else committed: every change up to our latest insert is ours and already applied.
      for (const seq of this.#ownSeqs) this.#syncedSeq = Math.max(this.#syncedSeq, seq);
      this.#ownSeqs = [];
      return;
    }
    const started = Date.now();
    const changes = await this.#driver.vectorChanges(this.#embedder.id, this.#syncedSeq, this.#ownSeqs);
    if (changes.reset) {
      await this.reload();
      return;
    }
    for (const removal of changes.removals) this.remove(removal.namespace, removal.id);
    for (const upsert of changes.upserts) {
      if (upsert.vector.length === this.#embedder.dimensions)
        this.ensure(upsert.namespace).set(upsert.id, upsert.vector);
    }
    this.#syncedSeq = changes.seq;
    this.#ownSeqs = this.#ownSeqs.filter((seq) => seq > changes.seq);
    this.#changeToken = token;
    this.#events.emit('index-refreshed', {
      upserts: changes.upserts.length,
      removals: changes.removals.length,
      reset: false,
      durationMs: Date.now() - started,
    });
  }

  /**
   * An HTTP embedder given no size learns it from its first answer; until then no vector can be sized or
   * indexed (a batch sized 0 failed its insert and crashed the process on an unhandled rejection). So the
   * first text to embed is sent alone (callers embed it next, from the cache), and the index is reloaded
   * with the size known. Returns the error when the embedder could not answer (the size stays unknown).
   */
  async learnDimensions(text: string | undefined, signal?: AbortSignal): Promise<unknown> {
    if (this.#embedder.dimensions > 0 || text === undefined) return undefined;
    try {
      await this.#embedder.embedTexts([text], signal);
    } catch (error) {
      return error;
    }
    await this.reload();
    return undefined;
  }
}
