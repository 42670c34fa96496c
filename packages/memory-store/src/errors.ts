import { MimoError } from '@mimo-mcp/core';

/** Codes of {@link MemoryStoreError}. */
export type MemoryStoreErrorCode =
  /** An argument or option is invalid (the message names it, the value and the rule). */
  | 'INVALID_ARGUMENT'
  /** Content exceeds the configured maximum size. */
  | 'CONTENT_TOO_LARGE'
  /** A namespace holds the configured maximum number of memories. */
  | 'NAMESPACE_FULL'
  /** A vector has more dimensions than allowed, or not the active embedder's dimensions. */
  | 'DIMENSION_MISMATCH'
  /** No memory, entity or relation with that id or name. */
  | 'NOT_FOUND'
  /** The write conflicts with existing data (e.g. an entity name already taken). */
  | 'CONFLICT'
  /** The database was written by a newer version of this package. */
  | 'DATABASE_TOO_NEW'
  /** A schema migration failed; the database was left as it was. */
  | 'MIGRATION_FAILED'
  /** The database file is unusable (corrupt, not a database, locked beyond the busy timeout). */
  | 'STORAGE_ERROR'
  /** The embedding provider failed or returned something unusable. */
  | 'EMBEDDING_FAILED'
  /** An import file line is invalid (the message names the line). */
  | 'IMPORT_INVALID'
  /** The operation was aborted through its signal. */
  | 'ABORTED'
  /** The store is closed. */
  | 'CLOSED';

/**
 * The error of `@mimo-mcp/memory-store`. SQLite and provider errors are wrapped, keeping the original as
 * `cause`; `data` carries the facts a caller needs (limits, ids, line numbers).
 *
 * @example
 * catch (error) { if (MemoryStoreError.isInstance(error) && error.code === 'CONTENT_TOO_LARGE') … }
 */
export class MemoryStoreError extends MimoError<MemoryStoreErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.MemoryStoreError');
  override readonly name = 'MemoryStoreError';
}

/** Wraps an unknown failure (e.g. a SqliteError) as a `STORAGE_ERROR`, unless it already is ours. */
export function storageError(action: string, error: unknown): MemoryStoreError {
  if (MemoryStoreError.isInstance(error)) return error;
  const code = (error as { code?: unknown })?.code;
  return new MemoryStoreError(
    'STORAGE_ERROR',
    `${action} failed: ${(error as Error)?.message ?? String(error)}${typeof code === 'string' ? ` (${code})` : ''}`,
    { cause: error },
  );
}
