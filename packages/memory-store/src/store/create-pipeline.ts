// The pipeline of createMany: validation, embedding, near-duplicate check, insert, reconciliation, merges.
import { AUTO_EXACT_MAX_FLOATS, type VectorHit, VectorIndex } from '@mimo-mcp/vector-nif';
import type { InsertResult, NewMemoryRow } from '../driver/memory-driver.js';
import { MemoryStoreError } from '../errors.js';
import { parseOrThrow, resolveNamespace } from '../options.js';
import { contentHash } from '../util/hash.js';
import { newId } from '../util/ids.js';
import type { StoreContext } from './context.js';
import { type MemoryInput, MemoryInputSchema } from './schemas.js';

/** Options of {@link MemoryStore.create} and {@link MemoryStore.createMany}. */
export interface CreateOptions {
  signal?: AbortSignal;
  /**
   * `check` (default) compares each new memory with its namespace's vectors, and with the memories before
   * it in the same call, and reports near duplicates (merging them when `dedup.mergeNearDuplicates` is on);
   * `merge` merges them whatever that option says; `skip` leaves the check out, for bulk loads. Exact
   * duplicates are always detected.
   */
  nearDuplicates?: 'check' | 'merge' | 'skip';
}

/**
 * Scores are float32 dot products of float32 unit vectors, a few units in the 7th digit off the exact
 * cosine: a pair whose cosine is exactly the threshold scores 0.94999998 against 0.95. Similarities within
 * this tolerance below the threshold count as reaching it.
 */
export const NEAR_DUPLICATE_TOLERANCE = 1e-6;

/** What became of one input of {@link MemoryStore.createMany}, in input order. */
export interface CreateResult {
  id: string;
  /** `created`, `duplicate` (same content already stored: its id is returned), or `merged` into a near duplicate. */
  status: 'created' | 'duplicate' | 'merged';
  /** Set when an existing memory is at least `nearDuplicateThreshold` similar. */
  nearDuplicate?: { id: string; similarity: number };
}

/** The closest vector of an index to `vector`, scored exactly (undefined when the index is empty). */
function nearestNeighbour(index: VectorIndex | undefined, vector: Float32Array): VectorHit | undefined {
  if (!index || index.size === 0) return undefined;
  // A near duplicate (cosine ≥ 0.95 by default) differs in few sign bits: a 1-bit scan with an exact re-rank
  // of the closest 64 finds it at a fraction of a full scan's cost once the namespace is large (0.18 ms
  // against 8 ms exact and 1.35 ms int8 at 100,000 × 384; it found 300 of 300 one-word edits at 30,000).
  const large = index.size * index.dimensions > AUTO_EXACT_MAX_FLOATS;
  return index.search(vector, {
    k: 1,
    ...(large ? { mode: 'binary' as const, pool: 64 } : { mode: 'exact' as const }),
  })[0];
}

/**
 * The pipeline of {@link MemoryStore.createMany}: validate, embed outside any transaction, check near
 * duplicates (against the namespace and the batch itself), insert (possibly on the writer thread while
 * the vectors go into the index), then reconcile exact duplicates and apply merges.
 */
export async function createMemories(
  context: StoreContext,
  inputs: readonly MemoryInput[],
  options: CreateOptions = {},
): Promise<CreateResult[]> {
  if (!Array.isArray(inputs))
    throw new MemoryStoreError('INVALID_ARGUMENT', 'createMany expects an array of memories');
  if (inputs.length > context.options.limits.maxBatchSize) {
    throw new MemoryStoreError(
      'INVALID_ARGUMENT',
      `createMany got ${inputs.length} memories, over the batch limit of ${context.options.limits.maxBatchSize}`,
    );
  }
  const now = Date.now();
  const unsized = await context.indexes.learnDimensions(
    inputs.find(
      (input) => input?.vector === undefined && typeof input?.content === 'string' && input.content.trim(),
    )?.content,
    options.signal,
  );
  const dims = context.embedder.dimensions;
  // Every vector of the batch lives in one block: one allocation instead of one per memory, and a bulk
  // load hands the whole block to the vector index in one call.
  const block = new Float32Array(inputs.length * dims);
  const slot = (position: number) => block.subarray(position * dims, (position + 1) * dims);
  const prepared = inputs.map((raw, position) => {
    const input = parseOrThrow(MemoryInputSchema, raw, `memory #${position}`);
    const bytes = Buffer.byteLength(input.content, 'utf8');
    if (input.content.trim().length === 0) {
      throw new MemoryStoreError(
        'INVALID_ARGUMENT',
        `Invalid memory #${position}: content must not be empty`,
      );
    }
    if (bytes > context.options.limits.maxContentBytes) {
      throw new MemoryStoreError(
        'CONTENT_TOO_LARGE',
        `Memory #${position} has ${bytes} bytes of content, over the limit of ${context.options.limits.maxContentBytes}; split it or raise limits.maxContentBytes`,
        { data: { bytes, limit: context.options.limits.maxContentBytes } },
      );
    }
    let vector: Float32Array | undefined;
    if (input.vector !== undefined) {
      if (input.vector.length !== dims) {
        throw new MemoryStoreError(
          'DIMENSION_MISMATCH',
          `Memory #${position} carries a ${input.vector.length}-dimensional vector, but the active embedder ${context.embedder.id} has ${dims} (limit ${context.options.limits.maxDimensions})`,
        );
      }
      vector = slot(position);
      vector.set(input.vector);
      for (let i = 0; i < vector.length; i++) {
        const value = vector[i] as number;
        if (value - value !== 0) {
          throw new MemoryStoreError(
            'INVALID_ARGUMENT',
            `Memory #${position} carries a vector with a non-finite value at [${i}]`,
          );
        }
      }
    }
    const expiresAt = input.expiresAt ?? (input.ttlMs !== undefined ? now + input.ttlMs : null);
    return {
      position,
      input,
      namespace: resolveNamespace(input.namespace, context.options.namespace),
      hash: contentHash(input.content),
      vector,
      expiresAt,
      tags: [...new Set(input.tags)],
    };
  });

  // Embed outside any transaction.
  const needEmbedding = prepared.filter((item) => item.vector === undefined);
  if (needEmbedding.length > 0) {
    try {
      if (dims === 0)
        throw unsized ?? new MemoryStoreError('EMBEDDING_FAILED', 'The embedder gave no vector size');
      const vectors = await context.embedder.embedTexts(
        needEmbedding.map((item) => item.input.content),
        options.signal,
      );
      needEmbedding.forEach((item, i) => {
        item.vector = slot(item.position);
        item.vector.set(vectors[i] as Float32Array);
      });
      context.backfills.embeddingSucceeded();
    } catch (error) {
      if (MemoryStoreError.isInstance(error) && error.code === 'ABORTED') throw error;
      if (options.signal?.aborted)
        throw new MemoryStoreError('ABORTED', 'createMany was aborted', { cause: options.signal.reason });
      context.events.emit('embedding-failed', { count: needEmbedding.length, error });
      context.backfills.embeddingFailed();
    }
  }
  if (options.signal?.aborted)
    throw new MemoryStoreError('ABORTED', 'createMany was aborted', { cause: options.signal.reason });

  const mode = options.nearDuplicates ?? 'check';
  const checkNear = mode !== 'skip';
  const mergeNear = mode === 'merge' || (mode === 'check' && context.options.dedup.mergeNearDuplicates);
  // The near-duplicate check needs other processes' latest vectors; without it, the next search syncs.
  if (checkNear) await context.indexes.sync();
  const threshold = context.options.dedup.nearDuplicateThreshold - NEAR_DUPLICATE_TOLERANCE;
  // The memories of this call stored so far, per namespace: a near duplicate of an earlier one in the same
  // batch counts as one of a stored memory (they are not in the namespace's index until the insert).
  const batchIndexes = new Map<string, VectorIndex>();
  const rows: NewMemoryRow[] = [];
  const results: Array<CreateResult | undefined> = [];
  const merges: Array<{ position: number; target: string; similarity: number }> = [];
  for (const [position, item] of prepared.entries()) {
    let nearDuplicate: { id: string; similarity: number } | undefined;
    if (checkNear && item.vector) {
      const best = [
        nearestNeighbour(context.indexes.get(item.namespace), item.vector),
        nearestNeighbour(batchIndexes.get(item.namespace), item.vector),
      ].reduce((a, b) => (b && (!a || b.score > a.score) ? b : a), undefined);
      if (best && best.score >= threshold) nearDuplicate = { id: best.id, similarity: best.score };
    }
    if (
      nearDuplicate &&
      mergeNear &&
      (await context.driver.findByHash(item.namespace, item.hash)) === undefined
    ) {
      merges.push({ position, target: nearDuplicate.id, similarity: nearDuplicate.similarity });
      results[position] = { id: nearDuplicate.id, status: 'merged', nearDuplicate };
      continue;
    }
    results[position] = nearDuplicate ? { id: '', status: 'created', nearDuplicate } : undefined;
    const id = newId(now);
    if (checkNear && item.vector && position < prepared.length - 1) {
      let batchIndex = batchIndexes.get(item.namespace);
      if (!batchIndex) {
        batchIndex = new VectorIndex({ dimensions: dims, initialCapacity: Math.min(prepared.length, 256) });
        batchIndexes.set(item.namespace, batchIndex);
      }
      batchIndex.set(id, item.vector);
    }
    rows.push({
      id,
      namespace: item.namespace,
      content: item.input.content,
      kind: item.input.kind,
      tags: item.tags,
      importance: item.input.importance,
      metadata: item.input.metadata,
      createdAt: now,
      expiresAt: item.expiresAt,
      contentHash: item.hash,
      embedding: item.vector ? { model: context.embedder.id, vector: item.vector } : null,
    });
  }

  // The driver may insert on its writer thread; meanwhile the new vectors go into the index (the ids are
  // fresh, so this only adds). They come out again if the insert fails, and for rows found to be exact
  // duplicates. A search in between may see an id whose row is not committed yet: hydration skips it.
  const insertion = (async () =>
    context.driver.insertMemories(rows, {
      maxPerNamespace: context.options.limits.maxMemoriesPerNamespace,
    }))();
  const generation = context.indexes.generation;
  const vectorRows = rows.filter((row) => row.embedding !== null);
  context.indexes.addRows(vectorRows, vectorRows.length === inputs.length ? block : undefined);
  let inserted: InsertResult;
  try {
    inserted = await insertion;
  } catch (error) {
    for (const row of vectorRows) context.indexes.remove(row.namespace, row.id);
    throw error;
  }
  const { outcomes } = inserted;
  // A reload while the insert was in flight rebuilt the index without the uncommitted rows.
  if (context.indexes.generation !== generation) context.indexes.addRows(vectorRows);
  context.indexes.ownInsert(inserted.seq);
  let next = 0;
  const created: string[] = [];
  // A row found to be an exact duplicate was stored under the existing memory's id: reports and merges
  // that name the row (a near duplicate earlier in this batch) name that id instead.
  const storedAs = new Map<string, string>();
  prepared.forEach((_item, position) => {
    const existing = results[position];
    if (existing?.status === 'merged') return;
    const outcome = outcomes[next] as (typeof outcomes)[number];
    const row = rows[next] as NewMemoryRow;
    next++;
    storedAs.set(row.id, outcome.id);
    results[position] = {
      id: outcome.id,
      status: outcome.status,
      ...(existing?.nearDuplicate ? { nearDuplicate: existing.nearDuplicate } : {}),
    };
    if (outcome.status === 'created') {
      created.push(outcome.id);
    } else if (row.embedding) {
      context.indexes.remove(row.namespace, row.id);
    }
  });
  for (const result of results as CreateResult[]) {
    if (!result.nearDuplicate) continue;
    const id = storedAs.get(result.nearDuplicate.id) ?? result.nearDuplicate.id;
    if (result.status === 'merged') result.id = id;
    if (id === result.id && result.status !== 'merged') delete result.nearDuplicate;
    else result.nearDuplicate = { ...result.nearDuplicate, id };
  }
  for (const merge of merges) {
    const item = prepared[merge.position] as (typeof prepared)[number];
    const targetId = storedAs.get(merge.target) ?? merge.target;
    const [target] = await context.driver.getMemories(item.namespace, [targetId], now, true);
    if (!target) continue;
    await context.driver.updateMemory(
      item.namespace,
      targetId,
      {
        tags: [...new Set([...target.tags, ...item.tags])],
        importance: Math.max(target.importance, item.input.importance),
        metadata: { ...target.metadata, ...item.input.metadata },
      },
      now,
    );
  }
  if (created.length > 0) context.events.emit('memory-created', { ids: created });
  return results as CreateResult[];
}
