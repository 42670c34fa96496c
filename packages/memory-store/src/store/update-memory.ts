// Updating a memory: exactly the fields given change; new content is re-embedded.
import type { MemoryPatch } from '../driver/memory-driver.js';
import { MemoryStoreError } from '../errors.js';
import { parseOrThrow, resolveNamespace } from '../options.js';
import { contentHash } from '../util/hash.js';
import type { StoreContext } from './context.js';
import { type Memory, toMemory } from './memory.js';
import { MEMORY_PATCH_FIELDS, type MemoryPatchInput, MemoryPatchSchema } from './schemas.js';

/**
 * The work of {@link MemoryStore.update}: the patch validated, new content re-embedded before the write
 * (pending when the embedder fails), the row updated and the namespace's index with it.
 */
export async function updateMemory(
  context: StoreContext,
  id: string,
  patch: MemoryPatchInput,
  options: { namespace?: string; signal?: AbortSignal },
): Promise<Memory> {
  const namespace = resolveNamespace(options.namespace, context.options.namespace);
  const parsed = parseOrThrow(MemoryPatchSchema, patch, 'memory update');
  if (Object.values(parsed).every((value) => value === undefined)) {
    throw new MemoryStoreError(
      'INVALID_ARGUMENT',
      `Invalid memory update: nothing to change; give at least one of ${MEMORY_PATCH_FIELDS.join(', ')}`,
    );
  }
  const driverPatch: MemoryPatch = {};
  if (parsed.kind !== undefined) driverPatch.kind = parsed.kind;
  if (parsed.tags !== undefined) driverPatch.tags = [...new Set(parsed.tags)];
  if (parsed.importance !== undefined) driverPatch.importance = parsed.importance;
  if (parsed.metadata !== undefined) driverPatch.metadata = parsed.metadata;
  if (parsed.expiresAt !== undefined) driverPatch.expiresAt = parsed.expiresAt;
  if (parsed.content !== undefined) {
    const bytes = Buffer.byteLength(parsed.content, 'utf8');
    if (bytes > context.options.limits.maxContentBytes) {
      throw new MemoryStoreError(
        'CONTENT_TOO_LARGE',
        `The new content has ${bytes} bytes, over the limit of ${context.options.limits.maxContentBytes}`,
        {
          data: { bytes, limit: context.options.limits.maxContentBytes },
        },
      );
    }
    if (parsed.content.trim().length === 0)
      throw new MemoryStoreError('INVALID_ARGUMENT', 'content must not be empty');
    driverPatch.content = parsed.content;
    driverPatch.contentHash = contentHash(parsed.content);
    await context.indexes.learnDimensions(parsed.content, options.signal);
    try {
      const [vector] = await context.embedder.embedTexts([parsed.content], options.signal);
      driverPatch.embedding = { model: context.embedder.id, vector: vector as Float32Array };
      context.backfills.embeddingSucceeded();
    } catch (error) {
      driverPatch.embedding = null;
      context.events.emit('embedding-failed', { count: 1, error });
      context.backfills.embeddingFailed();
    }
  }
  const row = await context.driver.updateMemory(namespace, id, driverPatch, Date.now());
  if (!row)
    throw new MemoryStoreError(
      'NOT_FOUND',
      `No memory ${JSON.stringify(id)} in namespace ${JSON.stringify(namespace)}`,
    );
  if (driverPatch.embedding) context.indexes.ensure(namespace).set(id, driverPatch.embedding.vector);
  else if (driverPatch.embedding === null) context.indexes.remove(namespace, id);
  context.events.emit('memory-updated', { id });
  return toMemory(row, context.embedder.id);
}
