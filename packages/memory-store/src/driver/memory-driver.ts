import type { KeywordTerm } from '../search/keyword-query.js';
import type { GraphDriver } from './graph-driver.js';
import type { ExportRecord, ImportCounts } from './transfer.js';

/** A value, or a promise of it: the SQLite driver answers synchronously, a networked one would not. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The storage boundary. The store talks only to this interface; `createSqliteDriver` implements it over one
 * SQLite file, and a PostgreSQL + pgvector driver could implement it without touching callers. Every
 * method that writes is atomic: it either applies entirely or not at all. Times are epoch milliseconds.
 */
export interface StorageDriver {
  /** e.g. `sqlite`. */
  readonly kind: string;
  /** File path (or `:memory:`). */
  readonly location: string;

  /** A cheap token that changes when another connection or process commits. */
  changeToken(): MaybePromise<number>;
  /**
   * Vector changes since `afterSeq` for one model (for refreshing an in-memory index). Rows written with a
   * sequence number in `skipSeqs` (the caller's own inserts, already in its index) are left out.
   */
  vectorChanges(model: string, afterSeq: number, skipSeqs?: readonly number[]): MaybePromise<VectorChanges>;
  /** The current change sequence number. */
  currentSeq(): MaybePromise<number>;

  /**
   * Inserts rows atomically. A row whose (namespace, contentHash) exists is not inserted: its existing id is
   * returned. The result carries the change sequence number the rows were written with.
   */
  insertMemories(
    rows: readonly NewMemoryRow[],
    limits: { maxPerNamespace: number },
  ): MaybePromise<InsertResult>;
  /** Rows by id within a namespace (expired rows excluded unless `includeExpired`). */
  getMemories(
    namespace: string,
    ids: readonly string[],
    now: number,
    includeExpired?: boolean,
  ): MaybePromise<MemoryRow[]>;
  /** The id of the live memory with this hash, if any. */
  findByHash(namespace: string, contentHash: string): MaybePromise<string | undefined>;
  /** Applies a patch atomically; returns the updated row, or undefined if absent. A changed content hash that collides with another memory is a CONFLICT. */
  updateMemory(
    namespace: string,
    id: string,
    patch: MemoryPatch,
    now: number,
  ): MaybePromise<MemoryRow | undefined>;
  /** Deletes by id; returns the ids actually deleted. */
  deleteMemories(namespace: string, ids: readonly string[]): MaybePromise<string[]>;
  /** Deletes every memory matching the filter; returns their ids. */
  deleteWhere(filter: MemoryFilter): MaybePromise<string[]>;
  /** A page of memories ordered by (createdAt, id), newest first. */
  listMemories(
    filter: MemoryFilter,
    page: { limit: number; cursor?: string | undefined },
  ): MaybePromise<{ rows: MemoryRow[]; nextCursor: string | undefined }>;
  /** Number of memories matching the filter. */
  countMemories(filter: MemoryFilter): MaybePromise<number>;
  /** Ids matching the filter (for restricting a vector search), at most `limit`. */
  filterIds(filter: MemoryFilter, limit: number): MaybePromise<string[]>;
  /**
   * Keyword search: BM25-ranked ids (lower bm25 is better), filters applied in the same query. `changeToken`
   * is the {@link changeToken} the caller read for this search: a driver that caches by database state uses
   * it rather than reading its own (a search reads the token once).
   */
  keywordSearch(
    filter: MemoryFilter,
    terms: readonly KeywordTerm[],
    limit: number,
    options?: { changeToken?: number },
  ): MaybePromise<Array<{ id: string; bm25: number }>>;
  /** Records reads (batched): sets accessed_at and increments access_count. */
  recordAccess(entries: ReadonlyArray<{ id: string; at: number }>): MaybePromise<void>;
  /** Deletes expired memories and, when given, low-importance ones older than a cut-off. */
  prune(policy: PrunePolicy, now: number): MaybePromise<string[]>;
  /** Stored vectors of `model`, in batches. */
  iterateVectors(model: string, batchSize: number): Iterable<StoredVector[]> | AsyncIterable<StoredVector[]>;
  /**
   * Memories without a vector for `model` (pending, or embedded by another model), by id; with
   * `pendingOnly`, only those with no vector at all.
   */
  missingEmbeddings(
    model: string,
    limit: number,
    afterId?: string,
    options?: { pendingOnly?: boolean },
  ): MaybePromise<Array<{ id: string; namespace: string; content: string; contentHash: string }>>;
  /** Stores vectors atomically (each row's content hash must still match, so a concurrent edit wins). */
  setEmbeddings(
    items: ReadonlyArray<{ id: string; contentHash: string; model: string; vector: Float32Array }>,
  ): MaybePromise<number>;
  /** Per-namespace statistics (all namespaces when undefined). */
  stats(namespace: string | undefined, now: number): MaybePromise<StoreStats>;
  /** Namespaces holding memories or graph data. */
  namespaces(): MaybePromise<string[]>;

  cacheGet(model: string, hashes: readonly string[]): MaybePromise<Map<string, Float32Array>>;
  cachePut(model: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): MaybePromise<void>;

  /** Knowledge graph operations. */
  readonly graph: GraphDriver;

  /** Every record for export, in a stable order. */
  exportRecords(options: {
    namespace?: string;
    includeVectors: boolean;
  }): Iterable<ExportRecord> | AsyncIterable<ExportRecord>;
  /** Imports a batch atomically; existing ids/names are skipped (`skip`) or overwritten (`replace`). */
  importRecords(records: readonly ExportRecord[], onConflict: 'skip' | 'replace'): MaybePromise<ImportCounts>;

  /** `PRAGMA integrity_check` (or the backend's equivalent): 'ok' or the problems. */
  integrityCheck(): MaybePromise<string>;
  /** Closes the connection. Idempotent. */
  close(): MaybePromise<void>;
}

/** The fields a memory row has both when written and when read. */
interface MemoryFields {
  id: string;
  namespace: string;
  content: string;
  kind: string;
  tags: string[];
  importance: number;
  metadata: Record<string, unknown>;
  createdAt: number;
  expiresAt: number | null;
  contentHash: string;
}

/** A memory to insert, with its vector when it has one. */
export interface NewMemoryRow extends MemoryFields {
  embedding: { model: string; vector: Float32Array } | null;
}

/** A stored memory as read back. */
export interface MemoryRow extends MemoryFields {
  updatedAt: number;
  accessedAt: number | null;
  accessCount: number;
  embeddingModel: string | null;
  embeddingDims: number | null;
}

export interface MemoryPatch {
  content?: string;
  contentHash?: string;
  kind?: string;
  tags?: string[];
  importance?: number;
  metadata?: Record<string, unknown>;
  expiresAt?: number | null;
  /** New vector (with content changes), or null to mark the vector pending. */
  embedding?: { model: string; vector: Float32Array } | null;
}

export interface MemoryFilter {
  namespace: string;
  kinds?: readonly string[];
  /** At least one of these tags. */
  tagsAny?: readonly string[];
  /** Every one of these tags. */
  tagsAll?: readonly string[];
  createdAfter?: number;
  createdBefore?: number;
  minImportance?: number;
  maxImportance?: number;
  /** Expired memories are excluded: those with expiresAt ≤ now. */
  now: number;
  ids?: readonly string[];
}

export type InsertOutcome = { id: string; status: 'created' } | { id: string; status: 'duplicate' };

/** What {@link StorageDriver.insertMemories} did: one outcome per row, in order, and the rows' sequence number. */
export interface InsertResult {
  seq: number;
  outcomes: InsertOutcome[];
}

export interface PrunePolicy {
  /** Also delete memories below this importance… */
  maxImportance?: number;
  /** …that were created before this time (and not accessed since, when `unaccessedOnly`). */
  olderThan?: number;
  unaccessedOnly?: boolean;
  namespace?: string;
}

export interface StoredVector {
  id: string;
  namespace: string;
  vector: Float32Array;
}

export interface VectorChanges {
  /** The sequence number these changes bring the caller to. */
  seq: number;
  /** True when the history needed is no longer kept: reload everything instead. */
  reset: boolean;
  /** Current vectors of changed memories (new, edited or re-embedded). */
  upserts: StoredVector[];
  /** Memories removed, or whose vector is no longer of this model. */
  removals: Array<{ id: string; namespace: string }>;
}

export interface StoreStats {
  memories: number;
  withVector: number;
  pendingEmbeddings: number;
  expired: number;
  entities: number;
  relations: number;
  byKind: Record<string, number>;
  byModel: Record<string, number>;
  oldestCreatedAt: number | null;
  newestCreatedAt: number | null;
}
