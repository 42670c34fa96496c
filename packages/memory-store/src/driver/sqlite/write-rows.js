// The memory-insert transaction body, shared by the SQLite driver (on its own connection) and the writer
// thread (on the thread's connection). Plain JavaScript, so Node can start the writer thread from this
// package's sources as well as from its build; types are in write-rows.d.ts.

/** Copies a vector into a Buffer for binding (little-endian f32). */
export function vectorBlob(vector) {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** The stored form of a content hash (64 hex characters): its 32 bytes. */
export function hashKey(hex) {
  return Buffer.from(hex, 'hex');
}

/** JSON of a metadata object; the common empty one without a serialiser call. */
export function jsonObject(value) {
  for (const _ in value) return JSON.stringify(value);
  return '{}';
}

/**
 * Connection settings every writing connection shares: durability level, foreign keys, in-memory temp
 * tables. (WAL is a property of the file, set once by the driver.)
 */
export function configureConnection(db, synchronous) {
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
}

/**
 * Memory rows as columns: the form rows cross to the writer thread in (copying a few arrays and one block of
 * vectors costs a fraction of copying thousands of objects), and the form {@link insertMemoryRows} reads.
 * Tags and metadata travel as JSON; `dims[i]` is 0 for a row without a vector, and `vectors` holds the
 * vectors of the rows that have one, in order. Throws `fail('INVALID_ARGUMENT', …)` for a malformed hash.
 */
export function toColumns(rows, fail) {
  const n = rows.length;
  const columns = {
    ids: new Array(n),
    namespaces: new Array(n),
    contents: new Array(n),
    kinds: new Array(n),
    tags: new Array(n),
    importance: new Float64Array(n),
    metadata: new Array(n),
    createdAt: new Float64Array(n),
    expiresAt: new Array(n),
    /** Each row's content hash, 32 bytes apiece. */
    hashes: new Uint8Array(n * 32),
    models: new Array(n),
    dims: new Int32Array(n),
    vectors: undefined,
  };
  let floats = 0;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    columns.ids[i] = row.id;
    columns.namespaces[i] = row.namespace;
    columns.contents[i] = row.content;
    columns.kinds[i] = row.kind;
    columns.tags[i] = row.tags.length === 0 ? '[]' : JSON.stringify(row.tags);
    columns.importance[i] = row.importance;
    columns.metadata[i] = jsonObject(row.metadata);
    columns.createdAt[i] = row.createdAt;
    columns.expiresAt[i] = row.expiresAt;
    const hash = hashKey(row.contentHash);
    if (hash.length !== 32 || row.contentHash.length !== 64) {
      throw fail('INVALID_ARGUMENT', `Row #${i}: contentHash must be a SHA-256 as 64 hex characters`, {
        row: i,
      });
    }
    columns.hashes.set(hash, i * 32);
    columns.models[i] = row.embedding ? row.embedding.model : null;
    columns.dims[i] = row.embedding ? row.embedding.vector.length : 0;
    floats += columns.dims[i];
  }
  columns.vectors = new Float32Array(floats);
  let offset = 0;
  for (const row of rows) {
    if (!row.embedding) continue;
    columns.vectors.set(row.embedding.vector, offset);
    offset += row.embedding.vector.length;
  }
  return columns;
}

/**
 * Inserts memory rows (as {@link toColumns} makes them); call it inside a `BEGIN IMMEDIATE` transaction. A
 * row whose (namespace, content hash) exists is skipped and reported as a duplicate of the existing id.
 * Throws `fail('NAMESPACE_FULL', …)` when a namespace would pass `maxPerNamespace` (the caller's transaction
 * then rolls everything back).
 *
 * @returns the change sequence number given to the rows, and the duplicates as `[row index, existing id]`
 */
export function insertMemoryRows(statement, columns, maxPerNamespace, fail) {
  const seq = statement("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value").get()
    .value;
  // One single-row statement per memory: measured ~10% faster than 64-row INSERT … RETURNING statements,
  // whose returned rows SQLite has to materialise.
  const insert = statement(
    'INSERT INTO memories (id, namespace, content, kind, tags, importance, metadata, created_at, updated_at, ' +
      'expires_at, content_hash, embedding_model, embedding_dims, embedding, seq) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, content_hash) DO NOTHING',
  );
  const fts = statement('INSERT INTO memories_fts (rowid, content) VALUES (?, ?)');
  const existing = statement('SELECT id FROM memories WHERE namespace = ? AND content_hash = ?');
  const tag = statement('INSERT OR IGNORE INTO memory_tags (namespace, tag, memory_rowid) VALUES (?, ?, ?)');
  const { ids, namespaces, contents, tags, dims, vectors } = columns;
  // Buffers over the transferred arrays: better-sqlite3 binds Buffers (not plain typed arrays) as BLOBs.
  const bytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  const hashes = Buffer.from(columns.hashes.buffer, columns.hashes.byteOffset, columns.hashes.byteLength);
  const duplicates = [];
  const added = new Map();
  let offset = 0;
  for (let i = 0; i < ids.length; i++) {
    const size = dims[i];
    const hash = hashes.subarray(i * 32, (i + 1) * 32);
    const info = insert.run(
      ids[i],
      namespaces[i],
      contents[i],
      columns.kinds[i],
      tags[i],
      columns.importance[i],
      columns.metadata[i],
      columns.createdAt[i],
      columns.createdAt[i],
      columns.expiresAt[i],
      hash,
      columns.models[i],
      size === 0 ? null : size,
      size === 0 ? null : bytes.subarray(offset * 4, (offset + size) * 4),
      seq,
    );
    offset += size;
    if (info.changes === 0) {
      // Only a (namespace, content hash) conflict skips a row; it may be a repeat within this very batch.
      duplicates.push([i, existing.get(namespaces[i], hash).id]);
      continue;
    }
    const rowid = info.lastInsertRowid;
    fts.run(rowid, contents[i]);
    if (tags[i] !== '[]') for (const name of JSON.parse(tags[i])) tag.run(namespaces[i], name, rowid);
    added.set(namespaces[i], (added.get(namespaces[i]) ?? 0) + 1);
  }
  addToNamespaceCounts(statement, added, maxPerNamespace, fail);
  return { seq, duplicates };
}

/** The outcome of every row, from the ids sent and the duplicates {@link insertMemoryRows} reported. */
export function insertOutcomes(ids, written) {
  const outcomes = ids.map((id) => ({ id, status: 'created' }));
  for (const [index, id] of written.duplicates) outcomes[index] = { id, status: 'duplicate' };
  return { seq: written.seq, outcomes };
}

/** Adds to the per-namespace memory counts; throws `NAMESPACE_FULL` when one passes `maxPerNamespace`. */
export function addToNamespaceCounts(statement, added, maxPerNamespace, fail) {
  const upsert = statement(
    'INSERT INTO namespace_counts (namespace, memories) VALUES (?, ?) ON CONFLICT (namespace) DO UPDATE SET memories = memories + excluded.memories RETURNING memories',
  );
  for (const [namespace, count] of added) {
    const total = upsert.get(namespace, count).memories;
    if (count > 0 && total > maxPerNamespace) {
      throw fail(
        'NAMESPACE_FULL',
        `Namespace ${JSON.stringify(namespace)} would hold ${total} memories, over the limit of ${maxPerNamespace}; ` +
          'prune or delete memories, or raise limits.maxMemoriesPerNamespace',
        { namespace, limit: maxPerNamespace },
      );
    }
  }
}
