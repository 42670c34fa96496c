import Database from 'better-sqlite3';
import { MemoryStoreError, storageError } from '../../errors.js';
import { type KeywordTerm, quoteFtsTerm } from '../../search/keyword-query.js';
import { contentHash } from '../../util/hash.js';
import type {
  EntityRow,
  ExportRecord,
  GraphDriver,
  ImportCounts,
  InsertResult,
  MemoryFilter,
  MemoryPatch,
  MemoryRow,
  NewMemoryRow,
  NewRelation,
  PrunePolicy,
  RelationRow,
  StorageDriver,
  StoredVector,
  StoreStats,
  TraversalOptions,
  VectorChanges,
} from '../types.js';
import { MIGRATIONS, type Migration, runMigrations } from './migrations.js';
import {
  addToNamespaceCounts,
  configureConnection,
  type Fail,
  hashKey,
  insertMemoryRows,
  insertOutcomes,
  toColumns,
  vectorBlob,
} from './write-rows.js';
import { WriterThread, WriterThreadUnavailable } from './writer-client.js';

export interface SqliteDriverOptions {
  /** Database file, created if missing; `:memory:` for a private in-memory database. */
  path: string;
  /**
   * `full` (default): every commit is synced to disk, so an acknowledged write survives power loss.
   * `normal`: WAL commits are synced at checkpoints only; still safe across application crashes, but the
   * last transactions may roll back after a power loss or OS crash. About 2–3× faster for small writes.
   */
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another connection's lock before failing. @default 5000 */
  busyTimeoutMs?: number;
  /** Schema migrations to run (tests inject failing ones). @default MIGRATIONS */
  migrations?: readonly Migration[];
  /**
   * Insert batches of at least {@link WRITER_THREAD_MIN_ROWS} memories on a writer thread (its own
   * connection to the same file), so the calling thread works meanwhile: a bulk load runs about twice as
   * fast on two cores. Ignored for `:memory:`, which one connection alone can see. @default true
   */
  writerThread?: boolean;
  /** The smallest batch sent to the writer thread. @default WRITER_THREAD_MIN_ROWS */
  writerThreadMinRows?: number;
}

/** The smallest batch worth sending to the writer thread (below it, the hand-over costs more than it saves). */
export const WRITER_THREAD_MIN_ROWS = 128;

const failWith: Fail = (code, message, data) => new MemoryStoreError(code, message, { data });

const MEMORY_COLUMNS =
  'm.id, m.namespace, m.content, m.kind, m.tags, m.importance, m.metadata, m.created_at, m.updated_at, ' +
  'm.accessed_at, m.access_count, m.expires_at, lower(hex(m.content_hash)) AS content_hash, m.embedding_model, m.embedding_dims';

interface MemorySqlRow {
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

function toMemory(row: MemorySqlRow): MemoryRow {
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

interface EntitySqlRow {
  rowid: number;
  namespace: string;
  name: string;
  entity_type: string;
  observations: string;
  observed_at: string;
  created_at: number;
  updated_at: number;
}

function toEntity(row: EntitySqlRow): EntityRow {
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
function observationTimes(entity: { observations: string[]; observedAt?: number[]; updatedAt: number }) {
  return entity.observations.map((_observation, i) => entity.observedAt?.[i] ?? entity.updatedAt);
}

interface RelationSqlRow {
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

function toRelation(row: RelationSqlRow): RelationRow {
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
function blobVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

const json = (value: unknown): string => JSON.stringify(value);

function encodeCursor(parts: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T {
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

/** The SQL condition and parameters of a {@link MemoryFilter} over alias `m`. */
function filterSql(filter: MemoryFilter): { sql: string; params: Record<string, unknown> } {
  const parts = ['m.namespace = @namespace', '(m.expires_at IS NULL OR m.expires_at > @now)'];
  const params: Record<string, unknown> = { namespace: filter.namespace, now: filter.now };
  if (filter.kinds && filter.kinds.length > 0) {
    parts.push('m.kind IN (SELECT value FROM json_each(@kinds))');
    params.kinds = json(filter.kinds);
  }
  if (filter.createdAfter !== undefined) {
    parts.push('m.created_at > @createdAfter');
    params.createdAfter = filter.createdAfter;
  }
  if (filter.createdBefore !== undefined) {
    parts.push('m.created_at < @createdBefore');
    params.createdBefore = filter.createdBefore;
  }
  if (filter.minImportance !== undefined) {
    parts.push('m.importance >= @minImportance');
    params.minImportance = filter.minImportance;
  }
  if (filter.maxImportance !== undefined) {
    parts.push('m.importance <= @maxImportance');
    params.maxImportance = filter.maxImportance;
  }
  if (filter.tagsAny && filter.tagsAny.length > 0) {
    parts.push(
      'EXISTS (SELECT 1 FROM memory_tags t WHERE t.namespace = m.namespace AND t.memory_rowid = m.rowid AND t.tag IN (SELECT value FROM json_each(@tagsAny)))',
    );
    params.tagsAny = json(filter.tagsAny);
  }
  if (filter.tagsAll && filter.tagsAll.length > 0) {
    const unique = [...new Set(filter.tagsAll)];
    parts.push(
      '(SELECT count(*) FROM memory_tags t WHERE t.namespace = m.namespace AND t.memory_rowid = m.rowid AND t.tag IN (SELECT value FROM json_each(@tagsAll))) = @tagsAllCount',
    );
    params.tagsAll = json(unique);
    params.tagsAllCount = unique.length;
  }
  if (filter.ids) {
    parts.push('m.id IN (SELECT value FROM json_each(@ids))');
    params.ids = json(filter.ids);
  }
  return { sql: parts.join(' AND '), params };
}

/** Most rows a keyword query may make FTS5 score (see `#keywordMatch`). */
export const KEYWORD_MATCH_BUDGET = 2000;

/** Relation validity: current ones, or those valid at `asOf`. */
function validitySql(asOf: number | undefined, alias = 'r'): string {
  return asOf === undefined
    ? `${alias}.valid_to IS NULL`
    : `${alias}.valid_from <= @asOf AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > @asOf)`;
}

/**
 * Entities that existed at `asOf`: created by then, or an end of a relation valid then (a relation recorded
 * later with a back-dated `validFrom` vouches for both ends).
 */
function existedSql(asOf: number | undefined, alias = 'e'): string {
  return asOf === undefined
    ? '1'
    : `(${alias}.created_at <= @asOf OR EXISTS (SELECT 1 FROM relations r WHERE r.namespace = ${alias}.namespace ` +
        `AND (r.subject = ${alias}.name OR r.object = ${alias}.name) AND ${validitySql(asOf)}))`;
}

/**
 * The SQLite implementation of the storage driver: one file, WAL, `synchronous=FULL` by default, a busy
 * timeout, foreign keys on, every write in `BEGIN IMMEDIATE`, versioned migrations at open.
 *
 * @throws {MemoryStoreError} `STORAGE_ERROR` (not a database, cannot open), `DATABASE_TOO_NEW`, `MIGRATION_FAILED`
 */
export function createSqliteDriver(options: SqliteDriverOptions): StorageDriver {
  return new SqliteDriver(options);
}

class SqliteDriver implements StorageDriver {
  readonly kind = 'sqlite';
  readonly location: string;
  readonly graph: GraphDriver;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #cachedStatement = (sql: string) => this.statement(sql);
  #writer: WriterThread | undefined;
  readonly #writerMinRows: number;
  readonly #synchronousFull: boolean;
  #closed = false;
  /** Commits made through this connection (others' show in `data_version`). */
  #writes = 0;
  /**
   * FTS5 document frequencies by term for one state of the database: counting one walks the term's whole
   * posting list, and the common words of a query recur from one search to the next.
   */
  readonly #documentFrequencies = new Map<string, number>();
  #documentFrequencyState = '';

  constructor(options: SqliteDriverOptions) {
    this.location = options.path;
    this.#writerMinRows = options.writerThreadMinRows ?? WRITER_THREAD_MIN_ROWS;
    this.#synchronousFull = options.synchronous !== 'normal';
    try {
      this.#db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
    } catch (error) {
      throw storageError(`Opening the database ${JSON.stringify(options.path)}`, error);
    }
    try {
      if (options.path !== ':memory:') {
        // 16 KiB pages suit rows carrying a 1.5 KiB vector: bulk inserts measured ~10% faster than with 8 KiB
        // pages (and 8 KiB ~15% faster than 4 KiB), one create ~0.1 ms slower, searches the same. The size
        // can only be chosen before the file's first write; existing files keep theirs.
        if (this.#db.pragma('page_count', { simple: true }) === 0) this.#db.pragma('page_size = 16384');
        const mode = this.#db.pragma('journal_mode = WAL', { simple: true });
        if (mode !== 'wal') throw new Error(`could not enable WAL (journal_mode is ${String(mode)})`);
      }
      configureConnection(this.#db, options.synchronous ?? 'full');
      runMigrations(this.#db, options.migrations ?? MIGRATIONS);
    } catch (error) {
      this.#db.close();
      throw MemoryStoreError.isInstance(error)
        ? error
        : storageError(`Preparing the database ${JSON.stringify(options.path)}`, error);
    }
    this.graph = new SqliteGraph(this);
    if (options.path !== ':memory:' && options.writerThread !== false) {
      this.#writer = new WriterThread({
        path: options.path,
        synchronous: options.synchronous ?? 'full',
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
        schemaVersion: this.#db.pragma('user_version', { simple: true }) as number,
      });
    }
  }

  /** A cached prepared statement. */
  statement(sql: string): Database.Statement {
    this.#assertOpen();
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `work` in a `BEGIN IMMEDIATE` transaction; SQLite failures become `STORAGE_ERROR`. */
  write<T>(action: string, work: () => T): T {
    this.#assertOpen();
    try {
      return this.#db.transaction(work).immediate();
    } catch (error) {
      throw storageError(action, error);
    } finally {
      this.#writes++;
    }
  }

  /** Runs `work` in a read transaction (one consistent snapshot). */
  read<T>(action: string, work: () => T): T {
    this.#assertOpen();
    try {
      return this.#db.transaction(work).deferred();
    } catch (error) {
      throw storageError(action, error);
    }
  }

  /** `PRAGMA data_version` through a cached statement (`db.pragma()` prepares one per call). */
  #dataVersion(): number {
    return (this.statement('PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  #assertOpen(): void {
    if (this.#closed) throw new MemoryStoreError('CLOSED', 'The memory store is closed');
  }

  nextSeq(): number {
    return (
      this.statement("UPDATE counters SET value = value + 1 WHERE name = 'seq' RETURNING value").get() as {
        value: number;
      }
    ).value;
  }

  changeToken(): number {
    this.#assertOpen();
    return this.#dataVersion();
  }

  currentSeq(): number {
    return (this.statement("SELECT value FROM counters WHERE name = 'seq'").get() as { value: number }).value;
  }

  vectorChanges(model: string, afterSeq: number, skipSeqs: readonly number[] = []): VectorChanges {
    return this.read('Reading changes', () => {
      const seq = this.currentSeq();
      const floor = (
        this.statement("SELECT value FROM counters WHERE name = 'deletions_floor'").get() as { value: number }
      ).value;
      if (afterSeq < floor) return { seq, reset: true, upserts: [], removals: [] };
      const upserts: StoredVector[] = [];
      const removals: Array<{ id: string; namespace: string }> = [];
      const changed = (
        skipSeqs.length === 0
          ? this.statement(
              'SELECT id, namespace, embedding_model, embedding FROM memories WHERE seq > ? ORDER BY seq',
            ).all(afterSeq)
          : this.statement(
              'SELECT id, namespace, embedding_model, embedding FROM memories ' +
                'WHERE seq > ? AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY seq',
            ).all(afterSeq, json(skipSeqs))
      ) as Array<{
        id: string;
        namespace: string;
        embedding_model: string | null;
        embedding: Buffer | null;
      }>;
      for (const row of changed) {
        if (row.embedding_model === model && row.embedding) {
          upserts.push({ id: row.id, namespace: row.namespace, vector: blobVector(row.embedding) });
        } else {
          removals.push({ id: row.id, namespace: row.namespace });
        }
      }
      for (const row of this.statement('SELECT id, namespace FROM memory_deletions WHERE seq > ?').all(
        afterSeq,
      ) as Array<{
        id: string;
        namespace: string;
      }>) {
        removals.push(row);
      }
      return { seq, reset: false, upserts, removals };
    });
  }

  insertMemories(
    rows: readonly NewMemoryRow[],
    limits: { maxPerNamespace: number },
  ): InsertResult | Promise<InsertResult> {
    this.#assertOpen();
    if (rows.length === 0) return { seq: this.currentSeq(), outcomes: [] };
    const ids = rows.map((row) => row.id);
    const inline = () => {
      const columns = toColumns(rows, failWith);
      return insertOutcomes(
        ids,
        this.write('Storing memories', () =>
          insertMemoryRows(this.#cachedStatement, columns, limits.maxPerNamespace, failWith),
        ),
      );
    };
    const writer = this.#writer;
    if (!writer || rows.length < this.#writerMinRows) return inline();
    // The columns' arrays move to the thread; the fallback below builds its own.
    return writer.insert(toColumns(rows, failWith), limits.maxPerNamespace).then(
      (written) => {
        this.#writes++;
        return insertOutcomes(ids, written);
      },
      (error: unknown) => {
        if (!(error instanceof WriterThreadUnavailable)) throw error;
        // Nothing was written: this connection writes, now and from now on.
        if (this.#writer === writer) {
          this.#writer = undefined;
          void writer.close();
        }
        return inline();
      },
    );
  }

  #addToCounts(added: Map<string, number>, maxPerNamespace: number): void {
    addToNamespaceCounts(this.#cachedStatement, added, maxPerNamespace, failWith);
  }

  getMemories(namespace: string, ids: readonly string[], now: number, includeExpired = false): MemoryRow[] {
    if (ids.length === 0) return [];
    const rows = this.statement(
      // `+m.namespace` keeps the planner on the id index: driven by the namespace index instead, this
      // lookup of a few ids scanned every row of the namespace (80 ms at 100k memories).
      `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id IN (SELECT value FROM json_each(?)) AND +m.namespace = ?` +
        (includeExpired ? '' : ' AND (m.expires_at IS NULL OR m.expires_at > ?)'),
    ).all(...(includeExpired ? [json(ids), namespace] : [json(ids), namespace, now])) as MemorySqlRow[];
    const byId = new Map(rows.map((row) => [row.id, toMemory(row)]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [row] : [];
    });
  }

  findByHash(namespace: string, contentHash: string): string | undefined {
    return (
      this.statement('SELECT id FROM memories WHERE namespace = ? AND content_hash = ?').get(
        namespace,
        hashKey(contentHash),
      ) as { id: string } | undefined
    )?.id;
  }

  updateMemory(namespace: string, id: string, patch: MemoryPatch, now: number): MemoryRow | undefined {
    return this.write('Updating a memory', () => {
      const old = this.statement(
        `SELECT m.rowid AS rowid, ${MEMORY_COLUMNS} FROM memories m WHERE m.namespace = ? AND m.id = ?`,
      ).get(namespace, id) as (MemorySqlRow & { rowid: number }) | undefined;
      if (!old) return undefined;
      const contentChanged = patch.content !== undefined && patch.contentHash !== old.content_hash;
      if (contentChanged) {
        const clash = this.findByHash(namespace, patch.contentHash as string);
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
      const seq = this.nextSeq();
      const content = patch.content ?? old.content;
      const embedding = patch.embedding === undefined ? undefined : patch.embedding;
      this.statement(
        'UPDATE memories SET content = ?, content_hash = ?, kind = ?, tags = ?, importance = ?, metadata = ?, expires_at = ?, ' +
          'updated_at = ?, seq = ?, embedding_model = ?, embedding_dims = ?, embedding = ? WHERE rowid = ?',
      ).run(
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
          ? [old.embedding_model, old.embedding_dims, this.#embeddingOf(old.rowid)]
          : embedding === null
            ? [null, null, null]
            : [embedding.model, embedding.vector.length, vectorBlob(embedding.vector)]),
        old.rowid,
      );
      if (contentChanged) {
        this.statement("INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', ?, ?)").run(
          old.rowid,
          old.content,
        );
        this.statement('INSERT INTO memories_fts (rowid, content) VALUES (?, ?)').run(old.rowid, content);
      }
      if (patch.tags) {
        this.statement('DELETE FROM memory_tags WHERE memory_rowid = ?').run(old.rowid);
        const tag = this.statement(
          'INSERT OR IGNORE INTO memory_tags (namespace, tag, memory_rowid) VALUES (?, ?, ?)',
        );
        for (const name of patch.tags) tag.run(namespace, name, old.rowid);
      }
      return toMemory(
        this.statement(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.rowid = ?`).get(
          old.rowid,
        ) as MemorySqlRow,
      );
    });
  }

  #embeddingOf(rowid: number): Buffer | null {
    return (
      this.statement('SELECT embedding FROM memories WHERE rowid = ?').get(rowid) as {
        embedding: Buffer | null;
      }
    ).embedding;
  }

  /** Deletes rows (FTS entries, tags via cascade), logs them for other processes, adjusts counts. */
  #deleteRows(
    rows: ReadonlyArray<{ rowid: number; id: string; namespace: string; content: string }>,
  ): string[] {
    if (rows.length === 0) return [];
    const seq = this.nextSeq();
    const ftsDelete = this.statement(
      "INSERT INTO memories_fts (memories_fts, rowid, content) VALUES ('delete', ?, ?)",
    );
    const remove = this.statement('DELETE FROM memories WHERE rowid = ?');
    const log = this.statement('INSERT INTO memory_deletions (seq, id, namespace) VALUES (?, ?, ?)');
    const removed = new Map<string, number>();
    for (const row of rows) {
      ftsDelete.run(row.rowid, row.content);
      remove.run(row.rowid);
      log.run(seq, row.id, row.namespace);
      removed.set(row.namespace, (removed.get(row.namespace) ?? 0) - 1);
    }
    this.#addToCounts(removed, Number.POSITIVE_INFINITY);
    return rows.map((row) => row.id);
  }

  deleteMemories(namespace: string, ids: readonly string[]): string[] {
    if (ids.length === 0) return [];
    return this.write('Deleting memories', () => {
      const rows = this.statement(
        'SELECT rowid, id, namespace, content FROM memories WHERE namespace = ? AND id IN (SELECT value FROM json_each(?))',
      ).all(namespace, json(ids)) as Array<{ rowid: number; id: string; namespace: string; content: string }>;
      return this.#deleteRows(rows);
    });
  }

  deleteWhere(filter: MemoryFilter): string[] {
    const { sql, params } = filterSql(filter);
    return this.write('Deleting memories', () => {
      const rows = this.statement(
        `SELECT m.rowid AS rowid, m.id AS id, m.namespace AS namespace, m.content AS content FROM memories m WHERE ${sql}`,
      ).all(params) as Array<{ rowid: number; id: string; namespace: string; content: string }>;
      return this.#deleteRows(rows);
    });
  }

  listMemories(filter: MemoryFilter, page: { limit: number; cursor?: string | undefined }) {
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
      this.statement(
        `SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${condition} ORDER BY m.created_at DESC, m.id DESC LIMIT @limit`,
      ).all(params) as MemorySqlRow[]
    ).map(toMemory);
    const more = rows.length > page.limit;
    if (more) rows.pop();
    const last = rows.at(-1);
    return { rows, nextCursor: more && last ? encodeCursor({ c: last.createdAt, i: last.id }) : undefined };
  }

  countMemories(filter: MemoryFilter): number {
    const { sql, params } = filterSql(filter);
    return (
      this.statement(`SELECT count(*) AS count FROM memories m WHERE ${sql}`).get(params) as { count: number }
    ).count;
  }

  filterIds(filter: MemoryFilter, limit: number): string[] {
    const { sql, params } = filterSql(filter);
    params.limit = limit;
    return (
      this.statement(`SELECT m.id AS id FROM memories m WHERE ${sql} LIMIT @limit`).all(params) as Array<{
        id: string;
      }>
    ).map((row) => row.id);
  }

  /** Number of rows whose indexed text contains the term (or a term with that prefix). */
  #documentFrequency(entry: KeywordTerm): number {
    const state = `${this.#writes}:${this.#dataVersion()}`;
    if (state !== this.#documentFrequencyState || this.#documentFrequencies.size > 50_000) {
      this.#documentFrequencies.clear();
      this.#documentFrequencyState = state;
    }
    const key = entry.prefix ? `${entry.term}*` : entry.term;
    let df = this.#documentFrequencies.get(key);
    if (df === undefined) {
      df = this.#countDocuments(entry);
      this.#documentFrequencies.set(key, df);
    }
    return df;
  }

  #countDocuments(entry: KeywordTerm): number {
    if (!entry.prefix) {
      return (
        (
          this.statement('SELECT doc FROM memories_fts_vocab WHERE term = ?').get(entry.term) as
            | { doc: number }
            | undefined
        )?.doc ?? 0
      );
    }
    // The term range [prefix, prefix + U+FFFF) covers every token starting with the prefix.
    return (
      (
        this.statement('SELECT sum(doc) AS doc FROM memories_fts_vocab WHERE term >= ? AND term < ?').get(
          entry.term,
          `${entry.term}\uffff`,
        ) as {
          doc: number | null;
        }
      ).doc ?? 0
    );
  }

  keywordSearch(
    filter: MemoryFilter,
    terms: readonly KeywordTerm[],
    limit: number,
  ): Array<{ id: string; bm25: number }> {
    if (terms.length === 0) return [];
    return this.read('Keyword search', () => {
      const plan = this.#keywordMatch(terms);
      if (plan === undefined) return [];
      const { sql, params } = filterSql(filter);
      params.match = plan.match;
      params.limit = limit;
      // A query that still matches more rows than the budget scores only the most recent matches:
      // FTS5 walks posting lists in rowid order, so finding the cut-off row is cheap.
      let floor = '';
      if (plan.estimate > KEYWORD_MATCH_BUDGET) {
        const cut = this.statement(
          'SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?',
        ).get(plan.match, KEYWORD_MATCH_BUDGET - 1) as { rowid: number } | undefined;
        if (cut) {
          floor = ' AND memories_fts.rowid >= @floor';
          params.floor = cut.rowid;
        }
      }
      const ranked = this.#rankThenFilter(filter, plan.match, floor, params);
      if (ranked) return ranked;
      return this.statement(
        `SELECT m.id AS id, bm25(memories_fts) AS bm25 FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid ` +
          `WHERE memories_fts MATCH @match${floor} AND ${sql} ORDER BY bm25 LIMIT @limit`,
      ).all(params) as Array<{ id: string; bm25: number }>;
    });
  }

  /**
   * When the filter is only "this namespace, not expired" and the namespace holds most rows, ranking inside
   * FTS5 first and filtering the few best rows afterwards halves the cost of a keyword search (joining every
   * match to its row costs as much as scoring it). The answer is exactly the filter-first one: rows are
   * taken in BM25 order, so the first `limit` that pass are the best `limit` that pass; when too few pass
   * and more matches remain, this returns `undefined` and the caller runs the filter-first query.
   */
  #rankThenFilter(
    filter: MemoryFilter,
    match: string,
    floor: string,
    params: Record<string, unknown>,
  ): Array<{ id: string; bm25: number }> | undefined {
    const limit = params.limit as number;
    if (
      filter.kinds?.length ||
      filter.tagsAny?.length ||
      filter.tagsAll?.length ||
      filter.ids ||
      filter.createdAfter !== undefined ||
      filter.createdBefore !== undefined ||
      filter.minImportance !== undefined ||
      filter.maxImportance !== undefined
    ) {
      return undefined;
    }
    const counts = this.statement(
      'SELECT sum(memories) AS total, sum(memories) FILTER (WHERE namespace = ?) AS mine FROM namespace_counts',
    ).get(filter.namespace) as { total: number | null; mine: number | null };
    const share = (counts.mine ?? 0) / Math.max(1, counts.total ?? 0);
    if (share < 0.5) return undefined;
    const fetch = Math.ceil((limit / share) * 1.25) + 8;
    const top = this.statement(
      `SELECT rowid, bm25(memories_fts) AS bm25 FROM memories_fts WHERE memories_fts MATCH @match${floor.replace('memories_fts.rowid', 'rowid')} ORDER BY bm25 LIMIT @fetch`,
    ).all({ match, fetch, ...(floor ? { floor: params.floor } : {}) }) as Array<{
      rowid: number;
      bm25: number;
    }>;
    if (top.length === 0) return [];
    const passing = new Map(
      (
        this.statement(
          'SELECT rowid, id FROM memories WHERE rowid IN (SELECT value FROM json_each(?)) AND +namespace = ? AND (expires_at IS NULL OR expires_at > ?)',
        ).all(json(top.map((row) => row.rowid)), filter.namespace, filter.now) as Array<{
          rowid: number;
          id: string;
        }>
      ).map((row) => [row.rowid, row.id]),
    );
    const hits: Array<{ id: string; bm25: number }> = [];
    for (const row of top) {
      const id = passing.get(row.rowid);
      if (id !== undefined) hits.push({ id, bm25: row.bm25 });
      if (hits.length === limit) return hits;
    }
    return top.length < fetch ? hits : undefined;
  }

  /**
   * The FTS5 expression for `terms`, bounded in cost. BM25 scores every matching row (about 1 µs each), and
   * in natural text a few common words match most rows. So terms are taken rarest first while their summed
   * document frequency stays within {@link KEYWORD_MATCH_BUDGET} (such common terms carry almost no BM25
   * weight anyway); when even the rarest is over budget, every term is required (AND), which is cheap to
   * intersect and the most precise reading of an all-common-words query. Terms that occur nowhere are dropped.
   * `estimate` bounds the rows the expression matches (used to cap scoring to the most recent matches).
   */
  #keywordMatch(terms: readonly KeywordTerm[]): { match: string; estimate: number } | undefined {
    const scored = terms
      .map((entry) => {
        const df = this.#documentFrequency(entry);
        // A common prefix is expensive (FTS5 merges the doclists of every term it expands to) and adds
        // little: use the exact word instead.
        if (df > KEYWORD_MATCH_BUDGET && entry.prefix && entry.exact) {
          const exact: KeywordTerm = { term: entry.exact, prefix: false };
          return { entry: exact, df: this.#documentFrequency(exact) };
        }
        return { entry, df };
      })
      .filter((term) => term.df > 0)
      .sort((a, b) => a.df - b.df);
    if (scored.length === 0) return undefined;
    const rarest = (scored[0] as { df: number }).df;
    if (rarest > KEYWORD_MATCH_BUDGET && scored.length > 1) {
      return { match: scored.map((term) => quoteFtsTerm(term.entry)).join(' AND '), estimate: rarest };
    }
    const chosen: KeywordTerm[] = [];
    let total = 0;
    for (const term of scored) {
      if (chosen.length > 0 && total + term.df > KEYWORD_MATCH_BUDGET) break;
      chosen.push(term.entry);
      total += term.df;
    }
    return { match: chosen.map(quoteFtsTerm).join(' OR '), estimate: total };
  }

  recordAccess(entries: ReadonlyArray<{ id: string; at: number }>): void {
    if (entries.length === 0) return;
    const merged = new Map<string, { at: number; count: number }>();
    for (const entry of entries) {
      const current = merged.get(entry.id);
      merged.set(entry.id, { at: Math.max(current?.at ?? 0, entry.at), count: (current?.count ?? 0) + 1 });
    }
    // Access statistics are advisory: they commit without waiting for the disk (synchronous=NORMAL for this
    // one transaction, still atomic), so a search never waits on an fsync. A power cut may lose the last
    // few counts, never anything else: every other write still commits with synchronous=FULL.
    if (this.#synchronousFull) this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      this.write('Recording access', () => {
        const update = this.statement(
          'UPDATE memories SET accessed_at = max(coalesce(accessed_at, 0), ?), access_count = access_count + ? WHERE id = ?',
        );
        for (const [id, { at, count }] of merged) update.run(at, count, id);
      });
    } finally {
      if (this.#synchronousFull) this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  prune(policy: PrunePolicy, now: number): string[] {
    return this.write('Pruning memories', () => {
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
      const rows = this.statement(`SELECT rowid, id, namespace, content FROM memories WHERE ${where}`).all(
        params,
      ) as Array<{
        rowid: number;
        id: string;
        namespace: string;
        content: string;
      }>;
      const removed = this.#deleteRows(rows);
      // Keep the deletion log bounded; processes that fell further behind reload their index fully.
      const keepFrom = this.statement(
        'SELECT seq FROM memory_deletions ORDER BY seq DESC LIMIT 1 OFFSET 100000',
      ).get() as { seq: number } | undefined;
      if (keepFrom) {
        this.statement('DELETE FROM memory_deletions WHERE seq <= ?').run(keepFrom.seq);
        this.statement("UPDATE counters SET value = ? WHERE name = 'deletions_floor'").run(keepFrom.seq);
      }
      return removed;
    });
  }

  *iterateVectors(model: string, batchSize: number): IterableIterator<StoredVector[]> {
    let after = 0;
    for (;;) {
      const rows = this.statement(
        'SELECT rowid, id, namespace, embedding FROM memories WHERE embedding_model = ? AND rowid > ? ORDER BY rowid LIMIT ?',
      ).all(model, after, batchSize) as Array<{
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

  missingEmbeddings(model: string, limit: number, afterId = '', options: { pendingOnly?: boolean } = {}) {
    return (
      this.statement(
        'SELECT id, namespace, content, lower(hex(content_hash)) AS content_hash FROM memories ' +
          `WHERE ${options.pendingOnly ? 'embedding_model IS NULL' : '(embedding_model IS NULL OR embedding_model != @model)'} ` +
          'AND id > @afterId ORDER BY id LIMIT @limit',
      ).all({ ...(options.pendingOnly ? {} : { model }), afterId, limit }) as Array<{
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

  setEmbeddings(
    items: ReadonlyArray<{ id: string; contentHash: string; model: string; vector: Float32Array }>,
  ): number {
    if (items.length === 0) return 0;
    return this.write('Storing embeddings', () => {
      const seq = this.nextSeq();
      const update = this.statement(
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

  stats(namespace: string | undefined, now: number): StoreStats {
    return this.read('Reading statistics', () => {
      const where = namespace === undefined ? '' : 'WHERE namespace = @namespace';
      const params = namespace === undefined ? { now } : { now, namespace };
      const base = this.statement(
        `SELECT count(*) AS memories, count(embedding) AS withVector, sum(embedding IS NULL) AS pending, ` +
          `sum(expires_at IS NOT NULL AND expires_at <= @now) AS expired, min(created_at) AS oldest, max(created_at) AS newest ` +
          `FROM memories ${where}`,
      ).get(params) as {
        memories: number;
        withVector: number;
        pending: number | null;
        expired: number | null;
        oldest: number | null;
        newest: number | null;
      };
      const byKind: Record<string, number> = {};
      for (const row of this.statement(`SELECT kind, count(*) AS n FROM memories ${where} GROUP BY kind`).all(
        namespace === undefined ? {} : { namespace },
      ) as Array<{ kind: string; n: number }>) {
        byKind[row.kind] = row.n;
      }
      const byModel: Record<string, number> = {};
      for (const row of this.statement(
        `SELECT embedding_model AS model, count(*) AS n FROM memories ${where ? `${where} AND` : 'WHERE'} embedding_model IS NOT NULL GROUP BY embedding_model`,
      ).all(namespace === undefined ? {} : { namespace }) as Array<{ model: string; n: number }>) {
        byModel[row.model] = row.n;
      }
      const entities = (
        this.statement(`SELECT count(*) AS n FROM entities ${where}`).get(
          namespace === undefined ? {} : { namespace },
        ) as { n: number }
      ).n;
      const relations = (
        this.statement(
          `SELECT count(*) AS n FROM relations ${where ? `${where} AND` : 'WHERE'} valid_to IS NULL`,
        ).get(namespace === undefined ? {} : { namespace }) as { n: number }
      ).n;
      return {
        memories: base.memories,
        withVector: base.withVector,
        pendingEmbeddings: base.pending ?? 0,
        expired: base.expired ?? 0,
        entities,
        relations,
        byKind,
        byModel,
        oldestCreatedAt: base.oldest,
        newestCreatedAt: base.newest,
      };
    });
  }

  namespaces(): string[] {
    return (
      this.statement(
        'SELECT namespace FROM namespace_counts WHERE memories > 0 UNION SELECT DISTINCT namespace FROM entities ORDER BY namespace',
      ).all() as Array<{ namespace: string }>
    ).map((row) => row.namespace);
  }

  cacheGet(model: string, hashes: readonly string[]): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    if (hashes.length === 0) return found;
    for (const row of this.statement(
      'SELECT content_hash, vector FROM embedding_cache WHERE model = ? AND content_hash IN (SELECT value FROM json_each(?))',
    ).all(model, json(hashes)) as Array<{ content_hash: string; vector: Buffer }>) {
      found.set(row.content_hash, blobVector(row.vector));
    }
    return found;
  }

  cachePut(model: string, entries: ReadonlyArray<{ hash: string; vector: Float32Array }>): void {
    if (entries.length === 0) return;
    this.write('Caching embeddings', () => {
      const put = this.statement(
        'INSERT OR REPLACE INTO embedding_cache (model, content_hash, dims, vector, created_at) VALUES (?, ?, ?, ?, ?)',
      );
      const now = Date.now();
      for (const entry of entries)
        put.run(model, entry.hash, entry.vector.length, vectorBlob(entry.vector), now);
    });
  }

  *exportRecords(options: { namespace?: string; includeVectors: boolean }): IterableIterator<ExportRecord> {
    yield { type: 'header', format: 'mimo-memory', version: 1, exportedAt: new Date().toISOString() };
    const scope = options.namespace === undefined ? '' : 'AND namespace = @namespace';
    const params = (extra: Record<string, unknown>) =>
      options.namespace === undefined ? extra : { ...extra, namespace: options.namespace };
    let after = 0;
    for (;;) {
      const rows = this.statement(
        `SELECT m.rowid AS rowid, ${MEMORY_COLUMNS}, m.embedding AS embedding FROM memories m WHERE m.rowid > @after ${scope.replace('namespace', 'm.namespace')} ORDER BY m.rowid LIMIT 500`,
      ).all(params({ after })) as Array<MemorySqlRow & { rowid: number; embedding: Buffer | null }>;
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
    for (const row of this.statement(
      `SELECT * FROM entities WHERE 1 ${scope} ORDER BY namespace, name`,
    ).iterate(params({})) as Iterable<EntitySqlRow>) {
      yield { type: 'entity', ...toEntity(row) };
    }
    for (const row of this.statement(`SELECT * FROM relations WHERE 1 ${scope} ORDER BY id`).iterate(
      params({}),
    ) as Iterable<RelationSqlRow>) {
      yield { type: 'relation', ...toRelation(row) };
    }
    for (const row of this.statement(
      `SELECT * FROM predicates WHERE 1 ${scope} ORDER BY namespace, name`,
    ).iterate(params({})) as Iterable<{
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

  importRecords(records: readonly ExportRecord[], onConflict: 'skip' | 'replace'): ImportCounts {
    return this.write('Importing records', () => {
      const counts: ImportCounts = { memories: 0, entities: 0, relations: 0, predicates: 0, skipped: 0 };
      const seq = this.nextSeq();
      const added = new Map<string, number>();
      for (const record of records) {
        switch (record.type) {
          case 'header':
            break;
          case 'memory': {
            const byId = this.statement(
              'SELECT rowid, id, namespace, content FROM memories WHERE id = ?',
            ).get(record.id) as { rowid: number; id: string; namespace: string; content: string } | undefined;
            if (byId) {
              if (onConflict === 'skip') {
                counts.skipped++;
                break;
              }
              this.#deleteRows([byId]);
              added.set(byId.namespace, (added.get(byId.namespace) ?? 0) + 1);
            }
            const hash = contentHash(record.content);
            const clash = this.findByHash(record.namespace, hash);
            if (clash) {
              counts.skipped++;
              break;
            }
            const embedding = record.embedding ? Buffer.from(record.embedding.vector, 'base64') : null;
            const info = this.statement(
              'INSERT INTO memories (id, namespace, content, kind, tags, importance, metadata, created_at, updated_at, accessed_at, ' +
                'access_count, expires_at, content_hash, embedding_model, embedding_dims, embedding, seq) ' +
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            ).run(
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
            this.statement('INSERT INTO memories_fts (rowid, content) VALUES (?, ?)').run(
              info.lastInsertRowid,
              record.content,
            );
            const tag = this.statement(
              'INSERT OR IGNORE INTO memory_tags (namespace, tag, memory_rowid) VALUES (?, ?, ?)',
            );
            for (const name of record.tags) tag.run(record.namespace, name, info.lastInsertRowid);
            added.set(record.namespace, (added.get(record.namespace) ?? 0) + 1);
            counts.memories++;
            break;
          }
          case 'entity': {
            const existing = this.statement(
              'SELECT rowid FROM entities WHERE namespace = ? AND name = ?',
            ).get(record.namespace, record.name);
            if (existing && onConflict === 'skip') {
              counts.skipped++;
              break;
            }
            (this.graph as SqliteGraph).putEntity(record, Boolean(existing));
            counts.entities++;
            break;
          }
          case 'relation': {
            const missing = [record.subject, record.object].filter(
              (name) =>
                !this.statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?').get(
                  record.namespace,
                  name,
                ),
            );
            if (missing.length > 0) {
              throw new MemoryStoreError(
                'NOT_FOUND',
                `A relation refers to unknown entities: ${missing.map((n) => JSON.stringify(n)).join(', ')}`,
              );
            }
            const current =
              record.validTo === null &&
              this.statement(
                'SELECT 1 FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
              ).get(record.namespace, record.subject, record.predicate, record.object);
            if (current) {
              counts.skipped++;
              break;
            }
            this.statement(
              'INSERT INTO relations (namespace, subject, predicate, object, valid_from, valid_to, source, confidence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            ).run(
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
            this.graph.setPredicate(record.namespace, record.name, record.singleValued);
            counts.predicates++;
            break;
        }
      }
      this.#addToCounts(added, Number.POSITIVE_INFINITY);
      return counts;
    });
  }

  integrityCheck(): string {
    const integrity = (this.#db.pragma('integrity_check') as Array<{ integrity_check: string }>).map(
      (row) => row.integrity_check,
    );
    const foreign = this.#db.pragma('foreign_key_check') as unknown[];
    const problems = integrity.filter((line) => line !== 'ok');
    if (foreign.length > 0) problems.push(`${foreign.length} foreign key violation(s)`);
    return problems.length === 0 ? 'ok' : problems.join('; ');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The writer thread finishes what it was given and closes its connection first.
    await this.#writer?.close();
    this.#statements.clear();
    try {
      // A clean close checkpoints the WAL and removes it.
      this.#db.close();
    } catch (error) {
      throw storageError('Closing the database', error);
    }
  }
}

class SqliteGraph implements GraphDriver {
  readonly #driver: SqliteDriver;

  constructor(driver: SqliteDriver) {
    this.#driver = driver;
  }

  #statement(sql: string) {
    return this.#driver.statement(sql);
  }

  #ftsText(entity: { name: string; entityType: string; observations: string[] }): [string, string, string] {
    return [entity.name, entity.entityType, entity.observations.join('\n')];
  }

  /** Inserts or replaces one entity and its FTS entry (inside the caller's transaction). */
  putEntity(
    entity: {
      namespace: string;
      name: string;
      entityType: string;
      observations: string[];
      observedAt?: number[];
      createdAt: number;
      updatedAt: number;
    },
    exists: boolean,
  ): void {
    const observedAt = json(observationTimes(entity));
    if (exists) {
      const old = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
        entity.namespace,
        entity.name,
      ) as EntitySqlRow;
      this.#statement(
        "INSERT INTO entities_fts (entities_fts, rowid, name, entity_type, observations) VALUES ('delete', ?, ?, ?, ?)",
      ).run(old.rowid, ...this.#ftsText(toEntity(old)));
      this.#statement(
        'UPDATE entities SET entity_type = ?, observations = ?, observed_at = ?, updated_at = ? WHERE rowid = ?',
      ).run(entity.entityType, json(entity.observations), observedAt, entity.updatedAt, old.rowid);
      this.#statement(
        'INSERT INTO entities_fts (rowid, name, entity_type, observations) VALUES (?, ?, ?, ?)',
      ).run(old.rowid, ...this.#ftsText(entity));
      return;
    }
    const info = this.#statement(
      'INSERT INTO entities (namespace, name, entity_type, observations, observed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      entity.namespace,
      entity.name,
      entity.entityType,
      json(entity.observations),
      observedAt,
      entity.createdAt,
      entity.updatedAt,
    );
    this.#statement(
      'INSERT INTO entities_fts (rowid, name, entity_type, observations) VALUES (?, ?, ?, ?)',
    ).run(info.lastInsertRowid, ...this.#ftsText(entity));
  }

  createEntities(
    namespace: string,
    entities: ReadonlyArray<{ name: string; entityType: string; observations: string[] }>,
    now: number,
  ): EntityRow[] {
    return this.#driver.write('Creating entities', () => {
      const created: EntityRow[] = [];
      const exists = this.#statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?');
      for (const entity of entities) {
        if (exists.get(namespace, entity.name)) continue;
        const observations = [...new Set(entity.observations)];
        const row = {
          namespace,
          name: entity.name,
          entityType: entity.entityType,
          observations,
          observedAt: observations.map(() => now),
          createdAt: now,
          updatedAt: now,
        };
        this.putEntity(row, false);
        created.push(row);
      }
      return created;
    });
  }

  getEntities(namespace: string, names: readonly string[], asOf?: number): EntityRow[] {
    if (names.length === 0) return [];
    return (
      this.#statement(
        `SELECT * FROM entities e WHERE e.namespace = @namespace AND e.name IN (SELECT value FROM json_each(@names)) AND ${existedSql(asOf)} ORDER BY e.name`,
      ).all({ namespace, names: json(names), ...(asOf === undefined ? {} : { asOf }) }) as EntitySqlRow[]
    ).map(toEntity);
  }

  #requireEntity(namespace: string, name: string): EntityRow {
    const row = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
      namespace,
      name,
    ) as EntitySqlRow | undefined;
    if (!row)
      throw new MemoryStoreError('NOT_FOUND', `Entity with name ${JSON.stringify(name)} not found`, {
        data: { name },
      });
    return toEntity(row);
  }

  addObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; contents: string[] }>,
    now: number,
  ) {
    return this.#driver.write('Adding observations', () =>
      items.map((item) => {
        const entity = this.#requireEntity(namespace, item.entityName);
        const present = new Set(entity.observations);
        const added = [...new Set(item.contents)].filter((observation) => !present.has(observation));
        if (added.length > 0) {
          this.putEntity(
            {
              ...entity,
              observations: [...entity.observations, ...added],
              observedAt: [...observationTimes(entity), ...added.map(() => now)],
              updatedAt: now,
            },
            true,
          );
        }
        return { entityName: item.entityName, addedObservations: added };
      }),
    );
  }

  deleteObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; observations: string[] }>,
    now: number,
  ): void {
    this.#driver.write('Deleting observations', () => {
      for (const item of items) {
        const row = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
          namespace,
          item.entityName,
        ) as EntitySqlRow | undefined;
        if (!row) continue;
        const entity = toEntity(row);
        const remove = new Set(item.observations);
        const times = observationTimes(entity);
        const keep = entity.observations.map((observation) => !remove.has(observation));
        if (keep.includes(false)) {
          this.putEntity(
            {
              ...entity,
              observations: entity.observations.filter((_observation, i) => keep[i]),
              observedAt: times.filter((_time, i) => keep[i]),
              updatedAt: now,
            },
            true,
          );
        }
      }
    });
  }

  deleteEntities(namespace: string, names: readonly string[]): string[] {
    if (names.length === 0) return [];
    return this.#driver.write('Deleting entities', () => {
      const rows = this.#statement(
        'SELECT * FROM entities WHERE namespace = ? AND name IN (SELECT value FROM json_each(?))',
      ).all(namespace, json(names)) as EntitySqlRow[];
      for (const row of rows) {
        this.#statement(
          "INSERT INTO entities_fts (entities_fts, rowid, name, entity_type, observations) VALUES ('delete', ?, ?, ?, ?)",
        ).run(row.rowid, ...this.#ftsText(toEntity(row)));
        // Relations touching the entity go with it (ON DELETE CASCADE).
        this.#statement('DELETE FROM entities WHERE rowid = ?').run(row.rowid);
      }
      return rows.map((row) => row.name);
    });
  }

  createRelations(namespace: string, relations: readonly NewRelation[], now: number): RelationRow[] {
    return this.#driver.write('Creating relations', () => {
      const known = this.#statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?');
      const missing = new Set<string>();
      for (const relation of relations) {
        if (!known.get(namespace, relation.subject)) missing.add(relation.subject);
        if (!known.get(namespace, relation.object)) missing.add(relation.object);
      }
      if (missing.size > 0) {
        throw new MemoryStoreError(
          'NOT_FOUND',
          `Relations refer to entities that do not exist: ${[...missing].map((n) => JSON.stringify(n)).join(', ')}; create them first`,
          { data: { names: [...missing] } },
        );
      }
      const single = new Set(this.singleValuedPredicates(namespace));
      const current = this.#statement(
        'SELECT 1 FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
      );
      const close = this.#statement(
        'UPDATE relations SET valid_to = max(valid_from, ?) WHERE namespace = ? AND subject = ? AND predicate = ? AND object != ? AND valid_to IS NULL',
      );
      const insert = this.#statement(
        'INSERT INTO relations (namespace, subject, predicate, object, valid_from, valid_to, source, confidence, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)',
      );
      const created: RelationRow[] = [];
      for (const relation of relations) {
        if (current.get(namespace, relation.subject, relation.predicate, relation.object)) continue;
        const validFrom = relation.validFrom ?? now;
        if (single.has(relation.predicate))
          close.run(validFrom, namespace, relation.subject, relation.predicate, relation.object);
        const row: RelationRow = {
          namespace,
          subject: relation.subject,
          predicate: relation.predicate,
          object: relation.object,
          validFrom,
          validTo: null,
          source: relation.source ?? null,
          confidence: relation.confidence ?? 1,
          createdAt: now,
        };
        insert.run(
          namespace,
          row.subject,
          row.predicate,
          row.object,
          row.validFrom,
          row.source,
          row.confidence,
          now,
        );
        created.push(row);
      }
      return created;
    });
  }

  deleteRelations(
    namespace: string,
    relations: ReadonlyArray<{ subject: string; predicate: string; object: string }>,
  ): number {
    return this.#driver.write('Deleting relations', () => {
      const remove = this.#statement(
        'DELETE FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
      );
      let count = 0;
      for (const relation of relations)
        count += remove.run(namespace, relation.subject, relation.predicate, relation.object).changes;
      return count;
    });
  }

  setPredicate(namespace: string, predicate: string, singleValued: boolean): void {
    this.#statement(
      'INSERT INTO predicates (namespace, name, single_valued) VALUES (?, ?, ?) ON CONFLICT (namespace, name) DO UPDATE SET single_valued = excluded.single_valued',
    ).run(namespace, predicate, singleValued ? 1 : 0);
  }

  singleValuedPredicates(namespace: string): string[] {
    return (
      this.#statement(
        'SELECT name FROM predicates WHERE namespace = ? AND single_valued = 1 ORDER BY name',
      ).all(namespace) as Array<{
        name: string;
      }>
    ).map((row) => row.name);
  }

  readGraph(
    namespace: string,
    page: { limit: number; cursor?: string | undefined },
    asOf: number | undefined,
  ) {
    const after = page.cursor
      ? decodeCursor(
          page.cursor,
          (value): value is { n: string } => typeof (value as { n?: unknown })?.n === 'string',
        ).n
      : '';
    const rows = (
      this.#statement(
        `SELECT * FROM entities e WHERE e.namespace = @namespace AND e.name > @after AND ${existedSql(asOf)} ORDER BY e.name LIMIT @limit`,
      ).all({
        namespace,
        after,
        limit: page.limit + 1,
        ...(asOf === undefined ? {} : { asOf }),
      }) as EntitySqlRow[]
    ).map(toEntity);
    const more = rows.length > page.limit;
    if (more) rows.pop();
    const relations = this.relationsOf(
      namespace,
      rows.map((row) => row.name),
      { between: false, asOf },
    ).filter((relation) => rows.some((row) => row.name === relation.subject));
    const last = rows.at(-1);
    return {
      entities: rows,
      relations,
      nextCursor: more && last ? encodeCursor({ n: last.name }) : undefined,
    };
  }

  relationsOf(
    namespace: string,
    names: readonly string[],
    options: { between: boolean; asOf: number | undefined },
  ): RelationRow[] {
    if (names.length === 0) return [];
    const join = options.between ? 'AND' : 'OR';
    return (
      this.#statement(
        `SELECT * FROM relations r WHERE r.namespace = @namespace AND ${validitySql(options.asOf)} AND ` +
          `(r.subject IN (SELECT value FROM json_each(@names)) ${join} r.object IN (SELECT value FROM json_each(@names))) ORDER BY r.id`,
      ).all({
        namespace,
        names: json(names),
        ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
      }) as RelationSqlRow[]
    ).map(toRelation);
  }

  searchEntities(
    namespace: string,
    terms: readonly KeywordTerm[],
    limit: number,
  ): Array<{ name: string; bm25: number }> {
    if (terms.length === 0) return [];
    return this.#statement(
      'SELECT e.name AS name, bm25(entities_fts, 3.0, 1.0, 1.0) AS bm25 FROM entities_fts JOIN entities e ON e.rowid = entities_fts.rowid ' +
        'WHERE entities_fts MATCH ? AND e.namespace = ? ORDER BY bm25 LIMIT ?',
    ).all(terms.map(quoteFtsTerm).join(' OR '), namespace, limit) as Array<{ name: string; bm25: number }>;
  }

  #edgeParams(
    namespace: string,
    options: TraversalOptions,
  ): { clause: string; params: Record<string, unknown> } {
    const params: Record<string, unknown> = { namespace, maxDepth: options.maxDepth };
    let clause = validitySql(options.asOf);
    if (options.asOf !== undefined) params.asOf = options.asOf;
    if (options.predicates && options.predicates.length > 0) {
      clause += ' AND r.predicate IN (SELECT value FROM json_each(@predicates))';
      params.predicates = json(options.predicates);
    }
    return { clause, params };
  }

  /**
   * Breadth-first reachability as a recursive CTE over (entity, depth) pairs: `UNION` keeps each pair once,
   * so the work is bounded by entities × depth, cycles included, with no path strings to compare.
   */
  #reachSql(direction: TraversalOptions['direction'], clause: string): string {
    const steps: string[] = [];
    if (direction !== 'in') {
      steps.push(
        `SELECT r.object, reach.depth + 1 FROM reach JOIN relations r ON r.namespace = @namespace AND r.subject = reach.name ` +
          `WHERE reach.depth < @maxDepth AND ${clause}`,
      );
    }
    if (direction !== 'out') {
      steps.push(
        `SELECT r.subject, reach.depth + 1 FROM reach JOIN relations r ON r.namespace = @namespace AND r.object = reach.name ` +
          `WHERE reach.depth < @maxDepth AND ${clause}`,
      );
    }
    return `reach(name, depth) AS (SELECT @start, 0 UNION ${steps.join(' UNION ')})`;
  }

  neighborhood(
    namespace: string,
    start: string,
    options: TraversalOptions,
  ): Array<{ name: string; depth: number }> {
    const { clause, params } = this.#edgeParams(namespace, options);
    return this.#statement(
      `WITH RECURSIVE ${this.#reachSql(options.direction, clause)} ` +
        'SELECT name, min(depth) AS depth FROM reach WHERE name != @start GROUP BY name ORDER BY depth, name',
    ).all({ ...params, start }) as Array<{ name: string; depth: number }>;
  }

  /**
   * Shortest path in two recursive CTEs: first the BFS distance of every reachable entity (as in
   * `neighborhood`); then paths that only step from depth d to an entity at distance d + 1, carried as a
   * JSON array whose membership test compares whole names (`json_each.value = next`, never a substring).
   * Following only the BFS layers keeps the second walk on shortest paths, and `LIMIT 1` stops it at the
   * first one found.
   */
  shortestPath(namespace: string, from: string, to: string, options: TraversalOptions): string[] | undefined {
    if (from === to) return [from];
    const { clause, params } = this.#edgeParams(namespace, options);
    const steps: string[] = [];
    const step = (nextColumn: 'object' | 'subject', joinColumn: 'subject' | 'object') =>
      `SELECT r.${nextColumn}, walk.depth + 1, json_insert(walk.path, '$[#]', r.${nextColumn}) FROM walk ` +
      `JOIN relations r ON r.namespace = @namespace AND r.${joinColumn} = walk.name ` +
      `JOIN distance d ON d.name = r.${nextColumn} AND d.depth = walk.depth + 1 ` +
      `WHERE walk.name != @to AND ${clause} AND NOT EXISTS (SELECT 1 FROM json_each(walk.path) WHERE json_each.value = r.${nextColumn})`;
    if (options.direction !== 'in') steps.push(step('object', 'subject'));
    if (options.direction !== 'out') steps.push(step('subject', 'object'));
    const row = this.#statement(
      `WITH RECURSIVE ${this.#reachSql(options.direction, clause)}, ` +
        'distance(name, depth) AS (SELECT name, min(depth) FROM reach GROUP BY name), ' +
        `walk(name, depth, path) AS (SELECT @start, 0, json_array(@start) UNION ALL ${steps.join(' UNION ALL ')} ORDER BY 2) ` +
        'SELECT path FROM walk WHERE name = @to LIMIT 1',
    ).get({ ...params, start: from, to }) as { path: string } | undefined;
    return row ? (JSON.parse(row.path) as string[]) : undefined;
  }

  entityCount(namespace: string): number {
    return (
      this.#statement('SELECT count(*) AS n FROM entities WHERE namespace = ?').get(namespace) as {
        n: number;
      }
    ).n;
  }

  *iterateEntities(namespace: string): IterableIterator<EntityRow> {
    let after = '';
    for (;;) {
      const rows = (
        this.#statement(
          'SELECT * FROM entities WHERE namespace = ? AND name > ? ORDER BY name LIMIT 500',
        ).all(namespace, after) as EntitySqlRow[]
      ).map(toEntity);
      if (rows.length === 0) return;
      after = (rows.at(-1) as EntityRow).name;
      yield* rows;
    }
  }
}
