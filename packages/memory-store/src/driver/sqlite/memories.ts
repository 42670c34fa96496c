// Memories CRUD: insert (inline or on the writer thread), read, update, delete, list, access, prune.
import { MemoryStoreError } from '../../errors.js';
import type {
  InsertResult,
  MemoryFilter,
  MemoryPatch,
  MemoryRow,
  NewMemoryRow,
  PrunePolicy,
} from '../memory-driver.js';
import { failWith, type SqliteConnection } from './connection.js';
import { filterSql } from './filters.js';
import { decodeCursor, encodeCursor, json, MEMORY_COLUMNS, type MemorySqlRow, toMemory } from './rows.js';
import {
  addToNamespaceCounts,
  hashKey,
  insertMemoryRows,
  insertOutcomes,
  toColumns,
  vectorBlob,
} from './write-rows.js';
import { WriterThreadUnavailable } from './writer-client.js';

export function insertMemories(
  connection: SqliteConnection,
  rows: readonly NewMemoryRow[],
  limits: { maxPerNamespace: number },
): InsertResult | Promise<InsertResult> {
  connection.assertOpen();
  if (rows.length === 0) return { seq: connection.currentSeq(), outcomes: [] };
  const ids = rows.map((row) => row.id);
  const inline = () => {
    const columns = toColumns(rows, failWith);
    return insertOutcomes(
      ids,
      connection.write('Storing memories', () =>
        insertMemoryRows(connection.cachedStatement, columns, limits.maxPerNamespace, failWith),
      ),
    );
  };
  const writer = connection.writer;
  if (!writer || rows.length < connection.writerMinRows) return inline();
  // The columns' arrays move to the thread; the fallback below builds its own.
  return writer.insert(toColumns(rows, failWith), limits.maxPerNamespace).then(
    (written) => {
      connection.writes++;
      return insertOutcomes(ids, written);
    },
    (error: unknown) => {
      if (!(error instanceof WriterThreadUnavailable)) throw error;
      // Nothing was written: this connection writes, now and from now on.
      if (connection.writer === writer) {
        connection.writer = undefined;
        void writer.close();
      }
      return inline();
    },
  );
}

/** Adjusts the per-namespace counts (and checks the limit) inside the caller's transaction. */
export function addToCounts(
  connection: SqliteConnection,
  added: Map<string, number>,
  maxPerNamespace: number,
): void {
  addToNamespaceCounts(connection.cachedStatement, added, maxPerNamespace, failWith);
}

export function getMemories(
  connection: SqliteConnection,
  namespace: string,
  ids: readonly string[],
  now: number,
  includeExpired = false,
): MemoryRow[] {
  if (ids.length === 0) return [];
  const rows = connection
    .statement(
      // `+m.namespace` keeps the planner on the id index: driven by the namespace index instead, this
      // lookup of a few ids scanned every row of the namespace (80 ms at 100k memories).
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id IN (SELECT value FROM json_each(?)) AND +m.namespace = ?` +
        (includeExpired ? '' : ' AND (m.expires_at IS NULL OR m.expires_at > ?)'),
    )
    .all(...(includeExpired ? [json(ids), namespace] : [json(ids), namespace, now])) as MemorySqlRow[];
  const byId = new Map(rows.map((row) => [row.id, toMemory(row)]));
  return ids.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
}

export function findByHash(
  connection: SqliteConnection,
  namespace: string,
  contentHash: string,
): string | undefined {
  return (
    connection
      .statement('SELECT id FROM memories WHERE namespace = ? AND content_hash = ?')
      .get(namespace, hashKey(contentHash)) as { id: string } | undefined
  )?.id;
}

export function updateMemory(
  connection: SqliteConnection,
  namespace: string,
  id: string,
  patch: MemoryPatch,
  now: number,
): MemoryRow | undefined {
  return connection.write('Updating a memory', () => {
    const old = connection
      .statement(
        `SELECT m.rowid AS rowid, ${MEMORY_COLUMNS} FROM memories m WHERE m.namespace = ? AND m.id = ?`,
      )
      .get(namespace, id) as (MemorySqlRow & { rowid: number }) | undefined;
    if (!old) return undefined;
    const contentChanged = patch.content !== undefined && patch.contentHash !== old.content_hash;
    if (contentChanged) {
      const clash = findByHash(connection, namespace, patch.contentHash as string);
      if (clash && clash !== id) {
        throw new MemoryStoreError(
          'CONFLICT',
          `Memory ${clash} in this namespace already has exactly this content`,
          {
            data: { existingId: clash },
          },
        );
      }
    }
    const seq = connection.nextSeq();
    const content = patch.content ?? old.content;
    const embedding = patch.embedding === undefined ? undefined : patch.embedding;
    connection
      .statement(
        'UPDATE memories SET content = ?, content_hash = ?, kind = ?, tags = ?, importance = ?, metadata = ?, expires_at = ?, ' +
          'updated_at = ?, seq = ?, embedding_model = ?, embedding_dims = ?, embedding = ? WHERE rowid = ?',
      )
      .run(
        content,
        hashKey(patch.contentHash ?? old.content_hash),
        patch.kind ?? old.kind,
        patch.tags ? json(patch.tags) : old.tags,
        patch.importance ?? old.importance,
        patch.metadata ? json(patch.metadata) : old.metadata,
        patch.expiresAt === undefined ? old.expires_at : patch.expiresAt,
        now,
        seq,
        ...(embedding === undefined
          ? [old.embedding_model, old.embedding_dims, embeddingOf(connection, old.rowid)]
          : embedding === null
            ? [null, null, null]
            : [embedding.model, embedding.vector.length, vectorBlob(embedding.vector)]),
        old.rowid,
      );
    if (contentChanged) {
      connection
        .statement("INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', ?, ?)")
        .run(old.rowid, old.content);
      connection.statement('INSERT INTO memories_fts (rowid, content) VALUES (?, ?)').run(old.rowid, content);
    }
    if (patch.tags) {
      connection.statement('DELETE FROM memory_tags WHERE memory_rowid = ?').run(old.rowid);
      const tag = connection.statement(
        'INSERT OR IGNORE INTO memory_tags (namespace, tag, memory_rowid) VALUES (?, ?, ?)',
      );
      for (const name of patch.tags) tag.run(namespace, name, old.rowid);
    }
    return toMemory(
      connection
        .statement(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.rowid = ?`)
        .get(old.rowid) as MemorySqlRow,
    );
  });
}

function embeddingOf(connection: SqliteConnection, rowid: number): Buffer | null {
  return (
    connection.statement('SELECT embedding FROM memories WHERE rowid = ?').get(rowid) as {
      embedding: Buffer | null;
    }
  ).embedding;
}

/** Deletes rows (FTS entries, tags via cascade), logs them for other processes, adjusts counts. */
export function deleteRows(
  connection: SqliteConnection,
  rows: ReadonlyArray<{ rowid: number; id: string; namespace: string; content: string }>,
): string[] {
  if (rows.length === 0) return [];
  const seq = connection.nextSeq();
  const ftsDelete = connection.statement(
    "INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', ?, ?)",
  );
  const remove = connection.statement('DELETE FROM memories WHERE rowid = ?');
  const log = connection.statement('INSERT INTO memory_deletions (seq, id, namespace) VALUES (?, ?, ?)');
  const removed = new Map<string, number>();
  for (const row of rows) {
    ftsDelete.run(row.rowid, row.content);
    remove.run(row.rowid);
    log.run(seq, row.id, row.namespace);
    removed.set(row.namespace, (removed.get(row.namespace) ?? 0) - 1);
  }
  addToCounts(connection, removed, Number.POSITIVE_INFINITY);
  return rows.map((row) => row.id);
}

export function deleteMemories(
  connection: SqliteConnection,
  namespace: string,
  ids: readonly string[],
): string[] {
  if (ids.length === 0) return [];
  return connection.write('Deleting memories', () => {
    const rows = connection
      .statement(
        'SELECT rowid, id, namespace, content FROM memories WHERE namespace = ? AND id IN (SELECT value FROM json_each(?))',
      )
      .all(namespace, json(ids)) as Array<{ rowid: number; id: string; namespace: string; content: string }>;
    return deleteRows(connection, rows);
  });
}

export function deleteWhere(connection: SqliteConnection, filter: MemoryFilter): string[] {
  const { sql, params } = filterSql(filter);
  return connection.write('Deleting memories', () => {
    const rows = connection
      .statement(
        `SELECT m.rowid AS rowid, m.id AS id, m.namespace AS namespace, m.content AS content FROM memories m WHERE ${sql}`,
      )
      .all(params) as Array<{ rowid: number; id: string; namespace: string; content: string }>;
    return deleteRows(connection, rows);
  });
}

export function listMemories(
  connection: SqliteConnection,
  filter: MemoryFilter,
  page: { limit: number; cursor?: string | undefined },
) {
  const { sql, params } = filterSql(filter);
  let condition = sql;
  if (page.cursor) {
    const cursor = decodeCursor(page.cursor, (value): value is { c: number; i: string } => {
      const v = value as { c?: unknown; i?: unknown };
      return typeof v?.c === 'number' && typeof v?.i === 'string';
    });
    condition +=
      ' AND (m.created_at < @cursorCreated OR (m.created_at = @cursorCreated AND m.id < @cursorId))';
    params.cursorCreated = cursor.c;
    params.cursorId = cursor.i;
  }
  params.limit = page.limit + 1;
  const rows = (
    connection
      .statement(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${condition} ORDER BY m.created_at DESC, m.id DESC LIMIT @limit`,
      )
      .all(params) as MemorySqlRow[]
  ).map(toMemory);
  const more = rows.length > page.limit;
  if (more) rows.pop();
  const last = rows.at(-1);
  return { rows, nextCursor: more && last ? encodeCursor({ c: last.createdAt, i: last.id }) : undefined };
}

export function countMemories(connection: SqliteConnection, filter: MemoryFilter): number {
  const { sql, params } = filterSql(filter);
  return (
    connection.statement(`SELECT count(*) AS count FROM memories m WHERE ${sql}`).get(params) as {
      count: number;
    }
  ).count;
}

export function filterIds(connection: SqliteConnection, filter: MemoryFilter, limit: number): string[] {
  const { sql, params } = filterSql(filter);
  params.limit = limit;
  return (
    connection.statement(`SELECT m.id AS id FROM memories m WHERE ${sql} LIMIT @limit`).all(params) as Array<{
      id: string;
    }>
  ).map((row) => row.id);
}

export function recordAccess(
  connection: SqliteConnection,
  entries: ReadonlyArray<{ id: string; at: number }>,
): void {
  if (entries.length === 0) return;
  const merged = new Map<string, { at: number; count: number }>();
  for (const entry of entries) {
    const current = merged.get(entry.id);
    merged.set(entry.id, { at: Math.max(current?.at ?? 0, entry.at), count: (current?.count ?? 0) + 1 });
  }
  // Access statistics are advisory: they commit without waiting for the disk (synchronous=NORMAL for this
  // one transaction, still atomic), so a search never waits on an fsync. A power cut may lose the last
  // few counts, never anything else: every other write still commits with synchronous=FULL.
  if (connection.synchronousFull) connection.statement('PRAGMA synchronous = NORMAL').run();
  try {
    connection.write('Recording access', () => {
      const update = connection.statement(
        'UPDATE memories SET accessed_at = max(coalesce(accessed_at, 0), ?), access_count = access_count + ? WHERE id = ?',
      );
      for (const [id, { at, count }] of merged) update.run(at, count, id);
    });
  } finally {
    if (connection.synchronousFull) connection.statement('PRAGMA synchronous = FULL').run();
  }
}

export function prune(connection: SqliteConnection, policy: PrunePolicy, now: number): string[] {
  return connection.write('Pruning memories', () => {
    const parts = ['(expires_at IS NOT NULL AND expires_at <= @now)'];
    const params: Record<string, unknown> = { now };
    if (policy.maxImportance !== undefined && policy.olderThan !== undefined) {
      parts.push(
        `(importance < @maxImportance AND created_at < @olderThan${
          policy.unaccessedOnly ? ' AND (accessed_at IS NULL OR accessed_at < @olderThan)' : ''
        })`,
      );
      params.maxImportance = policy.maxImportance;
      params.olderThan = policy.olderThan;
    }
    let where = `(${parts.join(' OR ')})`;
    if (policy.namespace !== undefined) {
      where += ' AND namespace = @namespace';
      params.namespace = policy.namespace;
    }
    const rows = connection
      .statement(`SELECT rowid, id, namespace, content FROM memories WHERE ${where}`)
      .all(params) as Array<{
      rowid: number;
      id: string;
      namespace: string;
      content: string;
    }>;
    const removed = deleteRows(connection, rows);
    // Keep the deletion log bounded; processes that fell further behind reload their index fully.
    const keepFrom = connection
      .statement('SELECT seq FROM memory_deletions ORDER BY seq DESC LIMIT 1 OFFSET 100000')
      .get() as { seq: number } | undefined;
    if (keepFrom) {
      connection.statement('DELETE FROM memory_deletions WHERE seq <= ?').run(keepFrom.seq);
      connection.statement("UPDATE counters SET value = ? WHERE name = 'deletions_floor'").run(keepFrom.seq);
    }
    return removed;
  });
}
