import { fileURLToPath } from 'node:url';
import { checkPackage } from '@mimo-mcp/internal-testing/package-check';
import { describe, expect, it } from 'vitest';

describe('package', () => {
  it('should pass publint and import every exports entry from dist', async () => {
    const result = await checkPackage(fileURLToPath(new URL('..', import.meta.url)));
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.modules)).toEqual(['.', './sqlite', './testing', './writer-thread']);
  });

  // An API change shows in review: every entry's export keys are snapshotted.
  it('should export exactly these names from "."', async () => {
    expect(Object.keys(await import('../dist/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "DEFAULT_MAX_LINE_BYTES",
        "FilterSchema",
        "GraphStore",
        "MAX_KEYWORD_TERMS",
        "MEMORY_PATCH_FIELDS",
        "MemoryInputSchema",
        "MemoryPatchSchema",
        "MemoryStore",
        "MemoryStoreError",
        "MemoryStoreOptionsSchema",
        "NEAR_DUPLICATE_TOLERANCE",
        "NamespaceSchema",
        "SearchSchema",
        "createLocalEmbedder",
        "createOllamaEmbedder",
        "createOpenAiEmbedder",
        "openMemoryStore",
        "parseKeywordQuery",
        "parseRetryAfter",
        "reciprocalRankFusion",
      ]
    `);
  });

  it('should export exactly these names from "./sqlite"', async () => {
    expect(Object.keys(await import('../dist/sqlite.js')).sort()).toMatchInlineSnapshot(`
      [
        "LATEST_SCHEMA_VERSION",
        "createSqliteDriver",
      ]
    `);
  });

  it('should export exactly these names from "./testing"', async () => {
    expect(Object.keys(await import('../dist/testing.js')).sort()).toMatchInlineSnapshot(`
      [
        "createFlakyEmbedder",
      ]
    `);
  });

  it('should export nothing from "./writer-thread" (a file to ship, run only as a worker)', async () => {
    // A plain JavaScript file without declarations: imported by a path TypeScript does not resolve.
    const entry: string = '../dist/writer-thread.js';
    expect(Object.keys(await import(entry)).sort()).toMatchInlineSnapshot(`[]`);
  });
});
