import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processesMatching } from '@mimo-mcp/internal-testing/processes';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts the writer; resolves once it is ready; collects acknowledged ids until it dies. */
function startWriter(file: string, label: string, count = Number.POSITIVE_INFINITY) {
  // Run the writer in this node process (tsx as a loader), not through the tsx wrapper binary: the wrapper
  // starts the real program as a child, so killing it would orphan the writer instead of killing it.
  const child = spawn(process.execPath, ['--import', 'tsx', writer, file, label, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  children.push(child);
  const acknowledged: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') resolve();
        else if (line !== 'done' && line.length > 0) acknowledged.push(...line.split(','));
      }
    });
    child.on('exit', () => reject(new Error(`writer exited before ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, acknowledged, ready, exited, stderr: () => stderr };
}

/** Integrity, foreign keys, and FTS index vs table agreement, all read in one snapshot. */
function checkFile(file: string): { integrity: string; ids: Set<string> } {
  const db = new Database(file);
  const result = db.transaction(() => {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>)
      .map((r) => r.integrity_check)
      .join(';');
    const fk = (db.pragma('foreign_key_check') as unknown[]).length;
    const ids = new Set(
      (db.prepare('SELECT id FROM memories').all() as Array<{ id: string }>).map((r) => r.id),
    );
    const fts = (
      db.prepare("SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH 'write'").get() as {
        n: number;
      }
    ).n;
    return {
      integrity: fk === 0 && fts === ids.size ? integrity : `${integrity}; fk=${fk}; fts=${fts}/${ids.size}`,
      ids,
    };
  })();
  db.close();
  return result;
}

describe('durability', () => {
  it('should keep every acknowledged write across 20+ SIGKILLs at random moments, with integrity intact', async () => {
    const file = tempDb();
    const acknowledged = new Set<string>();
    let kills = 0;
    while (kills < 22) {
      const run = startWriter(file, `run${kills}`);
      await run.ready;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 120)));
      run.child.kill('SIGKILL');
      await run.exited;
      kills++;
      expect(processesMatching(writer), 'no writer may survive its kill').toEqual([]);
      for (const id of run.acknowledged) acknowledged.add(id);
      const { integrity, ids } = checkFile(file);
      expect(integrity).toBe('ok');
      const lost = [...acknowledged].filter((id) => !ids.has(id));
      expect(lost, `lost after kill ${kills}`).toEqual([]);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(acknowledged.size).toBeGreaterThan(50);
    const store = await openMemoryStore({ path: file, namespace: 'durability' });
    expect(await store.count()).toBeGreaterThanOrEqual(acknowledged.size);
    expect(await store.integrityCheck()).toBe('ok');
    await store.close();
  }, 180_000);

  it('should lose nothing and surface no SQLITE_BUSY when two processes write the same file at once', async () => {
    const file = tempDb();
    const first = await openMemoryStore({ path: file });
    await first.close();
    const a = startWriter(file, 'alpha', 150);
    const b = startWriter(file, 'beta', 150);
    await Promise.all([a.ready, b.ready]);
    const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
    expect(a.stderr()).not.toMatch(/SQLITE_BUSY|database is locked/);
    expect(b.stderr()).not.toMatch(/SQLITE_BUSY|database is locked/);
    expect([codeA, codeB]).toEqual([0, 0]);
    const { integrity, ids } = checkFile(file);
    expect(integrity).toBe('ok');
    // The writer's batch sizes (fixtures/writer.ts): 1, 2 or 3 memories, and 150 every fourth write.
    let perWriter = 0;
    for (let i = 0; i < 150; i++) perWriter += i % 4 === 3 ? 150 : 1 + (i % 3);
    const all = [...a.acknowledged, ...b.acknowledged];
    expect(all.length).toBe(2 * perWriter);
    expect(all.filter((id) => !ids.has(id))).toEqual([]);
    const store = await openMemoryStore({ path: file, namespace: 'durability' });
    expect(await store.count({ tagsAny: ['alpha'] })).toBe(perWriter);
    expect(await store.count({ tagsAny: ['beta'] })).toBe(perWriter);
    await store.close();
  }, 180_000);
});
