import { type Disposable, Listeners } from '@mimo-mcp/resilience';
import { AUTO_EXACT_MAX_FLOATS, type VectorHit, VectorIndex } from '@mimo-mcp/vector-nif';
import type { z } from 'zod';
import type {
  InsertResult,
  MemoryPatch,
  MemoryRow,
  NewMemoryRow,
  StorageDriver,
  StoreStats,
} from './driver/memory-driver.js';
import { createSqliteDriver } from './driver/sqlite/sqlite-driver.js';
import { type BackfillPass, BackfillScheduler, type BackfillStatus } from './embedding/backfill-scheduler.js';
import { CachedEmbedder } from './embedding/cached-embedder.js';
import type { Embedder } from './embedding/embedder.js';
import { createLocalEmbedder } from './embedding/local-embedder.js';
import { MemoryStoreError } from './errors.js';
import { GraphStore } from './graph/graph-store.js';
import {
  type ExportOptions,
  exportJsonl,
  type ImportOptions,
  type ImportResult,
  importJsonl,
} from './io/jsonl.js';
import {
  type MemoryStoreOptions,
  MemoryStoreOptionsSchema,
  parseOrThrow,
  type ResolvedOptions,
  resolveNamespace,
} from './options.js';
import { recencyFactor, reciprocalRankFusion, type ScoreParts } from './search/fusion.js';
import { parseKeywordQuery } from './search/keyword-query.js';
import { AccessRecorder } from './store/access-recorder.js';
import type { MemoryStoreEvents } from './store/events.js';
import { filterRestricts, parseFilter, toMemoryFilter } from './store/filters.js';
import { type Memory, toMemory } from './store/memory.js';
import { NamespaceIndexes } from './store/namespace-index.js';
import {
  ListSchema,
  MEMORY_PATCH_FIELDS,
  type MemoryFilterInput,
  type MemoryInput,
  MemoryInputSchema,
  type MemoryPatchInput,
  MemoryPatchSchema,
  PruneSchema,
  type SearchOptions,
  SearchSchema,
} from './store/schemas.js';
import { contentHash } from './util/hash.js';
import { newId } from './util/ids.js';

export interface CreateOptions {
  signal?: AbortSignal;
  /**
   * `check` (default) compares each new memory with its namespace's vectors, and with the memories before
   * it in the same call, and reports near duplicates (merging them when `dedup.mergeNearDuplicates` is on);
   * `merge` merges them whatever that option says; `skip` leaves the check out, for bulk loads. Exact
   * duplicates are always detected.
   */
  nearDuplicates?: 'check' | 'merge' | 'skip';
}

/**
 * Scores are float32 dot products of float32 unit vectors, a few units in the 7th digit off the exact
 * cosine: a pair whose cosine is exactly the threshold scores 0.94999998 against 0.95. Similarities within
 * this tolerance below the threshold count as reaching it.
 */
export const NEAR_DUPLICATE_TOLERANCE = 1e-6;

export interface CreateResult {
  id: string;
  /** `created`, `duplicate` (same content already stored: its id is returned), or `merged` into a near duplicate. */
  status: 'created' | 'duplicate' | 'merged';
  /** Set when an existing memory is at least `nearDuplicateThreshold` similar. */
  nearDuplicate?: { id: string; similarity: number };
}

export interface SearchHit {
  memory: Memory;
  /** Final score (fused and weighted); higher is better. */
  score: number;
  parts: ScoreParts;
}

export interface SearchResult {
  /** The namespace searched, or `'*'` for all (each hit's memory names its own). */
  namespace: string;
  mode: 'hybrid' | 'vector' | 'keyword';
  hits: SearchHit[];
  /** True when hits were dropped or cut to fit `maxResults` / `maxChars`. */
  truncated: boolean;
  /** Sizes of the candidate lists before fusion. */
  candidates: { keyword: number; vector: number };
  /** Degradations that did not fail the search (e.g. the embedding provider is down: keyword only). */
  warnings: string[];
}

/** The closest vector of an index to `vector`, scored exactly (undefined when the index is empty). */
function nearestNeighbour(index: VectorIndex | undefined, vector: Float32Array): VectorHit | undefined {
  if (!index || index.size === 0) return undefined;
  // A near duplicate (cosine ≥ 0.95 by default) differs in few sign bits: a 1-bit scan with an exact re-rank
  // of the closest 64 finds it at a fraction of a full scan's cost once the namespace is large (0.18 ms
  // against 8 ms exact and 1.35 ms int8 at 100,000 × 384; it found 300 of 300 one-word edits at 30,000).
  const large = index.size * index.dimensions > AUTO_EXACT_MAX_FLOATS;
  return index.search(vector, {
    k: 1,
    ...(large ? { mode: 'binary' as const, pool: 64 } : { mode: 'exact' as const }),
  })[0];
}

/** A memory found by a search, with its final score and the parts it came from. */
interface ScoredRow {
  row: MemoryRow;
  score: number;
  parts: ScoreParts;
}

/**
 * Opens (creating if needed) a memory store: one SQLite file holding memories, their vectors and FTS5
 * index, and a knowledge graph. Vectors of the active embedder are loaded into per-namespace
 * `VectorIndex`es from `@mimo-mcp/vector-nif`.
 *
 * @throws {MemoryStoreError} `INVALID_ARGUMENT` (options), `STORAGE_ERROR`, `DATABASE_TOO_NEW`, `MIGRATION_FAILED`
 * @example
 * const store = await openMemoryStore({ path: 'memory.db' });
 * await store.create({ content: 'The release train leaves on Thursdays', tags: ['process'] });
 * const { hits } = await store.search({ query: 'when do we ship?' });
 */
export async function openMemoryStore(options: MemoryStoreOptions): Promise<MemoryStore> {
  const resolved = parseOrThrow(MemoryStoreOptionsSchema, options, 'memory store options');
  const embedder = resolved.embedder ?? createLocalEmbedder();
  if (embedder.dimensions > resolved.limits.maxDimensions) {
    throw new MemoryStoreError(
      'DIMENSION_MISMATCH',
      `The embedder ${embedder.id} produces ${embedder.dimensions} dimensions, over the limit of ${resolved.limits.maxDimensions}`,
    );
  }
  const driver =
    resolved.driver ??
    createSqliteDriver({
      path: resolved.path as string,
      synchronous: resolved.synchronous,
      busyTimeoutMs: resolved.busyTimeoutMs,
      writerThread: resolved.writerThread,
    });
  const store = new MemoryStore(driver, embedder, resolved);
  try {
    await store.reloadIndex();
    await store.checkPending();
  } catch (error) {
    await driver.close();
    throw error;
  }
  return store;
}

/** A durable agent memory. Create with {@link openMemoryStore}. */
export class MemoryStore {
  readonly #driver: StorageDriver;
  readonly #embedder: CachedEmbedder;
  readonly #options: ResolvedOptions;
  readonly #events = new Listeners<MemoryStoreEvents>();
  readonly #indexes: NamespaceIndexes;
  readonly #access: AccessRecorder;
  readonly #backfills: BackfillScheduler;
  #closed = false;
  /** The knowledge graph of this store (entities, relations, traversal), same file and namespaces. */
  readonly graph: GraphStore;

  /** @internal use {@link openMemoryStore} */
  constructor(driver: StorageDriver, embedder: Embedder, options: ResolvedOptions) {
    this.#driver = driver;
    this.#embedder = new CachedEmbedder(driver, embedder, options.embeddingCacheSize);
    this.#options = options;
    this.#access = new AccessRecorder(driver, options.accessFlushIntervalMs, this.#events);
    this.#indexes = new NamespaceIndexes(driver, this.#embedder, this.#events, () => this.#assertOpen());
    this.#backfills = new BackfillScheduler(
      options.backfill,
      (signal) =>
        this.#embedMissing({
          batchSize: options.backfill.batchSize,
          signal,
          pendingOnly: true,
          stopAtFailure: true,
        }),
      ({ embedded, failed, durationMs }) =>
        this.#events.emit('backfill-finished', { embedded, failed, durationMs }),
    );
    this.graph = new GraphStore({
      driver,
      embedder: this.#embedder,
      defaultNamespace: options.namespace,
      assertOpen: () => this.#assertOpen(),
    });
  }

  /** Subscribes to an event; returns a handle that unsubscribes. */
  on<E extends keyof MemoryStoreEvents>(
    event: E,
    listener: (payload: MemoryStoreEvents[E]) => void,
  ): Disposable {
    return this.#events.on(event, listener);
  }

  /** @internal At open: memories left pending (the embedder was down) start a background backfill. */
  async checkPending(): Promise<void> {
    if (!this.#options.backfill.auto) return;
    const pending = await this.#driver.missingEmbeddings(this.#embedder.id, 1, '', { pendingOnly: true });
    if (pending.length > 0) this.#backfills.pendingFound();
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The embedder whose vectors are searched. */
  get embedder(): Embedder {
    return this.#embedder.current;
  }

  /** The default namespace. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /** Where the data lives (file path or `:memory:`). */
  get location(): string {
    return this.#driver.location;
  }

  #assertOpen(): void {
    if (this.#closed) throw new MemoryStoreError('CLOSED', 'The memory store is closed');
  }

  #namespace(value: string | undefined): string {
    return resolveNamespace(value, this.#options.namespace);
  }

  /** Rebuilds the in-memory vector indexes from the database (vectors of the active embedder only). */
  async reloadIndex(): Promise<void> {
    await this.#indexes.reload();
  }

  /**
   * Applies writes made by other connections or processes (noticed through the database's change token)
   * to the in-memory indexes. Called before every search; cheap when nothing changed.
   */
  async sync(): Promise<void> {
    await this.#indexes.sync();
  }

  /**
   * Embeds texts with the active embedder, through the in-memory LRU and (for embedders that ask for it)
   * the persistent cache keyed by model and content hash.
   *
   * @throws {MemoryStoreError} `EMBEDDING_FAILED` when the embedder answers with the wrong number or size of vectors
   */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    return this.#embedder.embedTexts(texts, signal);
  }

  /** Stores one memory. See {@link createMany}. */
  async create(input: MemoryInput, options: CreateOptions = {}): Promise<CreateResult> {
    return (await this.createMany([input], options))[0] as CreateResult;
  }

  /**
   * Stores memories atomically: all or none. Exact duplicates (same namespace and content) return the
   * existing id; near duplicates (cosine ≥ `dedup.nearDuplicateThreshold`) are reported, and merged into
   * the existing memory when `dedup.mergeNearDuplicates` is on. Content is embedded before the write
   * transaction (never while holding the lock); if the embedder fails, memories are stored without a
   * vector (keyword search still finds them) and `backfill()` embeds them later.
   *
   * The near-duplicate check is one vector search per new memory (about 0.3–1.5 ms at 100,000 memories in
   * the namespace); bulk loads can pass `nearDuplicates: 'skip'` (exact duplicates are always caught).
   *
   * @throws {MemoryStoreError} `INVALID_ARGUMENT`, `CONTENT_TOO_LARGE`, `DIMENSION_MISMATCH`, `NAMESPACE_FULL`, `STORAGE_ERROR`
   */
  async createMany(inputs: readonly MemoryInput[], options: CreateOptions = {}): Promise<CreateResult[]> {
    this.#assertOpen();
    if (!Array.isArray(inputs))
      throw new MemoryStoreError('INVALID_ARGUMENT', 'createMany expects an array of memories');
    if (inputs.length > this.#options.limits.maxBatchSize) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        `createMany got ${inputs.length} memories, over the batch limit of ${this.#options.limits.maxBatchSize}`,
      );
    }
    const now = Date.now();
    const unsized = await this.#indexes.learnDimensions(
      inputs.find(
        (input) => input?.vector === undefined && typeof input?.content === 'string' && input.content.trim(),
      )?.content,
      options.signal,
    );
    const dims = this.#embedder.dimensions;
    // Every vector of the batch lives in one block: one allocation instead of one per memory, and a bulk
    // load hands the whole block to the vector index in one call.
    const block = new Float32Array(inputs.length * dims);
    const slot = (position: number) => block.subarray(position * dims, (position + 1) * dims);
    const prepared = inputs.map((raw, position) => {
      const input = parseOrThrow(MemoryInputSchema, raw, `memory #${position}`);
      const bytes = Buffer.byteLength(input.content, 'utf8');
      if (input.content.trim().length === 0) {
        throw new MemoryStoreError(
          'INVALID_ARGUMENT',
          `Invalid memory #${position}: content must not be empty`,
        );
      }
      if (bytes > this.#options.limits.maxContentBytes) {
        throw new MemoryStoreError(
          'CONTENT_TOO_LARGE',
          `Memory #${position} has ${bytes} bytes of content, over the limit of ${this.#options.limits.maxContentBytes}; split it or raise limits.maxContentBytes`,
          { data: { bytes, limit: this.#options.limits.maxContentBytes } },
        );
      }
      let vector: Float32Array | undefined;
      if (input.vector !== undefined) {
        if (input.vector.length !== dims) {
          throw new MemoryStoreError(
            'DIMENSION_MISMATCH',
            `Memory #${position} carries a ${input.vector.length}-dimensional vector, but the active embedder ${this.#embedder.id} has ${dims} (limit ${this.#options.limits.maxDimensions})`,
          );
        }
        vector = slot(position);
        vector.set(input.vector);
        for (let i = 0; i < vector.length; i++) {
          const value = vector[i] as number;
          if (value - value !== 0) {
            throw new MemoryStoreError(
              'INVALID_ARGUMENT',
              `Memory #${position} carries a vector with a non-finite value at [${i}]`,
            );
          }
        }
      }
      const expiresAt = input.expiresAt ?? (input.ttlMs !== undefined ? now + input.ttlMs : null);
      return {
        position,
        input,
        namespace: this.#namespace(input.namespace),
        hash: contentHash(input.content),
        vector,
        expiresAt,
        tags: [...new Set(input.tags)],
      };
    });

    // Embed outside any transaction.
    const needEmbedding = prepared.filter((item) => item.vector === undefined);
    if (needEmbedding.length > 0) {
      try {
        if (dims === 0)
          throw unsized ?? new MemoryStoreError('EMBEDDING_FAILED', 'The embedder gave no vector size');
        const vectors = await this.#embedder.embedTexts(
          needEmbedding.map((item) => item.input.content),
          options.signal,
        );
        needEmbedding.forEach((item, i) => {
          item.vector = slot(item.position);
          item.vector.set(vectors[i] as Float32Array);
        });
        this.#backfills.embeddingSucceeded();
      } catch (error) {
        if (MemoryStoreError.isInstance(error) && error.code === 'ABORTED') throw error;
        if (options.signal?.aborted)
          throw new MemoryStoreError('ABORTED', 'createMany was aborted', { cause: options.signal.reason });
        this.#events.emit('embedding-failed', { count: needEmbedding.length, error });
        this.#backfills.embeddingFailed();
      }
    }
    if (options.signal?.aborted)
      throw new MemoryStoreError('ABORTED', 'createMany was aborted', { cause: options.signal.reason });

    const mode = options.nearDuplicates ?? 'check';
    const checkNear = mode !== 'skip';
    const mergeNear = mode === 'merge' || (mode === 'check' && this.#options.dedup.mergeNearDuplicates);
    // The near-duplicate check needs other processes' latest vectors; without it, the next search syncs.
    if (checkNear) await this.sync();
    const threshold = this.#options.dedup.nearDuplicateThreshold - NEAR_DUPLICATE_TOLERANCE;
    // The memories of this call stored so far, per namespace: a near duplicate of an earlier one in the same
    // batch counts as one of a stored memory (they are not in the namespace's index until the insert).
    const batchIndexes = new Map<string, VectorIndex>();
    const rows: NewMemoryRow[] = [];
    const results: Array<CreateResult | undefined> = [];
    const merges: Array<{ position: number; target: string; similarity: number }> = [];
    for (const [position, item] of prepared.entries()) {
      let nearDuplicate: { id: string; similarity: number } | undefined;
      if (checkNear && item.vector) {
        const best = [
          nearestNeighbour(this.#indexes.get(item.namespace), item.vector),
          nearestNeighbour(batchIndexes.get(item.namespace), item.vector),
        ].reduce((a, b) => (b && (!a || b.score > a.score) ? b : a), undefined);
        if (best && best.score >= threshold) nearDuplicate = { id: best.id, similarity: best.score };
      }
      if (
        nearDuplicate &&
        mergeNear &&
        (await this.#driver.findByHash(item.namespace, item.hash)) === undefined
      ) {
        merges.push({ position, target: nearDuplicate.id, similarity: nearDuplicate.similarity });
        results[position] = { id: nearDuplicate.id, status: 'merged', nearDuplicate };
        continue;
      }
      results[position] = nearDuplicate ? { id: '', status: 'created', nearDuplicate } : undefined;
      const id = newId(now);
      if (checkNear && item.vector && position < prepared.length - 1) {
        let batchIndex = batchIndexes.get(item.namespace);
        if (!batchIndex) {
          batchIndex = new VectorIndex({ dimensions: dims, initialCapacity: Math.min(prepared.length, 256) });
          batchIndexes.set(item.namespace, batchIndex);
        }
        batchIndex.set(id, item.vector);
      }
      rows.push({
        id,
        namespace: item.namespace,
        content: item.input.content,
        kind: item.input.kind,
        tags: item.tags,
        importance: item.input.importance,
        metadata: item.input.metadata,
        createdAt: now,
        expiresAt: item.expiresAt,
        contentHash: item.hash,
        embedding: item.vector ? { model: this.#embedder.id, vector: item.vector } : null,
      });
    }

    // The driver may insert on its writer thread; meanwhile the new vectors go into the index (the ids are
    // fresh, so this only adds). They come out again if the insert fails, and for rows found to be exact
    // duplicates. A search in between may see an id whose row is not committed yet: hydration skips it.
    const insertion = (async () =>
      this.#driver.insertMemories(rows, { maxPerNamespace: this.#options.limits.maxMemoriesPerNamespace }))();
    const generation = this.#indexes.generation;
    const vectorRows = rows.filter((row) => row.embedding !== null);
    this.#indexes.addRows(vectorRows, vectorRows.length === inputs.length ? block : undefined);
    let inserted: InsertResult;
    try {
      inserted = await insertion;
    } catch (error) {
      for (const row of vectorRows) this.#indexes.remove(row.namespace, row.id);
      throw error;
    }
    const { outcomes } = inserted;
    // A reload while the insert was in flight rebuilt the index without the uncommitted rows.
    if (this.#indexes.generation !== generation) this.#indexes.addRows(vectorRows);
    this.#indexes.ownInsert(inserted.seq);
    let next = 0;
    const created: string[] = [];
    // A row found to be an exact duplicate was stored under the existing memory's id: reports and merges
    // that name the row (a near duplicate earlier in this batch) name that id instead.
    const storedAs = new Map<string, string>();
    prepared.forEach((_item, position) => {
      const existing = results[position];
      if (existing?.status === 'merged') return;
      const outcome = outcomes[next] as (typeof outcomes)[number];
      const row = rows[next] as NewMemoryRow;
      next++;
      storedAs.set(row.id, outcome.id);
      results[position] = {
        id: outcome.id,
        status: outcome.status,
        ...(existing?.nearDuplicate ? { nearDuplicate: existing.nearDuplicate } : {}),
      };
      if (outcome.status === 'created') {
        created.push(outcome.id);
      } else if (row.embedding) {
        this.#indexes.remove(row.namespace, row.id);
      }
    });
    for (const result of results as CreateResult[]) {
      if (!result.nearDuplicate) continue;
      const id = storedAs.get(result.nearDuplicate.id) ?? result.nearDuplicate.id;
      if (result.status === 'merged') result.id = id;
      if (id === result.id && result.status !== 'merged') delete result.nearDuplicate;
      else result.nearDuplicate = { ...result.nearDuplicate, id };
    }
    for (const merge of merges) {
      const item = prepared[merge.position] as (typeof prepared)[number];
      const targetId = storedAs.get(merge.target) ?? merge.target;
      const [target] = await this.#driver.getMemories(item.namespace, [targetId], now, true);
      if (!target) continue;
      await this.#driver.updateMemory(
        item.namespace,
        targetId,
        {
          tags: [...new Set([...target.tags, ...item.tags])],
          importance: Math.max(target.importance, item.input.importance),
          metadata: { ...target.metadata, ...item.input.metadata },
        },
        now,
      );
    }
    if (created.length > 0) this.#events.emit('memory-created', { ids: created });
    return results as CreateResult[];
  }

  /** One memory by id (undefined if absent or expired). Counts as an access. */
  async get(id: string, options: { namespace?: string } = {}): Promise<Memory | undefined> {
    return (await this.getMany([id], options))[0];
  }

  /** Memories by id, in the order asked, skipping absent or expired ones. Counts as accesses. */
  async getMany(ids: readonly string[], options: { namespace?: string } = {}): Promise<Memory[]> {
    this.#assertOpen();
    const namespace = this.#namespace(options.namespace);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new MemoryStoreError('INVALID_ARGUMENT', 'ids must be an array of strings');
    }
    const rows = await this.#driver.getMemories(namespace, ids, Date.now());
    this.#access.record(rows.map((row) => row.id));
    return rows.map((row) => toMemory(row, this.#embedder.id));
  }

  /**
   * Changes exactly the fields given; every other field keeps its value. New content is re-embedded
   * (before the write; if the embedder fails the vector is marked pending). Returns the updated memory.
   *
   * @throws {MemoryStoreError} `INVALID_ARGUMENT` (no field to change, or an invalid one), `NOT_FOUND`,
   *   `CONFLICT` (the new content duplicates another memory), `CONTENT_TOO_LARGE`
   * @example
   * await store.update(id, { importance: 0.95 }); // kind, tags, metadata and content stay as they were
   */
  async update(
    id: string,
    patch: MemoryPatchInput,
    options: { namespace?: string; signal?: AbortSignal } = {},
  ): Promise<Memory> {
    this.#assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(MemoryPatchSchema, patch, 'memory update');
    if (Object.values(parsed).every((value) => value === undefined)) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        `Invalid memory update: nothing to change; give at least one of ${MEMORY_PATCH_FIELDS.join(', ')}`,
      );
    }
    const driverPatch: MemoryPatch = {};
    if (parsed.kind !== undefined) driverPatch.kind = parsed.kind;
    if (parsed.tags !== undefined) driverPatch.tags = [...new Set(parsed.tags)];
    if (parsed.importance !== undefined) driverPatch.importance = parsed.importance;
    if (parsed.metadata !== undefined) driverPatch.metadata = parsed.metadata;
    if (parsed.expiresAt !== undefined) driverPatch.expiresAt = parsed.expiresAt;
    if (parsed.content !== undefined) {
      const bytes = Buffer.byteLength(parsed.content, 'utf8');
      if (bytes > this.#options.limits.maxContentBytes) {
        throw new MemoryStoreError(
          'CONTENT_TOO_LARGE',
          `The new content has ${bytes} bytes, over the limit of ${this.#options.limits.maxContentBytes}`,
          {
            data: { bytes, limit: this.#options.limits.maxContentBytes },
          },
        );
      }
      if (parsed.content.trim().length === 0)
        throw new MemoryStoreError('INVALID_ARGUMENT', 'content must not be empty');
      driverPatch.content = parsed.content;
      driverPatch.contentHash = contentHash(parsed.content);
      await this.#indexes.learnDimensions(parsed.content, options.signal);
      try {
        const [vector] = await this.#embedder.embedTexts([parsed.content], options.signal);
        driverPatch.embedding = { model: this.#embedder.id, vector: vector as Float32Array };
        this.#backfills.embeddingSucceeded();
      } catch (error) {
        driverPatch.embedding = null;
        this.#events.emit('embedding-failed', { count: 1, error });
        this.#backfills.embeddingFailed();
      }
    }
    const row = await this.#driver.updateMemory(namespace, id, driverPatch, Date.now());
    if (!row)
      throw new MemoryStoreError(
        'NOT_FOUND',
        `No memory ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`,
      );
    if (driverPatch.embedding) this.#indexes.ensure(namespace).set(id, driverPatch.embedding.vector);
    else if (driverPatch.embedding === null) this.#indexes.remove(namespace, id);
    this.#events.emit('memory-updated', { id });
    return toMemory(row, this.#embedder.id);
  }

  /** Deletes memories by id; returns the ids that existed. */
  async delete(ids: string | readonly string[], options: { namespace?: string } = {}): Promise<string[]> {
    this.#assertOpen();
    const namespace = this.#namespace(options.namespace);
    const list = typeof ids === 'string' ? [ids] : [...ids];
    const deleted = await this.#driver.deleteMemories(namespace, list);
    this.#forget(namespace, deleted);
    return deleted;
  }

  /**
   * Deletes every memory matching the filter in one namespace (given or defaulted); returns their ids. A filter
   * that restricts nothing is refused unless `all: true`, so a missing argument never empties a namespace.
   */
  async deleteWhere(filter: MemoryFilterInput & { all?: boolean }): Promise<string[]> {
    this.#assertOpen();
    const { all, ...rest } = filter ?? {};
    const resolved = parseFilter(rest, this.#options.namespace);
    if (all !== true && !filterRestricts(resolved)) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        'deleteWhere needs a filter besides the namespace (kinds, tags, time or importance); to empty the whole namespace pass { all: true }',
      );
    }
    const deleted = await this.#driver.deleteWhere(resolved);
    this.#forget(resolved.namespace, deleted);
    return deleted;
  }

  #forget(namespace: string, ids: readonly string[]): void {
    const index = this.#indexes.get(namespace);
    for (const id of ids) index?.remove(id);
    if (ids.length > 0) this.#events.emit('memory-deleted', { ids: [...ids] });
  }

  /** A page of memories, newest first, with a cursor for the next page. */
  async list(
    options: z.input<typeof ListSchema> = {},
  ): Promise<{ memories: Memory[]; nextCursor: string | undefined }> {
    this.#assertOpen();
    const { limit, cursor, ...filter } = parseOrThrow(ListSchema, options, 'list options');
    const page = await this.#driver.listMemories(parseFilter(filter, this.#options.namespace), {
      limit,
      cursor,
    });
    return {
      memories: page.rows.map((row) => toMemory(row, this.#embedder.id)),
      nextCursor: page.nextCursor,
    };
  }

  /** Number of memories matching the filter. */
  async count(filter: MemoryFilterInput = {}): Promise<number> {
    this.#assertOpen();
    return this.#driver.countMemories(parseFilter(filter, this.#options.namespace));
  }

  /**
   * Statistics for one namespace, or all when `namespace` is `'*'`: counts (`pendingEmbeddings` are the
   * memories stored without a vector, waiting for the background backfill, whose state is `backfill`).
   */
  async stats(
    options: { namespace?: string } = {},
  ): Promise<StoreStats & { namespace: string; indexedVectors: number; backfill: BackfillStatus }> {
    this.#assertOpen();
    const all = options.namespace === '*';
    const namespace = all ? undefined : this.#namespace(options.namespace);
    const stats = await this.#driver.stats(namespace, Date.now());
    const indexedVectors = this.#indexes.size(namespace);
    return { ...stats, namespace: namespace ?? '*', indexedVectors, backfill: this.#backfills.status };
  }

  /** Namespaces holding data. */
  async namespaces(): Promise<string[]> {
    this.#assertOpen();
    return this.#driver.namespaces();
  }

  /**
   * Searches memories: keyword (FTS5 BM25 over the content; user text is parsed into quoted terms, never
   * raw FTS syntax), vector (cosine over vectors of the active embedder), or both fused by reciprocal
   * rank (default). Filters apply before ranking. Each hit reports its score parts; the answer fits
   * `maxResults` and `maxChars`. `namespace: '*'` searches every namespace (each ranked on its own, the
   * hits merged by score).
   */
  async search(options: SearchOptions): Promise<SearchResult> {
    this.#assertOpen();
    const { signal, ...input } = options;
    const checkAborted = () => {
      if (signal?.aborted)
        throw new MemoryStoreError('ABORTED', 'search was aborted', { cause: signal.reason });
    };
    checkAborted();
    const parsed = parseOrThrow(SearchSchema, input, 'search options');
    if (parsed.importanceWeight + parsed.recencyWeight > 1) {
      throw new MemoryStoreError('INVALID_ARGUMENT', 'importanceWeight + recencyWeight must not exceed 1');
    }
    await this.sync();
    const all = parsed.namespace === '*';
    // Validated once: the namespace and filters were parsed with the search options.
    const namespaces = all ? await this.#driver.namespaces() : [parsed.namespace ?? this.#options.namespace];
    const warnings: string[] = [];
    const unsized =
      parsed.mode === 'keyword' ? undefined : await this.#indexes.learnDimensions(parsed.query, signal);
    checkAborted();
    if (unsized !== undefined) {
      if (parsed.mode === 'vector') throw unsized;
      warnings.push(`vector search skipped: ${(unsized as Error)?.message ?? String(unsized)}`);
    }
    // The query is embedded once, and only if some namespace has vectors to compare it with.
    let embedded: Promise<Float32Array | undefined> | undefined;
    const queryVector = () => {
      embedded ??= this.#embedder.embedTexts([parsed.query], signal).then(
        ([vector]) => vector,
        (error: unknown) => {
          if (parsed.mode === 'vector' || signal?.aborted) throw error;
          warnings.push(`vector search skipped: ${(error as Error).message}`);
          return undefined;
        },
      );
      return embedded;
    };
    const maxResults = parsed.maxResults ?? this.#options.search.defaultMaxResults;
    const maxChars = parsed.maxChars ?? this.#options.search.defaultMaxChars;
    const scored: ScoredRow[] = [];
    const candidates = { keyword: 0, vector: 0 };
    for (const namespace of namespaces) {
      checkAborted();
      const ranked = await this.#rank(namespace, parsed, maxResults, queryVector);
      scored.push(...ranked.scored);
      candidates.keyword += ranked.keyword;
      candidates.vector += ranked.vector;
    }
    checkAborted();
    scored.sort((a, b) => b.score - a.score || (a.row.id < b.row.id ? -1 : 1));

    const hits: SearchHit[] = [];
    let used = 0;
    let truncated = scored.length > maxResults;
    for (const entry of scored.slice(0, maxResults)) {
      const memory = toMemory(entry.row, this.#embedder.id);
      const remaining = maxChars - used;
      if (remaining <= 0) {
        truncated = true;
        break;
      }
      if (memory.content.length > remaining) {
        memory.content = `${memory.content.slice(0, Math.max(0, remaining - 1))}…`;
        truncated = true;
      }
      used += memory.content.length;
      hits.push({ memory, score: entry.score, parts: entry.parts });
    }
    this.#access.record(hits.map((hit) => hit.memory.id));
    return {
      namespace: all ? '*' : (namespaces[0] as string),
      mode: parsed.mode,
      hits,
      truncated,
      candidates,
      warnings,
    };
  }

  /**
   * One namespace's part of a search: keyword and vector candidates fused, the rows read and scored. With no
   * weights the fused order is final, so only the rows that can be shown are read (`maxResults` + 1).
   */
  async #rank(
    namespace: string,
    parsed: z.output<typeof SearchSchema>,
    maxResults: number,
    queryVector: () => Promise<Float32Array | undefined>,
  ): Promise<{ scored: ScoredRow[]; keyword: number; vector: number }> {
    const filter = toMemoryFilter(parsed, namespace);
    const candidates = this.#options.search.candidates;
    let keyword: Array<{ id: string; bm25: number }> = [];
    let vector: Array<{ id: string; score: number }> = [];

    if (parsed.mode !== 'vector') {
      keyword = await this.#driver.keywordSearch(filter, parseKeywordQuery(parsed.query), candidates, {
        changeToken: this.#indexes.changeToken,
      });
    }
    if (parsed.mode !== 'keyword') {
      const index = this.#indexes.get(filter.namespace);
      const query = index && index.size > 0 ? await queryVector() : undefined;
      if (index && query) {
        const allowed = filterRestricts(filter) ? await this.#driver.filterIds(filter, 1_000_000) : undefined;
        if (!allowed || allowed.length > 0) {
          // Over-fetch a little: expired memories are still indexed until prune() removes them.
          vector = index.search(query, {
            k: candidates + 10,
            minScore: parsed.minSimilarity,
            ...(allowed ? { ids: allowed } : {}),
          });
        }
      }
    }

    const lists =
      parsed.mode === 'keyword'
        ? [keyword.map((k) => k.id)]
        : parsed.mode === 'vector'
          ? [vector.map((v) => v.id)]
          : [keyword.map((k) => k.id), vector.map((v) => v.id)];
    const fused = reciprocalRankFusion(lists);
    const order = [...fused.entries()]
      .sort((a, b) => b[1].rrf - a[1].rrf || (a[0] < b[0] ? -1 : 1))
      .map(([id]) => id);
    let rows: MemoryRow[];
    if (parsed.importanceWeight > 0 || parsed.recencyWeight > 0) {
      rows = await this.#driver.getMemories(filter.namespace, order, filter.now);
    } else {
      // Expired rows drop out here, so read on until enough or none left.
      rows = [];
      let next = 0;
      while (rows.length <= maxResults && next < order.length) {
        const page = order.slice(next, next + maxResults + 1 - rows.length);
        next += page.length;
        rows.push(...(await this.#driver.getMemories(filter.namespace, page, filter.now)));
      }
    }
    // Which of the fused lists is which (their ranks were computed once, by the fusion).
    const keywordList = parsed.mode === 'vector' ? -1 : 0;
    const vectorList = parsed.mode === 'keyword' ? -1 : parsed.mode === 'vector' ? 0 : 1;
    const bm25ById = new Map(keyword.map((k) => [k.id, k.bm25]));
    const similarityById = new Map(vector.map((v) => [v.id, v.score]));
    const halfLife = parsed.recencyHalfLifeMs ?? this.#options.search.recencyHalfLifeMs;
    const base = 1 - parsed.importanceWeight - parsed.recencyWeight;
    const scored = rows.map((row) => {
      const { rrf, ranks } = fused.get(row.id) as { rrf: number; ranks: number[] };
      const recency = recencyFactor(filter.now - row.createdAt, halfLife);
      const weight = base + parsed.importanceWeight * row.importance + parsed.recencyWeight * recency;
      const parts: ScoreParts = { rrf, importance: row.importance, recency, weight };
      const keywordRank = ranks[keywordList] ?? 0;
      const vectorRank = ranks[vectorList] ?? 0;
      if (keywordRank > 0) parts.keyword = { rank: keywordRank, bm25: bm25ById.get(row.id) as number };
      if (vectorRank > 0)
        parts.vector = { rank: vectorRank, similarity: similarityById.get(row.id) as number };
      return { row, score: rrf * weight, parts };
    });
    return { scored, keyword: keyword.length, vector: vector.length };
  }

  /** Writes buffered access records now (normally done every `accessFlushIntervalMs`). */
  async flushAccess(): Promise<void> {
    await this.#access.flush();
  }

  /**
   * Removes expired memories and, when `maxImportance` and `olderThanMs` are given, memories less
   * important than that and older than that (optionally only never-accessed-since ones). Nothing else in
   * the store ever deletes on its own.
   */
  async prune(
    policy: {
      maxImportance?: number;
      olderThanMs?: number;
      unaccessedOnly?: boolean;
      namespace?: string;
    } = {},
  ): Promise<{ deleted: string[] }> {
    this.#assertOpen();
    const parsed = parseOrThrow(PruneSchema, policy, 'prune policy');
    if ((parsed.maxImportance === undefined) !== (parsed.olderThanMs === undefined)) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        'maxImportance and olderThanMs go together (low-importance memories past an age)',
      );
    }
    const now = Date.now();
    const deleted = await this.#driver.prune(
      {
        ...(parsed.maxImportance === undefined
          ? {}
          : { maxImportance: parsed.maxImportance, olderThan: now - (parsed.olderThanMs as number) }),
        ...(parsed.unaccessedOnly ? { unaccessedOnly: true } : {}),
        ...(parsed.namespace === undefined ? {} : { namespace: parsed.namespace }),
      },
      now,
    );
    if (deleted.length > 0) {
      await this.reloadIndex();
      this.#events.emit('memory-deleted', { ids: deleted });
    }
    return { deleted };
  }

  /**
   * Embeds every memory without a vector of the active embedder (stored while the provider was down, or
   * embedded by another model). Nothing is lost while it is pending: keyword search finds it. Memories
   * stored without a vector are also embedded in the background (option `backfill`); this waits for such a
   * pass in flight rather than running beside it.
   */
  async backfill(
    options: { batchSize?: number; signal?: AbortSignal } = {},
  ): Promise<{ embedded: number; failed: number }> {
    this.#assertOpen();
    return this.#backfills.hold(async () => {
      const pass = await this.#embedMissing({
        batchSize: options.batchSize ?? this.#options.backfill.batchSize,
        ...(options.signal ? { signal: options.signal } : {}),
        pendingOnly: false,
        stopAtFailure: false,
      });
      this.#backfills.settled(pass);
      return { embedded: pass.embedded, failed: pass.failed };
    });
  }

  /** Where the background backfill of memories stored without a vector stands. */
  get backfillStatus(): BackfillStatus {
    return this.#backfills.status;
  }

  /**
   * Embeds memories missing a vector of the active model, batch by batch. `pendingOnly` leaves out those
   * embedded by another model (a background pass never re-embeds a whole store on its own);
   * `stopAtFailure` ends at the first failed batch (the provider is down: later ones would fail too).
   */
  async #embedMissing(options: {
    batchSize: number;
    signal?: AbortSignal;
    pendingOnly: boolean;
    stopAtFailure: boolean;
  }): Promise<BackfillPass> {
    const aborted = () =>
      new MemoryStoreError('ABORTED', 'backfill was aborted', { cause: options.signal?.reason });
    let embedded = 0;
    let failed = 0;
    let lastError: unknown;
    let after = '';
    for (;;) {
      if (options.signal?.aborted) throw aborted();
      const batch = await this.#driver.missingEmbeddings(this.#embedder.id, options.batchSize, after, {
        pendingOnly: options.pendingOnly,
      });
      if (batch.length === 0) break;
      after = (batch.at(-1) as { id: string }).id;
      await this.#indexes.learnDimensions(batch[0]?.content, options.signal);
      let vectors: Float32Array[];
      try {
        vectors = await this.#embedder.embedTexts(
          batch.map((item) => item.content),
          options.signal,
        );
      } catch (error) {
        if (options.signal?.aborted) throw aborted();
        failed += batch.length;
        lastError = error;
        this.#events.emit('embedding-failed', { count: batch.length, error });
        if (options.stopAtFailure) break;
        continue;
      }
      const model = this.#embedder.id;
      embedded += await this.#driver.setEmbeddings(
        batch.map((item, i) => ({
          id: item.id,
          contentHash: item.contentHash,
          model,
          vector: vectors[i] as Float32Array,
        })),
      );
      batch.forEach((item, i) => {
        this.#indexes.ensure(item.namespace).set(item.id, vectors[i] as Float32Array);
      });
    }
    return { embedded, failed, ...(failed > 0 ? { error: lastError } : {}) };
  }

  /**
   * Switches to another embedder: vectors of the new model already stored are loaded, every other memory
   * is (re-)embedded with it. Vectors of different models are never compared.
   */
  async reembed(
    embedder: Embedder,
    options: { batchSize?: number; signal?: AbortSignal } = {},
  ): Promise<{ embedded: number; failed: number }> {
    this.#assertOpen();
    if (embedder.dimensions > this.#options.limits.maxDimensions) {
      throw new MemoryStoreError(
        'DIMENSION_MISMATCH',
        `The embedder ${embedder.id} has ${embedder.dimensions} dimensions, over the limit`,
      );
    }
    this.#embedder.use(embedder);
    await this.reloadIndex();
    return this.backfill(options);
  }

  /** Writes every record (memories with or without vectors, entities, relations) as JSONL lines. */
  exportJsonl(options: ExportOptions = {}): AsyncGenerator<string> {
    this.#assertOpen();
    return exportJsonl(this.#driver, options);
  }

  /**
   * Imports a Mimo JSONL export or the official memory server's `memory.jsonl` (detected from the first
   * line). Batches are atomic; a bad line stops the import with `IMPORT_INVALID` naming it (earlier batches
   * stay imported, and re-running with `onConflict: 'skip'` is idempotent). Vectors of the active model
   * are loaded; other memories are embedded afterwards unless `embed: false`.
   */
  async importJsonl(
    source: AsyncIterable<string | Buffer> | Iterable<string>,
    options: ImportOptions = {},
  ): Promise<ImportResult> {
    this.#assertOpen();
    const result = await importJsonl(this.#driver, source, {
      ...options,
      defaultNamespace: this.#namespace(options.namespace),
    });
    await this.reloadIndex();
    if (options.embed !== false) {
      const backfilled = await this.backfill(options.signal ? { signal: options.signal } : {});
      result.embedded = backfilled.embedded;
    }
    return result;
  }

  /** `PRAGMA integrity_check` and the foreign-key check: `'ok'` or the problems found. */
  async integrityCheck(): Promise<string> {
    this.#assertOpen();
    return this.#driver.integrityCheck();
  }

  /** Flushes pending access records and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#backfills.close();
    await this.#access.close();
    this.#closed = true;
    this.#indexes.clear();
    await this.#driver.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
