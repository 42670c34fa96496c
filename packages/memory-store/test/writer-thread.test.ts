import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { toColumns } from '../src/driver/sqlite/write-rows.js';
import { WriterThread, WriterThreadUnavailable } from '../src/driver/sqlite/writer-client.js';
import { MemoryStoreError, openMemoryStore } from '../src/index.js';
import { LATEST_SCHEMA_VERSION } from '../src/sqlite.js';
import { contentHash } from '../src/util/hash.js';
import { newId } from '../src/util/ids.js';
import { tempDb } from './helpers/temp.js';

/** `count` distinct memories (a batch this large goes to the writer thread). */
const batch = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({
    content: `${label} memory number ${i} about topic ${i % 7}`,
    tags: [label],
  }));

describe('bulk inserts on the writer thread', () => {
  it('should index a large batch at once, leave duplicates out of the index, and agree with the file', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    const first = await store.createMany(batch('alpha', 300));
    expect(first.every((r) => r.status === 'created')).toBe(true);
    // Half the second batch repeats the first one: those are exact duplicates reporting the existing ids.
    const second = await store.createMany([...batch('alpha', 150), ...batch('beta', 150)]);
    expect(second.slice(0, 150).map((r) => [r.status, r.id])).toEqual(
      first.slice(0, 150).map((r) => ['duplicate', r.id]),
    );
    expect(second.slice(150).every((r) => r.status === 'created')).toBe(true);
    const stats = await store.stats();
    expect(stats.memories).toBe(450);
    expect(stats.indexedVectors).toBe(450);
    const { hits } = await store.search({ query: 'beta memory number 42 about topic 0', mode: 'vector' });
    expect(hits[0]?.memory.id).toBe(second[150 + 42]?.id);
    await store.close();
    // A fresh connection reads the same rows and builds the same index.
    const reopened = await openMemoryStore({ path: file });
    expect((await reopened.stats()).indexedVectors).toBe(450);
    await reopened.close();
  });

  it('should roll back a batch that breaks the namespace limit, in the file and in the index', async () => {
    const store = await openMemoryStore({ path: tempDb(), limits: { maxMemoriesPerNamespace: 250 } });
    await store.createMany(batch('kept', 200));
    const error = await store.createMany(batch('refused', 200)).catch((caught: unknown) => caught);
    expect(MemoryStoreError.isInstance(error) && error.code).toBe('NAMESPACE_FULL');
    expect((error as MemoryStoreError).data).toEqual({ namespace: 'default', limit: 250 });
    const stats = await store.stats();
    expect([stats.memories, stats.indexedVectors]).toEqual([200, 200]);
    const { hits } = await store.search({ query: 'refused memory number 3', mode: 'vector', maxResults: 50 });
    expect(hits.every((hit) => hit.memory.tags.includes('kept'))).toBe(true);
    await store.close();
  });

  it('should let another connection see a bulk insert, and not re-read its own', async () => {
    const file = tempDb();
    const writer = await openMemoryStore({ path: file });
    const reader = await openMemoryStore({ path: file });
    const readerRefreshes: number[] = [];
    const writerRefreshes: number[] = [];
    reader.on('index-refreshed', ({ upserts }) => readerRefreshes.push(upserts));
    writer.on('index-refreshed', ({ upserts }) => writerRefreshes.push(upserts));
    const created = await writer.createMany(batch('shared', 200));
    const { hits } = await reader.search({ query: 'shared memory number 7 about topic 0', mode: 'vector' });
    expect(hits[0]?.memory.id).toBe(created[7]?.id);
    expect(readerRefreshes).toEqual([200]);
    // The writer's own thread committed those rows: it already had their vectors, so it reads none back.
    await writer.search({ query: 'shared', mode: 'vector' });
    expect(writerRefreshes.reduce((sum, n) => sum + n, 0)).toBe(0);
    await reader.close();
    await writer.close();
  });

  it('should finish an insert in flight before close() returns', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    const pending = store.createMany(batch('late', 500));
    await new Promise((resolve) => setImmediate(resolve));
    const closing = store.close();
    const results = await pending;
    await closing;
    const reopened = await openMemoryStore({ path: file });
    expect((await reopened.stats()).memories).toBe(results.length);
    await reopened.close();
  });

  it('should report a thread that cannot start as unavailable (nothing written), and try again next time', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    await store.close();
    // A thread expecting another schema version refuses the file (as it would a file replaced under it).
    const thread = new WriterThread({
      path: file,
      synchronous: 'full',
      busyTimeoutMs: 100,
      schemaVersion: 99,
    });
    const row = {
      id: newId(),
      namespace: 'default',
      content: 'x',
      kind: 'note',
      tags: [],
      importance: 0.5,
      metadata: {},
      createdAt: Date.now(),
      expiresAt: null,
      contentHash: contentHash('x'),
      embedding: null,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await thread
        .insert(
          toColumns([row], () => new Error('unexpected')),
          10,
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WriterThreadUnavailable);
      expect((error as Error).message).toMatch(
        new RegExp(`schema version ${LATEST_SCHEMA_VERSION}, the writer thread expected 99`),
      );
    }
    await thread.close();
  });

  it('should write a batch on its own connection when the writer thread cannot start', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    // The thread starts on the first large batch and checks the schema version it finds then.
    const raw = new Database(file);
    raw.pragma('user_version = 7');
    raw.close();
    const results = await store.createMany(batch('fallback', 200));
    expect(results.every((r) => r.status === 'created')).toBe(true);
    expect((await store.createMany(batch('again', 200))).every((r) => r.status === 'created')).toBe(true);
    const stats = await store.stats();
    expect([stats.memories, stats.indexedVectors]).toEqual([400, 400]);
    await store.close();
  });
});

describe('concurrent createMany calls', () => {
  it('should keep every call atomic and the index equal to the file, whichever path each batch takes', async () => {
    const file = tempDb();
    const store = await openMemoryStore({ path: file });
    // Large batches go to the writer thread, small ones are written on the store's own connection, in an
    // order that depends on timing; some memories appear in two calls.
    const inputs = [
      batch('first', 400),
      batch('small', 5),
      [...batch('first', 100), ...batch('second', 300)],
      [{ content: 'first memory number 3 about topic 3', tags: ['first'] }, ...batch('tiny', 2)],
      batch('third', 250),
    ];
    const outputs = await Promise.all(inputs.map((input) => store.createMany(input)));
    // Each distinct content was created exactly once; its other appearances report that same id.
    const byContent = new Map<string, Array<{ id: string; status: string }>>();
    inputs.forEach((input, call) => {
      input.forEach((memory, i) => {
        const result = outputs[call]?.[i] as { id: string; status: string };
        byContent.set(memory.content, [...(byContent.get(memory.content) ?? []), result]);
      });
    });
    for (const results of byContent.values()) {
      expect(results.filter((r) => r.status === 'created')).toHaveLength(1);
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
    }
    const createdCount = byContent.size;
    expect(createdCount).toBe(400 + 5 + 300 + 2 + 250);
    const stats = await store.stats();
    expect([stats.memories, stats.indexedVectors]).toEqual([createdCount, createdCount]);
    const { hits } = await store.search({ query: 'third memory number 17 about topic 3', mode: 'vector' });
    expect(hits[0]?.memory.id).toBe(outputs[4]?.[17]?.id);
    await store.close();
    const reopened = await openMemoryStore({ path: file });
    expect((await reopened.stats()).indexedVectors).toBe(createdCount);
    await reopened.close();
  });

  it('should see another process’s writes at the next search after loading without the near-duplicate check', async () => {
    const file = tempDb();
    const loader = await openMemoryStore({ path: file });
    const other = await openMemoryStore({ path: file });
    await loader.createMany(batch('bulk', 300), { nearDuplicates: 'skip' });
    const { id } = await other.create({ content: 'a note from the other process about zeppelins' });
    await loader.createMany(batch('more', 300), { nearDuplicates: 'skip' });
    const { hits } = await loader.search({
      query: 'a note from the other process about zeppelins',
      mode: 'vector',
    });
    expect(hits[0]?.memory.id).toBe(id);
    await other.close();
    await loader.close();
  });
});
