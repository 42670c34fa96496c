// Row mapping: SQL rows to driver rows, vector BLOBs, JSON and page cursors.

import { MemoryStoreError } from '../../errors.js';
import type { EntityRow, RelationRow } from '../graph-driver.js';
import type { MemoryRow } from '../memory-driver.js';

export const MEMORY_COLUMNS =
  'm.id, m.namespace, m.content, m.kind, m.tags, m.importance, m.metadata, m.created_at, m.updated_at, ' +
  'm.accessed_at, m.access_count, m.expires_at, lower(hex(m.content_hash)) AS content_hash, m.embedding_model, m.embedding_dims';

export interface MemorySqlRow {
  id: string;
  namespace: string;
  content: string;
  kind: string;
  tags: string;
  importance: number;
  metadata: string;
  created_at: number;
  updated_at: number;
  accessed_at: number | null;
  access_count: number;
  expires_at: number | null;
  content_hash: string;
  embedding_model: string | null;
  embedding_dims: number | null;
}

export function toMemory(row: MemorySqlRow): MemoryRow {
  return {
    id: row.id,
    namespace: row.namespace,
    content: row.content,
    kind: row.kind,
    tags: JSON.parse(row.tags) as string[],
    importance: row.importance,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    accessedAt: row.accessed_at,
    accessCount: row.access_count,
    expiresAt: row.expires_at,
    contentHash: row.content_hash,
    embeddingModel: row.embedding_model,
    embeddingDims: row.embedding_dims,
  };
}

export interface EntitySqlRow {
  rowid: number;
  namespace: string;
  name: string;
  entity_type: string;
  observations: string;
  observed_at: string;
  created_at: number;
  updated_at: number;
}

export function toEntity(row: EntitySqlRow): EntityRow {
  const observations = JSON.parse(row.observations) as string[];
  return {
    namespace: row.namespace,
    name: row.name,
    entityType: row.entity_type,
    observations,
    observedAt: observationTimes({
      observations,
      observedAt: JSON.parse(row.observed_at) as number[],
      updatedAt: row.updated_at,
    }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The times of an entity's observations, `updatedAt` for any not known. */
export function observationTimes(entity: {
  observations: string[];
  observedAt?: number[];
  updatedAt: number;
}) {
  return entity.observations.map((_observation, i) => entity.observedAt?.[i] ?? entity.updatedAt);
}

export interface RelationSqlRow {
  namespace: string;
  subject: string;
  predicate: string;
  object: string;
  valid_from: number;
  valid_to: number | null;
  source: string | null;
  confidence: number;
  created_at: number;
}

export function toRelation(row: RelationSqlRow): RelationRow {
  return {
    namespace: row.namespace,
    subject: row.subject,
    predicate: row.predicate,
    object: row.object,
    validFrom: row.valid_from,
    validTo: row.valid_to,
    source: row.source,
    confidence: row.confidence,
    createdAt: row.created_at,
  };
}

/** Reads a vector BLOB into an aligned Float32Array (driver buffers may sit at odd offsets in a pool). */
export function blobVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

export const json = (value: unknown): string => JSON.stringify(value);

export function encodeCursor(parts: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (check(value)) return value;
  } catch {
    // handled below
  }
  throw new MemoryStoreError(
    'INVALID_ARGUMENT',
    `Invalid cursor ${JSON.stringify(cursor.slice(0, 40))}: pass back a nextCursor exactly as returned`,
  );
}
