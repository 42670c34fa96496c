import { type Disposable, Listeners } from '@mimo-mcp/core';
import type { z } from 'zod';
import type { StorageDriver, StoreStats } from './driver/memory-driver.js';
import { createSqliteDriver } from './driver/sqlite/sqlite-driver.js';
import { BackfillScheduler, type BackfillStatus } from './embedding/backfill-scheduler.js';
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
import { AccessRecorder } from './store/access-recorder.js';
import type { StoreContext } from './store/context.js';
import { type CreateOptions, type CreateResult, createMemories } from './store/create-pipeline.js';
import { embedMissing } from './store/embed-missing.js';
import type { MemoryStoreEvents } from './store/events.js';
import { filterRestricts, parseFilter } from './store/filters.js';
import { type SearchResult, searchMemories } from './store/hybrid-search.js';
import { type Memory, toMemory } from './store/memory.js';
import { NamespaceIndexes } from './store/namespace-index.js';
import {
  ListSchema,
  type MemoryFilterInput,
  type MemoryInput,
  type MemoryPatchInput,
  PruneSchema,
  type SearchOptions,
} from './store/schemas.js';
import { updateMemory } from './store/update-memory.js';

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
  readonly #context: StoreContext;
  readonly #events = new Listeners<MemoryStoreEvents>();
  readonly #access: AccessRecorder;
  #closed = false;
  /** The knowledge graph of this store (entities, relations, traversal), same file and namespaces. */
  readonly graph: GraphStore;

  /** @internal use {@link openMemoryStore} */
  constructor(driver: StorageDriver, embedder: Embedder, options: ResolvedOptions) {
    const events = this.#events;
    const cachedEmbedder = new CachedEmbedder(driver, embedder, options.embeddingCacheSize);
    const assertOpen = () => this.#assertOpen();
    this.#context = {
      driver,
      options,
      embedder: cachedEmbedder,
      indexes: new NamespaceIndexes(driver, cachedEmbedder, events, assertOpen),
      events,
      backfills: new BackfillScheduler(
        options.backfill,
        (signal) =>
          embedMissing(this.#context, {
            batchSize: options.backfill.batchSize,
            signal,
            pendingOnly: true,
            stopAtFailure: true,
          }),
        ({ embedded, failed, durationMs }) =>
          events.emit('backfill-finished', { embedded, failed, durationMs }),
      ),
    };
    this.#access = new AccessRecorder(driver, options.accessFlushIntervalMs, events);
    this.graph = new GraphStore({
      driver,
      embedder: cachedEmbedder,
      defaultNamespace: options.namespace,
      assertOpen,
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
    if (!this.#context.options.backfill.auto) return;
    const pending = await this.#context.driver.missingEmbeddings(this.#context.embedder.id, 1, '', {
      pendingOnly: true,
    });
    if (pending.length > 0) this.#context.backfills.pendingFound();
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The embedder whose vectors are searched. */
  get embedder(): Embedder {
    return this.#context.embedder.current;
  }

  /** The default namespace. */
  get namespace(): string {
    return this.#context.options.namespace;
  }

  /** Where the data lives (file path or `:memory:`). */
  get location(): string {
    return this.#context.driver.location;
  }

  #assertOpen(): void {
    if (this.#closed) throw new MemoryStoreError('CLOSED', 'The memory store is closed');
  }

  #namespace(value: string | undefined): string {
    return resolveNamespace(value, this.#context.options.namespace);
  }

  /** Rebuilds the in-memory vector indexes from the database (vectors of the active embedder only). */
  async reloadIndex(): Promise<void> {
    await this.#context.indexes.reload();
  }

  /**
   * Applies writes made by other connections or processes (noticed through the database's change token)
   * to the in-memory indexes. Called before every search; cheap when nothing changed.
   */
  async sync(): Promise<void> {
    await this.#context.indexes.sync();
  }

  /**
   * Embeds texts with the active embedder, through the in-memory LRU and (for embedders that ask for it)
   * the persistent cache keyed by model and content hash.
   *
   * @throws {MemoryStoreError} `EMBEDDING_FAILED` when the embedder answers with the wrong number or size of vectors
   */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    return this.#context.embedder.embedTexts(texts, signal);
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
    return createMemories(this.#context, inputs, options);
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
    const rows = await this.#context.driver.getMemories(namespace, ids, Date.now());
    this.#access.record(rows.map((row) => row.id));
    return rows.map((row) => toMemory(row, this.#context.embedder.id));
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
    return updateMemory(this.#context, id, patch, options);
  }

  /** Deletes memories by id; returns the ids that existed. */
  async delete(ids: string | readonly string[], options: { namespace?: string } = {}): Promise<string[]> {
    this.#assertOpen();
    const namespace = this.#namespace(options.namespace);
    const list = typeof ids === 'string' ? [ids] : [...ids];
    const deleted = await this.#context.driver.deleteMemories(namespace, list);
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
    const resolved = parseFilter(rest, this.namespace);
    if (all !== true && !filterRestricts(resolved)) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        'deleteWhere needs a filter besides the namespace (kinds, tags, time or importance); to empty the whole namespace pass { all: true }',
      );
    }
    const deleted = await this.#context.driver.deleteWhere(resolved);
    this.#forget(resolved.namespace, deleted);
    return deleted;
  }

  #forget(namespace: string, ids: readonly string[]): void {
    for (const id of ids) this.#context.indexes.remove(namespace, id);
    if (ids.length > 0) this.#context.events.emit('memory-deleted', { ids: [...ids] });
  }

  /** A page of memories, newest first, with a cursor for the next page. */
  async list(
    options: z.input<typeof ListSchema> = {},
  ): Promise<{ memories: Memory[]; nextCursor: string | undefined }> {
    this.#assertOpen();
    const { limit, cursor, ...filter } = parseOrThrow(ListSchema, options, 'list options');
    const page = await this.#context.driver.listMemories(parseFilter(filter, this.namespace), {
      limit,
      cursor,
    });
    return {
      memories: page.rows.map((row) => toMemory(row, this.#context.embedder.id)),
      nextCursor: page.nextCursor,
    };
  }

  /** Number of memories matching the filter. */
  async count(filter: MemoryFilterInput = {}): Promise<number> {
    this.#assertOpen();
    return this.#context.driver.countMemories(parseFilter(filter, this.namespace));
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
    const stats = await this.#context.driver.stats(namespace, Date.now());
    const indexedVectors = this.#context.indexes.size(namespace);
    return {
      ...stats,
      namespace: namespace ?? '*',
      indexedVectors,
      backfill: this.#context.backfills.status,
    };
  }

  /** Namespaces holding data. */
  async namespaces(): Promise<string[]> {
    this.#assertOpen();
    return this.#context.driver.namespaces();
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
    const result = await searchMemories(this.#context, options);
    this.#access.record(result.hits.map((hit) => hit.memory.id));
    return result;
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
    const deleted = await this.#context.driver.prune(
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
      this.#context.events.emit('memory-deleted', { ids: deleted });
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
    return this.#context.backfills.hold(async () => {
      const pass = await embedMissing(this.#context, {
        batchSize: options.batchSize ?? this.#context.options.backfill.batchSize,
        ...(options.signal ? { signal: options.signal } : {}),
        pendingOnly: false,
        stopAtFailure: false,
      });
      this.#context.backfills.settled(pass);
      return { embedded: pass.embedded, failed: pass.failed };
    });
  }

  /** Where the background backfill of memories stored without a vector stands. */
  get backfillStatus(): BackfillStatus {
    return this.#context.backfills.status;
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
    if (embedder.dimensions > this.#context.options.limits.maxDimensions) {
      throw new MemoryStoreError(
        'DIMENSION_MISMATCH',
        `The embedder ${embedder.id} has ${embedder.dimensions} dimensions, over the limit`,
      );
    }
    this.#context.embedder.use(embedder);
    await this.reloadIndex();
    return this.backfill(options);
  }

  /** Writes every record (memories with or without vectors, entities, relations) as JSONL lines. */
  exportJsonl(options: ExportOptions = {}): AsyncGenerator<string> {
    this.#assertOpen();
    return exportJsonl(this.#context.driver, options);
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
    const result = await importJsonl(this.#context.driver, source, {
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
    return this.#context.driver.integrityCheck();
  }

  /** Flushes pending access records and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#context.backfills.close();
    await this.#access.close();
    this.#closed = true;
    this.#context.indexes.clear();
    await this.#context.driver.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
