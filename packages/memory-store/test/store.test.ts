import { describe, expect, it } from 'vitest';
import { createLocalEmbedder, MemoryStoreError, openMemoryStore } from '../src/index.js';
import { LATEST_SCHEMA_VERSION } from '../src/sqlite.js';
import { createFlakyEmbedder } from '../src/testing/index.js';
import { tempDb } from './helpers/temp.js';

function code(error: unknown): string {
  return MemoryStoreError.isInstance(error) ? error.code : `not a MemoryStoreError: ${String(error)}`;
}

async function failure(run: () => Promise<unknown>): Promise<MemoryStoreError> {
  try {
    await run();
  } catch (error) {
    return error as MemoryStoreError;
  }
  throw new Error('expected the call to fail');
}

describe.each([
  ['file', () => tempDb()],
  [':memory:', () => ':memory:'],
])('MemoryStore on %s', (_name, path) => {
  it('should store, deduplicate exactly, and find memories by every search mode', async () => {
    const store = await openMemoryStore({ path: path() });
    const [first, second] = await store.createMany([
      { content: 'The release train leaves every Thursday', tags: ['Process'], importance: 0.8 },
      { content: 'Kafka topic orders.v2 has 12 partitions', kind: 'fact' },
    ]);
    expect(first?.status).toBe('created');
    const duplicate = await store.create({ content: '  The release train leaves   every Thursday ' });
    expect(duplicate).toEqual({ id: first?.id, status: 'duplicate' });
    const memory = await store.get(first?.id as string);
    expect(memory).toMatchObject({
      content: 'The release train leaves every Thursday',
      tags: ['process'],
      importance: 0.8,
      kind: 'note',
    });
    expect(memory?.embedding).toEqual({ status: 'ready', model: 'local-hash-v1-384', dimensions: 384 });
    for (const mode of ['hybrid', 'vector', 'keyword'] as const) {
      const result = await store.search({ query: 'when does the release train leave', mode });
      expect(result.hits[0]?.memory.id, mode).toBe(first?.id);
      expect(result.mode).toBe(mode);
    }
    const keyword = await store.search({ query: 'orders.v2', mode: 'keyword' });
    expect(keyword.hits[0]?.memory.id).toBe(second?.id);
    expect(keyword.hits[0]?.parts.keyword?.rank).toBe(1);
    await store.close();
  });

  it('should report near duplicates, and merge them when asked', async () => {
    const store = await openMemoryStore({ path: path(), dedup: { nearDuplicateThreshold: 0.8 } });
    const [original] = await store.createMany([
      { content: 'Deploy the payments service with blue green deployments', tags: ['a'] },
    ]);
    const near = await store.create({ content: 'Deploy the payments service with blue-green deployment' });
    expect(near.status).toBe('created');
    expect(near.nearDuplicate?.id).toBe(original?.id);
    expect(near.nearDuplicate?.similarity).toBeGreaterThanOrEqual(0.8);
    await store.close();

    const merging = await openMemoryStore({
      path: path(),
      dedup: { nearDuplicateThreshold: 0.8, mergeNearDuplicates: true },
    });
    const [kept] = await merging.createMany([
      { content: 'Deploy the payments service with blue green deployments', tags: ['a'], importance: 0.3 },
    ]);
    const merged = await merging.create({
      content: 'Deploy the payments service with blue-green deployment',
      tags: ['b'],
      importance: 0.9,
    });
    expect(merged).toMatchObject({ id: kept?.id, status: 'merged' });
    expect(await merging.get(kept?.id as string)).toMatchObject({ tags: ['a', 'b'], importance: 0.9 });
    expect(await merging.count()).toBe(1);
    await merging.close();
  });

  it('should validate input with precise errors and store nothing from a failing batch', async () => {
    const store = await openMemoryStore({
      path: path(),
      limits: { maxContentBytes: 100, maxMemoriesPerNamespace: 3 },
    });
    const tooLarge = await failure(() =>
      store.createMany([{ content: 'fine' }, { content: 'x'.repeat(101) }]),
    );
    expect(code(tooLarge)).toBe('CONTENT_TOO_LARGE');
    expect(tooLarge.message).toMatch(/101 bytes.*limit of 100/);
    expect(await store.count()).toBe(0);
    expect(code(await failure(() => store.create({ content: '   ' })))).toBe('INVALID_ARGUMENT');
    expect(code(await failure(() => store.create({ content: 'x', importance: 2 })))).toBe('INVALID_ARGUMENT');
    expect(code(await failure(() => store.create({ content: 'x', namespace: 'bad namespace!' })))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(code(await failure(() => store.create({ content: 'x', vector: [1, 2, 3] })))).toBe(
      'DIMENSION_MISMATCH',
    );
    expect(code(await failure(() => store.create({ content: 'x', colour: 'red' } as never)))).toBe(
      'INVALID_ARGUMENT',
    );
    await store.createMany([{ content: 'one' }, { content: 'two' }]);
    const full = await failure(() => store.createMany([{ content: 'three' }, { content: 'four' }]));
    expect(code(full)).toBe('NAMESPACE_FULL');
    expect(await store.count()).toBe(2);
    await store.close();
  });

  it('should refuse misspelled or unknown options, naming them', async () => {
    const error = await failure(() => openMemoryStore({ path: path(), namespce: 'x' } as never));
    expect(code(error)).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(/namespce/);
    expect((await failure(() => openMemoryStore({} as never))).message).toMatch(
      /path .* or driver is required/,
    );
  });

  it('should keep namespaces apart', async () => {
    const store = await openMemoryStore({ path: path(), namespace: 'project-a' });
    await store.create({ content: 'secret plan for project a' });
    await store.create({ content: 'secret plan for project b', namespace: 'project-b' });
    const a = await store.search({ query: 'secret plan' });
    expect(a.namespace).toBe('project-a');
    expect(a.hits.map((h) => h.memory.content)).toEqual(['secret plan for project a']);
    const b = await store.search({ query: 'secret plan', namespace: 'project-b' });
    expect(b.hits.map((h) => h.memory.content)).toEqual(['secret plan for project b']);
    expect(await store.namespaces()).toEqual(['project-a', 'project-b']);
    await store.close();
  });

  it('should update content (re-embedding it), tags and importance, and refuse a duplicate content', async () => {
    const store = await openMemoryStore({ path: path() });
    const { id } = await store.create({ content: 'Redis caches sessions for thirty minutes' });
    const other = await store.create({ content: 'Something else entirely' });
    const updated = await store.update(id, {
      content: 'Memcached stores the session data',
      tags: ['cache'],
      importance: 1,
    });
    expect(updated).toMatchObject({
      content: 'Memcached stores the session data',
      tags: ['cache'],
      importance: 1,
    });
    const hits = await store.search({ query: 'memcached sessions', mode: 'vector' });
    expect(hits.hits[0]?.memory.id).toBe(id);
    expect((await store.search({ query: 'redis', mode: 'keyword' })).hits).toEqual([]);
    expect(
      code(await failure(() => store.update(other.id, { content: 'Memcached stores the session data' }))),
    ).toBe('CONFLICT');
    expect(code(await failure(() => store.update('nope', { importance: 0.1 })))).toBe('NOT_FOUND');
    await store.close();
  });

  it('should delete by id and by filter, and page through a list', async () => {
    const store = await openMemoryStore({ path: path() });
    const created = await store.createMany(
      Array.from({ length: 12 }, (_, i) => ({ content: `note number ${i}`, kind: i % 2 ? 'odd' : 'even' })),
    );
    const page1 = await store.list({ limit: 5 });
    const page2 = await store.list({ limit: 5, cursor: page1.nextCursor });
    const page3 = await store.list({ limit: 5, cursor: page2.nextCursor });
    expect(page3.nextCursor).toBeUndefined();
    expect(new Set([...page1.memories, ...page2.memories, ...page3.memories].map((m) => m.id)).size).toBe(12);
    expect(await store.delete(created[0]?.id as string)).toEqual([created[0]?.id]);
    expect((await store.deleteWhere({ kinds: ['odd'] })).length).toBe(6);
    expect(code(await failure(() => store.deleteWhere({})))).toBe('INVALID_ARGUMENT');
    expect(await store.count()).toBe(5);
    expect((await store.search({ query: 'note number', mode: 'vector', maxResults: 50 })).hits).toHaveLength(
      5,
    );
    expect(await store.deleteWhere({ all: true })).toHaveLength(5);
    expect(await store.count()).toBe(0);
    await store.close();
  });

  it('should apply filters before ranking and keep answers within maxResults and maxChars', async () => {
    const store = await openMemoryStore({ path: path() });
    await store.createMany([
      { content: `deployment checklist ${'x'.repeat(300)}`, tags: ['ops'], importance: 0.9, kind: 'fact' },
      { content: 'deployment notes from the retro', tags: ['team'], importance: 0.1 },
      { content: 'deployment of the mobile app', tags: ['ops', 'mobile'], importance: 0.5 },
    ]);
    const ops = await store.search({ query: 'deployment', tagsAny: ['ops'] });
    expect(ops.hits.map((h) => h.memory.tags.includes('ops'))).toEqual([true, true]);
    const both = await store.search({ query: 'deployment', tagsAll: ['ops', 'mobile'] });
    expect(both.hits.map((h) => h.memory.content)).toEqual(['deployment of the mobile app']);
    expect((await store.search({ query: 'deployment', kinds: ['fact'] })).hits).toHaveLength(1);
    expect((await store.search({ query: 'deployment', minImportance: 0.4 })).hits).toHaveLength(2);
    const budget = await store.search({ query: 'deployment', maxChars: 120, maxResults: 10 });
    const chars = budget.hits.reduce((sum, hit) => sum + hit.memory.content.length, 0);
    expect(chars).toBeLessThanOrEqual(120);
    expect(budget.truncated).toBe(true);
    const one = await store.search({ query: 'deployment', maxResults: 1 });
    expect(one.hits).toHaveLength(1);
    expect(one.truncated).toBe(true);
    const weighted = await store.search({ query: 'deployment', importanceWeight: 1 });
    expect(weighted.hits[0]?.memory.importance).toBe(0.9);
    expect(weighted.hits[0]?.parts.weight).toBeCloseTo(0.9);
    await store.close();
  });

  it('should fill maxResults with live memories when the best matches have expired', async () => {
    const store = await openMemoryStore({ path: path() });
    const past = Date.now() - 1;
    await store.createMany(
      Array.from({ length: 12 }, (_, i) => ({
        content: `${'harbour '.repeat(12 - i)}log ${i}`,
        ...(i < 4 ? { expiresAt: past } : {}),
      })),
    );
    const result = await store.search({ query: 'harbour', mode: 'keyword', maxResults: 5 });
    expect(result.hits.map((h) => h.memory.content.split(' log ')[1])).toEqual(['4', '5', '6', '7', '8']);
    expect(result.truncated).toBe(true);
    const all = await store.search({ query: 'harbour', mode: 'keyword', maxResults: 8 });
    expect(all.hits).toHaveLength(8);
    expect(all.truncated).toBe(false);
    await store.close();
  });

  it('should track reads (access count and time) in batches', async () => {
    const store = await openMemoryStore({ path: path(), accessFlushIntervalMs: 10 });
    const { id } = await store.create({ content: 'a memory worth reading' });
    await store.get(id);
    await store.search({ query: 'memory worth reading' });
    await store.flushAccess();
    const [memory] = await store.getMany([id]);
    expect(memory?.accessCount).toBeGreaterThanOrEqual(2);
    expect(memory?.accessedAt).not.toBeNull();
    await store.close();
  });

  it('should hide expired memories at once and remove them only in prune()', async () => {
    const store = await openMemoryStore({ path: path() });
    const { id } = await store.create({ content: 'temporary fact', expiresAt: Date.now() - 1 });
    const kept = await store.create({ content: 'low value but recent', importance: 0.05 });
    expect(await store.get(id)).toBeUndefined();
    expect((await store.search({ query: 'temporary fact' })).hits).toEqual([]);
    expect((await store.stats()).expired).toBe(1);
    expect(await store.prune()).toEqual({ deleted: [id] });
    expect((await store.prune({ maxImportance: 0.1, olderThanMs: 60_000 })).deleted).toEqual([]);
    expect(await store.get(kept.id)).toBeDefined();
    expect(code(await failure(() => store.prune({ maxImportance: 0.1 })))).toBe('INVALID_ARGUMENT');
    await store.close();
  });

  it('should store memories without a vector while the embedder is down, find them by keyword, and backfill later', async () => {
    const embedder = createFlakyEmbedder();
    // Backfill by hand here (the background one is tested in backfill.test.ts).
    const store = await openMemoryStore({ path: path(), embedder, backfill: { auto: false } });
    const failures: number[] = [];
    store.on('embedding-failed', ({ count }) => failures.push(count));
    await store.create({ content: 'an earlier memory, embedded while the provider was up' });
    embedder.down = true;
    const { id } = await store.create({ content: 'written during the outage' });
    expect(failures).toEqual([1]);
    expect((await store.get(id))?.embedding.status).toBe('pending');
    const hybrid = await store.search({ query: 'outage' });
    expect(hybrid.hits.map((h) => h.memory.id)).toEqual([id]);
    expect(hybrid.warnings.join()).toMatch(/vector search skipped/);
    expect(code(await failure(() => store.search({ query: 'outage', mode: 'vector' })))).toBe(
      'EMBEDDING_FAILED',
    );
    embedder.down = false;
    expect(await store.backfill()).toEqual({ embedded: 1, failed: 0 });
    expect((await store.get(id))?.embedding.status).toBe('ready');
    expect((await store.search({ query: 'written during outage', mode: 'vector' })).hits[0]?.memory.id).toBe(
      id,
    );
    await store.close();
  });

  it('should never compare vectors of different models, and switch models with reembed()', async () => {
    const file = tempDb();
    const first = await openMemoryStore({ path: file, embedder: createLocalEmbedder({ dimensions: 64 }) });
    const { id } = await first.create({ content: 'vectors from the first model' });
    await first.close();
    const second = await openMemoryStore({ path: file, embedder: createLocalEmbedder({ dimensions: 128 }) });
    expect((await second.get(id))?.embedding.status).toBe('other-model');
    expect((await second.search({ query: 'vectors first model', mode: 'vector' })).hits).toEqual([]);
    expect((await second.search({ query: 'vectors first model', mode: 'keyword' })).hits).toHaveLength(1);
    expect(await second.backfill()).toEqual({ embedded: 1, failed: 0 });
    expect((await second.search({ query: 'vectors first model', mode: 'vector' })).hits[0]?.memory.id).toBe(
      id,
    );
    const third = createLocalEmbedder({ dimensions: 32 });
    expect(await second.reembed(third)).toEqual({ embedded: 1, failed: 0 });
    expect(second.embedder.id).toBe('local-hash-v1-32');
    expect((await second.get(id))?.embedding).toMatchObject({ status: 'ready', dimensions: 32 });
    await second.close();
  });

  it('should use the persistent embedding cache for embedders that ask for it', async () => {
    const embedder = createFlakyEmbedder();
    const file = tempDb();
    const store = await openMemoryStore({ path: file, embedder, embeddingCacheSize: 0 });
    await store.create({ content: 'cache me' });
    const calls = embedder.calls;
    await store.search({ query: 'cache me', mode: 'vector' });
    expect(embedder.calls).toBe(calls);
    await store.close();
  });

  it('should emit events for creations, updates and deletions', async () => {
    const store = await openMemoryStore({ path: path() });
    const events: string[] = [];
    store.on('memory-created', ({ ids }) => events.push(`created ${ids.length}`));
    store.on('memory-updated', () => events.push('updated'));
    const handle = store.on('memory-deleted', ({ ids }) => events.push(`deleted ${ids.length}`));
    const { id } = await store.create({ content: 'observable' });
    await store.create({ content: 'observable' });
    await store.update(id, { importance: 0.7 });
    await store.delete(id);
    handle.dispose();
    await store.create({ content: 'again' });
    expect(events).toEqual(['created 1', 'updated', 'deleted 1', 'created 1']);
    await store.close();
  });

  it('should close idempotently and refuse work afterwards', async () => {
    const store = await openMemoryStore({ path: path() });
    await store.close();
    await store.close();
    expect(code(await failure(() => store.create({ content: 'late' })))).toBe('CLOSED');
    expect(code(await failure(() => store.search({ query: 'late' })))).toBe('CLOSED');
  });
});

describe('MemoryStore across connections and processes', () => {
  it('should notice writes made through another connection and refresh its vector index', async () => {
    const file = tempDb();
    const reader = await openMemoryStore({ path: file });
    const writer = await openMemoryStore({ path: file });
    const refreshed: number[] = [];
    reader.on('index-refreshed', ({ upserts }) => refreshed.push(upserts));
    expect((await reader.search({ query: 'shared knowledge', mode: 'vector' })).hits).toEqual([]);
    const { id } = await writer.create({ content: 'shared knowledge written elsewhere' });
    expect((await reader.search({ query: 'shared knowledge', mode: 'vector' })).hits[0]?.memory.id).toBe(id);
    expect(refreshed).toContain(1);
    await writer.delete(id);
    expect((await reader.search({ query: 'shared knowledge', mode: 'vector' })).hits).toEqual([]);
    await reader.close();
    await writer.close();
  });

  it('should find by keyword a word another connection wrote after this one last searched for it', async () => {
    const file = tempDb();
    const reader = await openMemoryStore({ path: file });
    const writer = await openMemoryStore({ path: file });
    await writer.create({ content: 'something unrelated' });
    expect((await reader.search({ query: 'zeppelin', mode: 'keyword' })).hits).toEqual([]);
    const { id } = await writer.create({ content: 'a zeppelin over the bay' });
    expect(
      (await reader.search({ query: 'zeppelin', mode: 'keyword' })).hits.map((h) => h.memory.id),
    ).toEqual([id]);
    await reader.close();
    await writer.close();
  });

  it('should refuse a database written by a newer version, naming the versions', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    await store.close();
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const error = await failure(() => openMemoryStore({ path: file }));
    expect(code(error)).toBe('DATABASE_TOO_NEW');
    expect(error.message).toMatch(new RegExp(`schema version 99.*supports up to ${LATEST_SCHEMA_VERSION}`));
  });

  it('should refuse a file that is not a database with a STORAGE_ERROR', async () => {
    const file = tempDb();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      file,
      'this is not a database, just text that is long enough to be read as a header '.repeat(20),
    );
    expect(code(await failure(() => openMemoryStore({ path: file })))).toBe('STORAGE_ERROR');
  });
});
