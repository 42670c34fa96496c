import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processesMatching } from '@mimo-mcp/internal-testing/processes';

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** A unique string to put on a child's command line, so tests can find it (and its descendants) in /proc. */
export const marker = (): string => `mimo-test-${randomUUID()}`;

/** Live processes carrying `marker` on their command line, straight from /proc. */
export const alive = (mark: string): number => processesMatching(mark).length;

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'mimo-pm-'));

/** `node <fixture> ...args` as a spec. */
export const node = (script: string, ...args: string[]) => ({
  command: process.execPath,
  args: [fixture(script), ...args],
});
