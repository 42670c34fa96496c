import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  createSqliteDriver,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  openMemoryStore,
  runMigrations,
} from '../src/index.js';
import { tempDb } from './helpers/temp.js';

describe('migrations', () => {
  it('should create a fresh database at the latest version with WAL, foreign keys and the audit table', () => {
    const file = tempDb();
    createSqliteDriver({ path: file }).close();
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(
      (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (r) => r.version,
      ),
    ).toEqual([1]);
    db.close();
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
        version: 2,
        description: 'adds a column, then fails',
        up: (db: Database.Database) => {
          db.exec('ALTER TABLE memories ADD COLUMN doomed TEXT');
          throw new Error('simulated failure half way');
        },
      },
    ];
    expect(() => createSqliteDriver({ path: file, migrations: failing })).toThrow(
      /Migration to schema version 2 .* rolled back; the database is unchanged at version 1: simulated failure/,
    );
    const db = new Database(file);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
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
    expect(first.applied).toEqual([1]);
    expect(runMigrations(db).applied).toEqual([]);
    db.close();
  });
});
