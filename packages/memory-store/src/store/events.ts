// The events a memory store emits.

/** The events of {@link MemoryStore.on}: name to payload. */
export interface MemoryStoreEvents extends Record<string, unknown> {
  'memory-created': { ids: string[] };
  'memory-updated': { id: string };
  'memory-deleted': { ids: string[] };
  /** Writes stored without a vector because embedding failed; the background backfill embeds them later. */
  'embedding-failed': { count: number; error: unknown };
  /** A background backfill pass ended: `failed` memories are still pending (it retries with backoff). */
  'backfill-finished': { embedded: number; failed: number; durationMs: number };
  /** The vector index caught up with writes made by other processes. */
  'index-refreshed': { upserts: number; removals: number; reset: boolean; durationMs: number };
  'access-flush-failed': { error: unknown };
}

/** What the store's parts need of its event listeners: emitting (the facade owns subscriptions). */
export interface MemoryStoreEmitter {
  emit<E extends keyof MemoryStoreEvents>(event: E, payload: MemoryStoreEvents[E]): void;
}
