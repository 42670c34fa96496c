import type Database from 'better-sqlite3';
import type { InsertResult, NewMemoryRow } from '../types.js';

/** Builds the error to throw for a failed limit check (the driver and the writer thread each make their own). */
export type Fail = (code: 'NAMESPACE_FULL', message: string, data: Record<string, unknown>) => Error;
/** A cached prepared statement by SQL. */
export type StatementCache = (sql: string) => Database.Statement;

export declare function vectorBlob(vector: Float32Array): Buffer;
export declare function jsonObject(value: Record<string, unknown>): string;
export declare function configureConnection(db: Database.Database, synchronous: 'full' | 'normal'): void;
export declare function insertMemoryRows(
  statement: StatementCache,
  rows: readonly NewMemoryRow[],
  maxPerNamespace: number,
  fail: Fail,
): InsertResult;
export declare function addToNamespaceCounts(
  statement: StatementCache,
  added: Map<string, number>,
  maxPerNamespace: number,
  fail: Fail,
): void;
