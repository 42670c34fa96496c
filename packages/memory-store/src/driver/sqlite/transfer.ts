// Export and import of every record (memories, entities, relations, predicates).
import { MemoryStoreError } from '../../errors.js';
import { contentHash } from '../../util/hash.js';
import type { ExportRecord, ImportCounts } from '../transfer.js';
import type { SqliteConnection } from './connection.js';
import type { SqliteGraph } from './graph.js';
import { addToCounts, deleteRows, findByHash } from './memories.js';
import {
  type EntitySqlRow,
  json,
  MEMORY_COLUMNS,
  type MemorySqlRow,
  type RelationSqlRow,
  toEntity,
  toMemory,
  toRelation,
} from './rows.js';
import { hashKey } from './write-rows.js';

export function* exportRecords(
  connection: SqliteConnection,
  options: { namespace?: string; includeVectors: boolean },
): IterableIterator<ExportRecord> {
  yield { type: 'header', format: 'mimo-memory', version: 1, exportedAt: new Date().toISOString() };
  const scope = options.namespace === undefined ? '' : 'AND namespace = @namespace';
  const params = (extra: Record<string, unknown>) =>
    options.namespace === undefined ? extra : { ...extra, namespace: options.namespace };
  let after = 0;
  for (;;) {
    const rows = connection
      .statement(
        `SELECT m.rowid AS rowid, ${MEMORY_COLUMNS}, m.embedding AS embedding FROM memories m WHERE m.rowid > @after ${scope.replace('namespace', 'm.namespace')} ORDER BY m.rowid LIMIT 500`,
      )
      .all(params({ after })) as Array<MemorySqlRow & { rowid: number; embedding: Buffer | null }>;
    if (rows.length === 0) break;
    after = (rows.at(-1) as { rowid: number }).rowid;
    for (const row of rows) {
      const memory = toMemory(row);
      yield {
        type: 'memory',
        id: memory.id,
        namespace: memory.namespace,
        content: memory.content,
        kind: memory.kind,
        tags: memory.tags,
        importance: memory.importance,
        metadata: memory.metadata,
        createdAt: memory.createdAt,
        updatedAt: memory.updatedAt,
        accessedAt: memory.accessedAt,
        accessCount: memory.accessCount,
        expiresAt: memory.expiresAt,
        ...(options.includeVectors && row.embedding && memory.embeddingModel
          ? {
              embedding: {
                model: memory.embeddingModel,
                dims: memory.embeddingDims ?? 0,
                vector: row.embedding.toString('base64'),
              },
            }
          : {}),
      };
    }
  }
  for (const row of connection
    .statement(`SELECT * FROM entities WHERE 1 ${scope} ORDER BY namespace, name`)
    .iterate(params({})) as Iterable<EntitySqlRow>) {
    yield { type: 'entity', ...toEntity(row) };
  }
  for (const row of connection
    .statement(`SELECT * FROM relations WHERE 1 ${scope} ORDER BY id`)
    .iterate(params({})) as Iterable<RelationSqlRow>) {
    yield { type: 'relation', ...toRelation(row) };
  }
  for (const row of connection
    .statement(`SELECT * FROM predicates WHERE 1 ${scope} ORDER BY namespace, name`)
    .iterate(params({})) as Iterable<{
    namespace: string;
    name: string;
    single_valued: number;
  }>) {
    yield {
      type: 'predicate',
      namespace: row.namespace,
      name: row.name,
      singleValued: row.single_valued === 1,
    };
  }
}

export function importRecords(
  connection: SqliteConnection,
  graph: SqliteGraph,
  records: readonly ExportRecord[],
  onConflict: 'skip' | 'replace',
): ImportCounts {
  return connection.write('Importing records', () => {
    const counts: ImportCounts = { memories: 0, entities: 0, relations: 0, predicates: 0, skipped: 0 };
    const seq = connection.nextSeq();
    const added = new Map<string, number>();
    for (const record of records) {
      switch (record.type) {
        case 'header':
          break;
        case 'memory': {
          const byId = connection
            .statement('SELECT rowid, id, namespace, content FROM memories WHERE id = ?')
            .get(record.id) as { rowid: number; id: string; namespace: string; content: string } | undefined;
          if (byId) {
            if (onConflict === 'skip') {
              counts.skipped++;
              break;
            }
            deleteRows(connection, [byId]);
            added.set(byId.namespace, (added.get(byId.namespace) ?? 0) + 1);
          }
          const hash = contentHash(record.content);
          const clash = findByHash(connection, record.namespace, hash);
          if (clash) {
            counts.skipped++;
            break;
          }
          const embedding = record.embedding ? Buffer.from(record.embedding.vector, 'base64') : null;
          const info = connection
            .statement(
              'INSERT INTO memories (id, namespace, content, kind, tags, importance, metadata, created_at, updated_at, accessed_at, ' +
                'access_count, expires_at, content_hash, embedding_model, embedding_dims, embedding, seq) ' +
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(
              record.id,
              record.namespace,
              record.content,
              record.kind,
              json(record.tags),
              record.importance,
              json(record.metadata),
              record.createdAt,
              record.updatedAt,
              record.accessedAt,
              record.accessCount,
              record.expiresAt,
              hashKey(hash),
              record.embedding?.model ?? null,
              record.embedding ? embedding!.byteLength / 4 : null,
              embedding,
              seq,
            );
          connection
            .statement('INSERT INTO memories_fts (rowid, content) VALUES (?, ?)')
            .run(info.lastInsertRowid, record.content);
          const tag = connection.statement(
            'INSERT OR IGNORE INTO memory_tags (namespace, tag, memory_rowid) VALUES (?, ?, ?)',
          );
          for (const name of record.tags) tag.run(record.namespace, name, info.lastInsertRowid);
          added.set(record.namespace, (added.get(record.namespace) ?? 0) + 1);
          counts.memories++;
          break;
        }
        case 'entity': {
          const existing = connection
            .statement('SELECT rowid FROM entities WHERE namespace = ? AND name = ?')
            .get(record.namespace, record.name);
          if (existing && onConflict === 'skip') {
            counts.skipped++;
            break;
          }
          graph.putEntity(record, Boolean(existing));
          counts.entities++;
          break;
        }
        case 'relation': {
          const missing = [record.subject, record.object].filter(
            (name) =>
              !connection
                .statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?')
                .get(record.namespace, name),
          );
          if (missing.length > 0) {
            throw new MemoryStoreError(
              'NOT_FOUND',
              `A relation refers to unknown entities: ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
            );
          }
          const current =
            record.validTo === null &&
            connection
              .statement(
                'SELECT 1 FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
              )
              .get(record.namespace, record.subject, record.predicate, record.object);
          if (current) {
            counts.skipped++;
            break;
          }
          connection
            .statement(
              'INSERT INTO relations (namespace, subject, predicate, object, valid_from, valid_to, source, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            )
            .run(
              record.namespace,
              record.subject,
              record.predicate,
              record.object,
              record.validFrom,
              record.validTo,
              record.source,
              record.confidence,
              record.createdAt,
            );
          counts.relations++;
          break;
        }
        case 'predicate':
          graph.setPredicate(record.namespace, record.name, record.singleValued);
          counts.predicates++;
          break;
      }
    }
    addToCounts(connection, added, Number.POSITIVE_INFINITY);
    return counts;
  });
}
