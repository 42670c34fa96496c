// The SQLite driver's facade. One file per concept, a layout a PostgreSQL driver mirrors file for file:
// connection (open, migrate, transactions), rows (row mapping, cursors), filters (filter SQL), changes
// (the change log), keyword-search, memories (CRUD), vectors (and the embedding cache), stats, transfer
// (import/export) and graph.

import type { KeywordTerm } from '../../search/keyword-query.js';
import type {
  InsertResult,
  MemoryFilter,
  MemoryPatch,
  MemoryRow,
  NewMemoryRow,
  PrunePolicy,
  StorageDriver,
  StoredVector,
  StoreStats,
  VectorChanges,
} from '../memory-driver.js';
import type { ExportRecord, ImportCounts } from '../transfer.js';
import * as changes from './changes.js';
import { SqliteConnection, type SqliteDriverOptions } from './connection.js';
import { SqliteGraph } from './graph.js';
import { KeywordSearch } from './keyword-search.js';
import * as memories from './memories.js';
import * as stats from './stats.js';
import * as transfer from './transfer.js';
import * as vectors from './vectors.js';

export { type SqliteDriverOptions, WRITER_THREAD_MIN_ROWS } from './connection.js';

/**
 * The SQLite implementation of the storage driver: one file, WAL, `synchronous=FULL` by default, a busy
 * timeout, foreign keys on, every write in `BEGIN IMMEDIATE`, versioned migrations at open.
 *
 * @throws {MemoryStoreError} `STORAGE_ERROR` (not a database, cannot open), `DATABASE_TOO_NEW`, `MIGRATION_FAILED`
 */
export function createSqliteDriver(options: SqliteDriverOptions): StorageDriver {
  return new SqliteDriver(options);
}

class SqliteDriver implements StorageDriver {
  readonly kind = 'sqlite';
  readonly location: string;
  readonly graph: SqliteGraph;
  readonly #connection: SqliteConnection;
  readonly #keywords: KeywordSearch;

  constructor(options: SqliteDriverOptions) {
    this.location = options.path;
    this.#connection = new SqliteConnection(options);
    this.graph = new SqliteGraph(this.#connection);
    this.#keywords = new KeywordSearch(this.#connection);
  }

  changeToken(): number {
    return changes.changeToken(this.#connection);
  }

  currentSeq(): number {
    return this.#connection.currentSeq();
  }

  vectorChanges(model: string, afterSeq: number, skipSeqs?: readonly number[]): VectorChanges {
    return changes.vectorChanges(this.#connection, model, afterSeq, skipSeqs);
  }

  insertMemories(
    rows: readonly NewMemoryRow[],
    limits: { maxPerNamespace: number },
  ): InsertResult | Promise<InsertResult> {
    return memories.insertMemories(this.#connection, rows, limits);
  }

  getMemories(namespace: string, ids: readonly string[], now: number, includeExpired?: boolean): MemoryRow[] {
    return memories.getMemories(this.#connection, namespace, ids, now, includeExpired);
  }

  findByHash(namespace: string, contentHash: string): string | undefined {
    return memories.findByHash(this.#connection, namespace, contentHash);
  }

  updateMemory(namespace: string, id: string, patch: MemoryPatch, now: number): MemoryRow | undefined {
    return memories.updateMemory(this.#connection, namespace, id, patch, now);
  }

  deleteMemories(namespace: string, ids: readonly string[]): string[] {
    return memories.deleteMemories(this.#connection, namespace, ids);
  }

  deleteWhere(filter: MemoryFilter): string[] {
    return memories.deleteWhere(this.#connection, filter);
  }

  listMemories(filter: MemoryFilter, page: { limit: number; cursor?: string | undefined }) {
    return memories.listMemories(this.#connection, filter, page);
  }

  countMemories(filter: MemoryFilter): number {
    return memories.countMemories(this.#connection, filter);
  }

  filterIds(filter: MemoryFilter, limit: number): string[] {
    return memories.filterIds(this.#connection, filter, limit);
  }

  keywordSearch(
    filter: MemoryFilter,
    terms: readonly KeywordTerm[],
    limit: number,
    options?: { changeToken?: number },
  ): Array<{ id: string; bm25: number }> {
    return this.#keywords.keywordSearch(filter, terms, limit, options);
  }

  recordAccess(entries: ReadonlyArray<{ id: string; at: number }>): void {
    memories.recordAccess(this.#connection, entries);
  }

  prune(policy: PrunePolicy, now: number): string[] {
    return memories.prune(this.#connection, policy, now);
  }

  iterateVectors(model: string, batchSize: number): IterableIterator<StoredVector[]> {
    return vectors.iterateVectors(this.#connection, model, batchSize);
  }

  missingEmbeddings(model: string, limit: number, afterId?: string, options?: { pendingOnly?: boolean }) {
    return vectors.missingEmbeddings(this.#connection, model, limit, afterId, options);
  }

  setEmbeddings(
    items: ReadonlyArray<{ id: string; contentHash: string; model: string; vector: Float32Array }>,
  ): number {
    return vectors.setEmbeddings(this.#connection, items);
  }

  cacheGet(model: string, hashes: readonly string[]): Map<string, Float32Array> {
    return vectors.cacheGet(this.#connection, model, hashes);
  }

  cachePut(model: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): void {
    vectors.cachePut(this.#connection, model, entries);
  }

  stats(namespace: string | undefined, now: number): StoreStats {
    return stats.stats(this.#connection, namespace, now);
  }

  namespaces(): string[] {
    return stats.namespaces(this.#connection);
  }

  exportRecords(options: { namespace?: string; includeVectors: boolean }): IterableIterator<ExportRecord> {
    return transfer.exportRecords(this.#connection, options);
  }

  importRecords(records: readonly ExportRecord[], onConflict: 'skip' | 'replace'): ImportCounts {
    return transfer.importRecords(this.#connection, this.graph, records, onConflict);
  }

  integrityCheck(): string {
    return this.#connection.integrityCheck();
  }

  close(): Promise<void> {
    return this.#connection.close();
  }
}
