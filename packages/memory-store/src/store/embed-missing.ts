// A backfill pass: embeds the memories that have no vector of the active model, batch by batch.
import type { BackfillPass } from '../embedding/backfill-scheduler.js';
import { MemoryStoreError } from '../errors.js';
import type { StoreContext } from './context.js';

/**
 * Embeds memories missing a vector of the active model, batch by batch. `pendingOnly` leaves out those
 * embedded by another model (a background pass never re-embeds a whole store on its own);
 * `stopAtFailure` ends at the first failed batch (the provider is down: later ones would fail too).
 */
export async function embedMissing(
  context: StoreContext,
  options: {
    batchSize: number;
    signal?: AbortSignal;
    pendingOnly: boolean;
    stopAtFailure: boolean;
  },
): Promise<BackfillPass> {
  const aborted = () =>
    new MemoryStoreError('ABORTED', 'backfill was aborted', { cause: options.signal?.reason });
  let embedded = 0;
  let failed = 0;
  let lastError: unknown;
  let after = '';
  for (;;) {
    if (options.signal?.aborted) throw aborted();
    const batch = await context.driver.missingEmbeddings(context.embedder.id, options.batchSize, after, {
      pendingOnly: options.pendingOnly,
    });
    if (batch.length === 0) break;
    after = (batch.at(-1) as { id: string }).id;
    await context.indexes.learnDimensions(batch[0]?.content, options.signal);
    let vectors: Float32Array[];
    try {
      vectors = await context.embedder.embedTexts(
        batch.map((item) => item.content),
        options.signal,
      );
    } catch (error) {
      if (options.signal?.aborted) throw aborted();
      failed += batch.length;
      lastError = error;
      context.events.emit('embedding-failed', { count: batch.length, error });
      if (options.stopAtFailure) break;
      continue;
    }
    const model = context.embedder.id;
    embedded += await context.driver.setEmbeddings(
      batch.map((item, i) => ({
        id: item.id,
        contentHash: item.contentHash,
        model,
        vector: vectors[i] as Float32Array,
      })),
    );
    batch.forEach((item, i) => {
      context.indexes.ensure(item.namespace).set(item.id, vectors[i] as Float32Array);
    });
  }
  return { embedded, failed, ...(failed > 0 ? { error: lastError } : {}) };
}
