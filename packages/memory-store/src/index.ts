// `@mimo-mcp/memory-store`: the store, its embedders, errors and the storage driver interfaces. The SQLite
// driver is on `./sqlite`, test doubles on `./testing`, the writer thread's file on `./writer-thread`.
export type { Disposable } from '@mimo-mcp/core';
export type {
  EntityRow,
  GraphDriver,
  NewRelation,
  RelationRow,
  TraversalOptions,
} from './driver/graph-driver.js';
export type {
  InsertOutcome,
  InsertResult,
  MaybePromise,
  MemoryFilter,
  MemoryPatch,
  MemoryRow,
  NewMemoryRow,
  PrunePolicy,
  StorageDriver,
  StoredVector,
  StoreStats,
  VectorChanges,
} from './driver/memory-driver.js';
export type { ExportRecord, ImportCounts } from './driver/transfer.js';
export type { BackfillStatus } from './embedding/backfill-scheduler.js';
export type { Embedder } from './embedding/embedder.js';
export {
  createOllamaEmbedder,
  createOpenAiEmbedder,
  type HttpEmbedderOptions,
  type OllamaEmbedderOptions,
  type OpenAiEmbedderOptions,
  parseRetryAfter,
} from './embedding/http-embedders.js';
export { createLocalEmbedder, type LocalEmbedderOptions } from './embedding/local-embedder.js';
export { MemoryStoreError, type MemoryStoreErrorCode } from './errors.js';
export { type Entity, GraphStore, type Relation, type RelationInput } from './graph/graph-store.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  type ExportOptions,
  type ImportOptions,
  type ImportResult,
} from './io/jsonl.js';
export { type MemoryStoreOptions, MemoryStoreOptionsSchema, NamespaceSchema } from './options.js';
export { reciprocalRankFusion, type ScoreParts } from './search/fusion.js';
export { type KeywordTerm, MAX_KEYWORD_TERMS, parseKeywordQuery } from './search/keyword-query.js';
export { type CreateOptions, type CreateResult, NEAR_DUPLICATE_TOLERANCE } from './store/create-pipeline.js';
export type { MemoryStoreEvents } from './store/events.js';
export type { SearchHit, SearchResult } from './store/hybrid-search.js';
export type { Memory } from './store/memory.js';
export {
  FilterSchema,
  MEMORY_PATCH_FIELDS,
  type MemoryFilterInput,
  type MemoryInput,
  MemoryInputSchema,
  type MemoryPatchInput,
  MemoryPatchSchema,
  type SearchOptions,
  SearchSchema,
} from './store/schemas.js';
export { MemoryStore, openMemoryStore } from './store.js';
