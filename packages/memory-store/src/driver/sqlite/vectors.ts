// Stored vectors (for the in-memory index and the backfill) and the embedding cache.
import type { StoredVector } from '../memory-driver.js';
import type { SqliteConnection } from './connection.js';
import { blobVector, json } from './rows.js';
import { hashKey, vectorBlob } from './write-rows.js';

export function* iterateVectors(
  connection: SqliteConnection,
  model: string,
  batchSize: number,
): IterableIterator<StoredVector[]> {
  let after = 0;
  for (;;) {
    const rows = connection
      .statement(
        'SELECT rowid, id, namespace, embedding FROM memories WHERE embedding_model = ? AND rowid > ? ORDER BY rowid LIMIT ?',
      )
      .all(model, after, batchSize) as Array<{
      rowid: number;
      id: string;
      namespace: string;
      embedding: Buffer;
    }>;
    if (rows.length === 0) return;
    after = (rows.at(-1) as { rowid: number }).rowid;
    yield rows.map((row) => ({ id: row.id, namespace: row.namespace, vector: blobVector(row.embedding) }));
  }
}

export function missingEmbeddings(
  connection: SqliteConnection,
  model: string,
  limit: number,
  afterId = '',
  options: { pendingOnly?: boolean } = {},
) {
  return (
    connection
      .statement(
        'SELECT id, namespace, content, lower(hex(content_hash)) AS content_hash FROM memories ' +
          `WHERE ${options.pendingOnly ? 'embedding_model IS NULL' : '(embedding_model IS NULL OR embedding_model != @model)'} ` +
          'AND id > @afterId ORDER BY id LIMIT @limit',
      )
      .all({ ...(options.pendingOnly ? {} : { model }), afterId, limit }) as Array<{
      id: string;
      namespace: string;
      content: string;
      content_hash: string;
    }>
  ).map((row) => ({
    id: row.id,
    namespace: row.namespace,
    content: row.content,
    contentHash: row.content_hash,
  }));
}

export function setEmbeddings(
  connection: SqliteConnection,
  items: ReadonlyArray<{ id: string; contentHash: string; model: string; vector: Float32Array }>,
): number {
  if (items.length === 0) return 0;
  return connection.write('Storing embeddings', () => {
    const seq = connection.nextSeq();
    const update = connection.statement(
      'UPDATE memories SET embedding_model = ?, embedding_dims = ?, embedding = ?, seq = ? WHERE id = ? AND content_hash = ?',
    );
    let changed = 0;
    for (const item of items) {
      changed += update.run(
        item.model,
        item.vector.length,
        vectorBlob(item.vector),
        seq,
        item.id,
        hashKey(item.contentHash),
      ).changes;
    }
    return changed;
  });
}

export function cacheGet(
  connection: SqliteConnection,
  model: string,
  hashes: readonly string[],
): Map<string, Float32Array> {
  const found = new Map<string, Float32Array>();
  if (hashes.length === 0) return found;
  for (const row of connection
    .statement(
      'SELECT content_hash, vector FROM embedding_cache WHERE model = ? AND content_hash IN (SELECT value FROM json_each(?))',
    )
    .all(model, json(hashes)) as Array<{ content_hash: string; vector: Buffer }>) {
    found.set(row.content_hash, blobVector(row.vector));
  }
  return found;
}

export function cachePut(
  connection: SqliteConnection,
  model: string,
  entries: ReadonlyArray<{ hash: string; vector: Float32Array }>,
): void {
  if (entries.length === 0) return;
  connection.write('Caching embeddings', () => {
    const put = connection.statement(
      'INSERT OR REPLACE INTO embedding_cache (model, content_hash, dims, vector, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    for (const entry of entries)
      put.run(model, entry.hash, entry.vector.length, vectorBlob(entry.vector), now);
  });
}
