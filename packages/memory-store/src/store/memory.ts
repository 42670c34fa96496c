// A memory as callers see it, made from a driver row.
import type { MemoryRow } from '../driver/memory-driver.js';

/**
 * A memory as returned by the store: the row's fields (`id`, `namespace`, `content`, `kind`, `tags`,
 * `importance`, `metadata`, `accessCount`), its times as ISO-8601 strings, and its embedding's state.
 */
export interface Memory
  extends Pick<
    MemoryRow,
    'id' | 'namespace' | 'content' | 'kind' | 'tags' | 'importance' | 'metadata' | 'accessCount'
  > {
  createdAt: string;
  updatedAt: string;
  accessedAt: string | null;
  expiresAt: string | null;
  /** `ready`: has a vector of the active embedder; `pending`: none yet; `other-model`: of another embedder. */
  embedding: { status: 'ready' | 'pending' | 'other-model'; model: string | null; dimensions: number | null };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The caller's view of a row; `activeModel` is the id of the embedder whose vectors are searched. */
export function toMemory(row: MemoryRow, activeModel: string): Memory {
  return {
    id: row.id,
    namespace: row.namespace,
    content: row.content,
    kind: row.kind,
    tags: row.tags,
    importance: row.importance,
    metadata: row.metadata,
    createdAt: iso(row.createdAt) as string,
    updatedAt: iso(row.updatedAt) as string,
    accessedAt: iso(row.accessedAt),
    accessCount: row.accessCount,
    expiresAt: iso(row.expiresAt),
    embedding: {
      status:
        row.embeddingModel === null
          ? 'pending'
          : row.embeddingModel === activeModel
            ? 'ready'
            : 'other-model',
      model: row.embeddingModel,
      dimensions: row.embeddingDims,
    },
  };
}
