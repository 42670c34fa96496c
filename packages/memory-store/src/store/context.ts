// The parts of a memory store that its operations (create, search, backfill…) share.
import type { StorageDriver } from '../driver/memory-driver.js';
import type { BackfillScheduler } from '../embedding/backfill-scheduler.js';
import type { CachedEmbedder } from '../embedding/cached-embedder.js';
import type { ResolvedOptions } from '../options.js';
import type { MemoryStoreEmitter } from './events.js';
import type { NamespaceIndexes } from './namespace-index.js';

/** One per store, built by its constructor; every operation of `store/` takes it first. */
export interface StoreContext {
  readonly driver: StorageDriver;
  readonly options: ResolvedOptions;
  readonly embedder: CachedEmbedder;
  readonly indexes: NamespaceIndexes;
  readonly events: MemoryStoreEmitter;
  readonly backfills: BackfillScheduler;
}
