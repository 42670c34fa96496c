import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mimo-memory-'));
  created.push(dir);
  return dir;
}

/** A path for a new database file in a fresh temporary directory. */
export function tempDb(name = 'memory.db'): string {
  return join(tempDir(), name);
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});
