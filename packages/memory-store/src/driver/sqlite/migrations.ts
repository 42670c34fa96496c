import type Database from 'better-sqlite3';
import { MemoryStoreError } from '../../errors.js';

/** One forward-only schema step. `up` runs inside the migration's transaction. */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

const V1 = `
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('seq', 0), ('deletions_floor', 0);

CREATE TABLE memories (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  namespace TEXT NOT NULL,
  content TEXT NOT NULL,
  kind TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',
  importance REAL NOT NULL CHECK (importance >= 0 AND importance <= 1),
  metadata TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  accessed_at INTEGER,
  access_count INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER,
  content_hash TEXT NOT NULL,
  embedding_model TEXT,
  embedding_dims INTEGER,
  embedding BLOB,
  seq INTEGER NOT NULL,
  CHECK ((embedding IS NULL) = (embedding_model IS NULL))
);
CREATE UNIQUE INDEX memories_hash ON memories (namespace, content_hash);
CREATE INDEX memories_ns_created ON memories (namespace, created_at, id);
CREATE INDEX memories_seq ON memories (seq);
CREATE INDEX memories_expires ON memories (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE memory_tags (
  namespace TEXT NOT NULL,
  tag TEXT NOT NULL,
  memory_rowid INTEGER NOT NULL REFERENCES memories (rowid) ON DELETE CASCADE,
  PRIMARY KEY (namespace, tag, memory_rowid)
) WITHOUT ROWID;
CREATE INDEX memory_tags_row ON memory_tags (memory_rowid);

-- External-content FTS5 index over memories.content, maintained by the driver in the same transaction
-- as each write (not by triggers: a trigger-driven FTS5 insert measured 2.3x slower).
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  content, content = 'memories', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE memories_fts_vocab USING fts5vocab (memories_fts, 'row');

CREATE TABLE memory_deletions (seq INTEGER NOT NULL, id TEXT NOT NULL, namespace TEXT NOT NULL);
CREATE INDEX memory_deletions_seq ON memory_deletions (seq);

CREATE TABLE namespace_counts (namespace TEXT PRIMARY KEY, memories INTEGER NOT NULL) WITHOUT ROWID;

CREATE TABLE embedding_cache (
  model TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vector BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (model, content_hash)
) WITHOUT ROWID;

CREATE TABLE entities (
  rowid INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  observations TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (namespace, name)
);
CREATE VIRTUAL TABLE entities_fts USING fts5 (
  name, entity_type, observations, content = 'entities', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE relations (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL,
  subject TEXT NOT NULL,
  predicate TEXT NOT NULL,
  object TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_to INTEGER,
  source TEXT,
  confidence REAL NOT NULL DEFAULT 1 CHECK (confidence >= 0 AND confidence <= 1),
  created_at INTEGER NOT NULL,
  FOREIGN KEY (namespace, subject) REFERENCES entities (namespace, name) ON DELETE CASCADE,
  FOREIGN KEY (namespace, object) REFERENCES entities (namespace, name) ON DELETE CASCADE,
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- Subject-predicate-object, object-subject and predicate indexes for traversal in both directions.
CREATE INDEX relations_spo ON relations (namespace, subject, predicate, object);
CREATE INDEX relations_osp ON relations (namespace, object, subject, predicate);
CREATE INDEX relations_p ON relations (namespace, predicate);
CREATE UNIQUE INDEX relations_current ON relations (namespace, subject, predicate, object) WHERE valid_to IS NULL;

CREATE TABLE predicates (
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  single_valued INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;
`;

// The content hash as its 32 bytes rather than 64 hex characters: the dedup index, whose random keys dirty
// pages on every write, halves (bulk inserts measured ~8% faster, their checkpoints ~20% cheaper). The
// column keeps its declared type; SQLite stores each value as the BLOB it is given.
const V2 = `
DROP INDEX memories_hash;
UPDATE memories SET content_hash = unhex(content_hash) WHERE typeof(content_hash) = 'text';
CREATE UNIQUE INDEX memories_hash ON memories (namespace, content_hash);
`;

// When each observation was added (a JSON array of times parallel to `observations`), so that a graph read
// `asOf` a time leaves out observations added after it. Older rows cannot know: their observations take the
// entity's `updated_at`, which never shows one before it existed (some added at creation may hide until then).
const V3 = `
ALTER TABLE entities ADD COLUMN observed_at TEXT NOT NULL DEFAULT '[]';
UPDATE entities SET observed_at = (
  SELECT json_group_array(at) FROM (SELECT entities.updated_at AS at FROM json_each(entities.observations))
);
`;

/** Mimo's migrations, in order. Never edit a released one: add a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'memories, FTS5 index, tags, change tracking, embedding cache, knowledge graph',
    up: (db) => db.exec(V1),
  },
  {
    version: 2,
    description: 'content hashes stored as 32 bytes (a smaller dedup index)',
    up: (db) => db.exec(V2),
  },
  {
    version: 3,
    description: 'the time each entity observation was added (graph reads as of a time)',
    up: (db) => db.exec(V3),
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the database to the latest schema. Each migration runs in its own `BEGIN IMMEDIATE` transaction
 * (DDL and `user_version` are transactional in SQLite), so a failing one leaves the file as it was. The
 * version is re-read inside the transaction, so two processes opening a new file at once do not both
 * migrate. A database newer than this code is refused.
 *
 * @throws {MemoryStoreError} `DATABASE_TOO_NEW`, `MIGRATION_FAILED`
 */
export function runMigrations(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
  now = Date.now(),
): { from: number; to: number; applied: number[] } {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = () => db.pragma('user_version', { simple: true }) as number;
  const from = current();
  if (from > latest) {
    throw new MemoryStoreError(
      'DATABASE_TOO_NEW',
      `The database has schema version ${from}, but this @mimo-mcp/memory-store supports up to ${latest}; ` +
        'upgrade the package (the database was written by a newer version) rather than risk damaging it',
      { data: { schemaVersion: from, supportedVersion: latest } },
    );
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    const step = db.transaction(() => {
      if (current() >= migration.version) return false;
      migration.up(db);
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        now,
      );
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    try {
      if (step.immediate()) applied.push(migration.version);
    } catch (error) {
      throw new MemoryStoreError(
        'MIGRATION_FAILED',
        `Migration to schema version ${migration.version} (${migration.description}) failed and was rolled back; ` +
          `the database is unchanged at version ${current()}: ${(error as Error).message}`,
        { cause: error, data: { version: migration.version } },
      );
    }
  }
  return { from, to: current(), applied };
}
