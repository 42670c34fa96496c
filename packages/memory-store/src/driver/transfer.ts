import type { EntityRow, RelationRow } from './graph-driver.js';
import type { MemoryRow } from './memory-driver.js';

/** One line of an export file: the header, then memories, entities, relations and predicates. */
export type ExportRecord =
  | { type: 'header'; format: 'mimo-memory'; version: 1; exportedAt: string }
  | ({
      type: 'memory';
      embedding?: { model: string; dims: number; vector: string } | null;
    } & Omit<MemoryRow, 'contentHash' | 'embeddingModel' | 'embeddingDims'>)
  | ({ type: 'entity' } & EntityRow)
  | ({ type: 'relation' } & RelationRow)
  | { type: 'predicate'; namespace: string; name: string; singleValued: boolean };

export interface ImportCounts {
  memories: number;
  entities: number;
  relations: number;
  predicates: number;
  skipped: number;
}
