import type { Embedder } from '../embedding/embedder.js';
import { createLocalEmbedder } from '../embedding/local-embedder.js';
import { MemoryStoreError } from '../errors.js';

/** An {@link Embedder} that can be switched off, with the number of calls it answered or refused. */
export interface FlakyEmbedder extends Embedder {
  /** While true, every call fails with `EMBEDDING_FAILED`, as an unreachable provider does. */
  down: boolean;
  /** Calls to `embed`, failed ones included. */
  calls: number;
}

/**
 * A deterministic 64-dimension embedder (the local hashing embedder) that can be switched off, to simulate
 * a provider outage in tests: writes made while it is down are stored pending and backfilled later.
 */
export function createFlakyEmbedder(): FlakyEmbedder {
  const inner = createLocalEmbedder({ dimensions: 64 });
  const embedder = {
    id: 'flaky-64',
    dimensions: 64,
    persistentCache: true,
    down: false,
    calls: 0,
    async embed(texts: readonly string[]) {
      embedder.calls++;
      if (embedder.down) throw new MemoryStoreError('EMBEDDING_FAILED', 'provider unreachable');
      return inner.embed(texts);
    },
  };
  return embedder;
}
