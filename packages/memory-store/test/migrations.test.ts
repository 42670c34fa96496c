import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations } from '../src/driver/sqlite/migrations.js';
import { openMemoryStore } from '../src/index.js';
import { createSqliteDriver, LATEST_SCHEMA_VERSION } from '../src/sqlite.js';
import { contentHash } from '../src/util/hash.js';
import { tempDb } from './helpers/temp.js';

describe('migrations', () => {
  it('should create a fresh database at the latest version with WAL, foreign keys and the audit table', async () => {
    const file = tempDb();
    await createSqliteDriver({ path: file }).close();
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(
      (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    ).toEqual(MIGRATIONS.map((migration) => migration.version));
    db.close();
  });

  it('should move a version-1 file to 32-byte content hashes, keeping its rows and its exact-duplicate detection', async () => {
    const file = tempDb();
    await createSqliteDriver({ path: file, migrations: MIGRATIONS.slice(0, 1) }).close();
    // A row as version 1 wrote it: the content hash as 64 hex characters.
    const raw = new Database(file);
    raw
      .prepare(
        "INSERT INTO memories (id, namespace, content, kind, importance, created_at, updated_at, content_hash, seq) VALUES ('m-old', 'default', ?, 'note', 0.5, 1, 1, ?, 1)",
      )
      .run('written by version one', contentHash('written by version one'));
    raw.close();

    const store = await openMemoryStore({ path: file });
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(
      db
        .prepare(
          "SELECT typeof(content_hash) AS t, length(content_hash) AS n FROM memories WHERE id = 'm-old'",
        )
        .get(),
    ).toEqual({ t: 'blob', n: 32 });
    db.close();
    expect((await store.get('m-old'))?.content).toBe('written by version one');
    expect(await store.create({ content: 'written by version one' })).toEqual({
      id: 'm-old',
      status: 'duplicate',
    });
    await store.close();
  });

  it('should give the observations of a version-2 file a time, so graph reads asOf a time keep working', async () => {
    const file = tempDb();
    await createSqliteDriver({ path: file, migrations: MIGRATIONS.slice(0, 2) }).close();
    const raw = new Database(file);
    raw
      .prepare(
        "INSERT INTO entities (namespace, name, entity_type, observations, created_at, updated_at) VALUES ('default', 'old', 'thing', ?, 1000, 2000)",
      )
      .run(JSON.stringify(['first', 'second']));
    raw.close();
    const store = await openMemoryStore({ path: file });
    const [entity] = (await store.graph.readGraph()).entities;
    expect(entity?.observations).toEqual(['first', 'second']);
    // Version 2 did not record when each was added: they count from the last change, never earlier.
    expect((await store.graph.readGraph({ asOf: 2000 })).entities[0]?.observations).toEqual([
      'first',
      'second',
    ]);
    expect((await store.graph.readGraph({ asOf: 1500 })).entities[0]?.observations).toEqual([]);
    expect((await store.graph.readGraph({ asOf: 999 })).entities).toEqual([]);
    await store.close();
  });

  it('should leave the file untouched when a migration fails', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    await store.create({ content: 'data that must survive' });
    await store.close();
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    const failing = [
      ...MIGRATIONS,
      {
        version: LATEST_SCHEMA_VERSION + 1,
        description: 'adds a column, then fails',
        up: (db: Database.Database) => {
          db.exec('ALTER TABLE memories ADD COLUMN doomed TEXT');
          throw new Error('simulated failure half way');
        },
      },
    ];
    expect(() => createSqliteDriver({ path: file, migrations: failing })).toThrow(
      new RegExp(
        `Migration to schema version ${LATEST_SCHEMA_VERSION + 1} .* rolled back; the database is unchanged at version ${LATEST_SCHEMA_VERSION}: simulated failure`,
      ),
    );
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(
      (
        db.prepare("SELECT count(*) AS n FROM pragma_table_info('memories') WHERE name = 'doomed'").get() as {
          n: number;
        }
      ).n,
    ).toBe(0);
    db.close();
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
    const reopened = await openMemoryStore({ path: file });
    expect(await reopened.count()).toBe(1);
    await reopened.close();
  });

  it('should apply pending migrations once even when re-run', () => {
    const db = new Database(':memory:');
    const first = runMigrations(db);
    expect(first.applied).toEqual(MIGRATIONS.map((migration) => migration.version));
    expect(runMigrations(db).applied).toEqual([]);
    db.close();
  });
});
