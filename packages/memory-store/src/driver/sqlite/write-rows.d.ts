import type Database from 'better-sqlite3';
import type { InsertResult, NewMemoryRow } from '../memory-driver.js';

/** Builds the error to throw for a failed limit check (the driver and the writer thread each make their own). */
export type Fail = (
  code: 'NAMESPACE_FULL' | 'INVALID_ARGUMENT',
  message: string,
  data: Record<string, unknown>,
) => Error;
/** A cached prepared statement by SQL. */
export type StatementCache = (sql: string) => Database.Statement;

export declare function hashKey(hex: string): Buffer;
export declare function vectorBlob(vector: Float32Array): Buffer;
export declare function jsonObject(value: Record<string, unknown>): string;
export declare function configureConnection(db: Database.Database, synchronous: 'full' | 'normal'): void;
/** Memory rows as columns (see `toColumns`). */
export interface MemoryColumns {
  ids: string[];
  namespaces: string[];
  contents: string[];
  kinds: string[];
  /** JSON arrays. */
  tags: string[];
  importance: Float64Array;
  /** JSON objects. */
  metadata: string[];
  createdAt: Float64Array;
  expiresAt: Array<number | null>;
  /** Each row's content hash, 32 bytes apiece. */
  hashes: Uint8Array;
  models: Array<string | null>;
  /** 0 for a row without a vector. */
  dims: Int32Array;
  /** The vectors of the rows that have one, in order. */
  vectors: Float32Array;
}
/** What `insertMemoryRows` wrote: the sequence number and the rows skipped as exact duplicates. */
export interface WrittenRows {
  seq: number;
  duplicates: Array<[index: number, existingId: string]>;
}
export declare function toColumns(rows: readonly NewMemoryRow[], fail: Fail): MemoryColumns;
export declare function insertMemoryRows(
  statement: StatementCache,
  columns: MemoryColumns,
  maxPerNamespace: number,
  fail: Fail,
): WrittenRows;
export declare function insertOutcomes(ids: readonly string[], written: WrittenRows): InsertResult;
export declare function addToNamespaceCounts(
  statement: StatementCache,
  added: Map<string, number>,
  maxPerNamespace: number,
  fail: Fail,
): void;
