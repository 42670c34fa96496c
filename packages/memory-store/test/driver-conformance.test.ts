import { describe, expect, it } from 'vitest';
import type { NewMemoryRow, StorageDriver } from '../src/index.js';
import { createSqliteDriver } from '../src/sqlite.js';
import { contentHash } from '../src/util/hash.js';
import { newId } from '../src/util/ids.js';
import { tempDb } from './helpers/temp.js';

/**
 * The storage-driver contract, run against every implementation: a SQLite file and `:memory:`. A future
 * PostgreSQL driver must pass the same suite.
 */
const implementations: Array<[string, () => StorageDriver]> = [
  ['sqlite file', () => createSqliteDriver({ path: tempDb() })],
  ['sqlite :memory:', () => createSqliteDriver({ path: ':memory:' })],
  [
    'sqlite file, inserts on the writer thread',
    () => createSqliteDriver({ path: tempDb(), writerThreadMinRows: 1 }),
  ],
];

const NOW = 1_800_000_000_000;
const limits = { maxPerNamespace: 1_000 };

function row(content: string, overrides: Partial<NewMemoryRow> = {}): NewMemoryRow {
  return {
    id: newId(),
    namespace: 'ns',
    content,
    kind: 'note',
    tags: [],
    importance: 0.5,
    metadata: {},
    createdAt: NOW,
    expiresAt: null,
    contentHash: contentHash(content),
    embedding: { model: 'm1', vector: new Float32Array([1, 0, 0]) },
    ...overrides,
  };
}

const filter = (extra: Record<string, unknown> = {}) => ({ namespace: 'ns', now: NOW, ...extra });

describe.each(implementations)('storage driver conformance: %s', (_name, make) => {
  it('should insert atomically, report exact duplicates with the existing id, and read rows back', async () => {
    const driver = make();
    const a = row('alpha memory', { tags: ['x', 'y'], metadata: { k: 1 }, importance: 0.9 });
    const { outcomes } = await driver.insertMemories([a, row('beta memory'), row('alpha memory')], limits);
    expect(outcomes.map((o) => o.status)).toEqual(['created', 'created', 'duplicate']);
    expect(outcomes[2]?.id).toBe(a.id);
    const [stored] = await driver.getMemories('ns', [a.id], NOW);
    expect(stored).toMatchObject({
      id: a.id,
      content: 'alpha memory',
      tags: ['x', 'y'],
      metadata: { k: 1 },
      importance: 0.9,
      embeddingModel: 'm1',
      embeddingDims: 3,
    });
    expect(await driver.getMemories('other', [a.id], NOW)).toEqual([]);
    expect(await driver.findByHash('ns', contentHash('alpha memory'))).toBe(a.id);
    await driver.close();
  });

  it('should roll back a whole batch when one row breaks a rule', async () => {
    const driver = make();
    const bad = row('bad', { importance: 7 });
    await expect(
      Promise.resolve().then(() => driver.insertMemories([row('good one'), bad], limits)),
    ).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(await driver.countMemories(filter())).toBe(0);
    await driver.close();
  });

  it('should refuse a row whose content hash is not a SHA-256 in hex, storing nothing', async () => {
    const driver = make();
    await expect(
      Promise.resolve().then(() =>
        driver.insertMemories([row('good one'), row('bad', { contentHash: 'not-a-hash' })], limits),
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/Row #1: contentHash/),
    });
    expect(await driver.countMemories(filter())).toBe(0);
    await driver.close();
  });

  it('should enforce the per-namespace limit atomically', async () => {
    const driver = make();
    await driver.insertMemories([row('one'), row('two')], { maxPerNamespace: 3 });
    await expect(
      Promise.resolve().then(() =>
        driver.insertMemories([row('three'), row('four')], { maxPerNamespace: 3 }),
      ),
    ).rejects.toMatchObject({ code: 'NAMESPACE_FULL' });
    expect(await driver.countMemories(filter())).toBe(2);
    await driver.close();
  });

  it('should update content, tags and vectors, keep the FTS index in step, and refuse a duplicate content', async () => {
    const driver = make();
    const a = row('the quick brown fox', { tags: ['animal'] });
    const b = row('lazy dogs sleep');
    await driver.insertMemories([a, b], limits);
    const updated = await driver.updateMemory(
      'ns',
      a.id,
      {
        content: 'a swift red fox',
        contentHash: contentHash('a swift red fox'),
        tags: ['fast'],
        embedding: null,
      },
      NOW + 1,
    );
    expect(updated).toMatchObject({
      content: 'a swift red fox',
      tags: ['fast'],
      embeddingModel: null,
      updatedAt: NOW + 1,
    });
    expect(
      (await driver.keywordSearch(filter(), [{ term: 'swift', prefix: false }], 10)).map((h) => h.id),
    ).toEqual([a.id]);
    expect(await driver.keywordSearch(filter(), [{ term: 'quick', prefix: false }], 10)).toEqual([]);
    expect(await driver.countMemories(filter({ tagsAny: ['fast'] }))).toBe(1);
    expect(await driver.countMemories(filter({ tagsAny: ['animal'] }))).toBe(0);
    await expect(
      Promise.resolve().then(() =>
        driver.updateMemory(
          'ns',
          b.id,
          { content: 'a swift red fox', contentHash: contentHash('a swift red fox') },
          NOW,
        ),
      ),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await driver.updateMemory('ns', 'missing', { kind: 'x' }, NOW)).toBeUndefined();
    await driver.close();
  });

  it('should filter by kind, tags (any/all), time, importance and expiry', async () => {
    const driver = make();
    await driver.insertMemories(
      [
        row('a', { kind: 'fact', tags: ['red', 'blue'], createdAt: NOW - 3000, importance: 0.9 }),
        row('b', { kind: 'note', tags: ['red'], createdAt: NOW - 2000, importance: 0.2 }),
        row('c', { kind: 'fact', tags: ['green'], createdAt: NOW - 1000, importance: 0.5 }),
        row('d', { kind: 'fact', tags: [], createdAt: NOW - 500, expiresAt: NOW - 1 }),
      ],
      limits,
    );
    const count = (extra: Record<string, unknown>) => driver.countMemories(filter(extra));
    expect(await count({})).toBe(3);
    expect(await count({ kinds: ['fact'] })).toBe(2);
    expect(await count({ tagsAny: ['red', 'green'] })).toBe(3);
    expect(await count({ tagsAll: ['red', 'blue'] })).toBe(1);
    expect(await count({ createdAfter: NOW - 2500 })).toBe(2);
    expect(await count({ createdBefore: NOW - 1500 })).toBe(2);
    expect(await count({ minImportance: 0.5 })).toBe(2);
    expect(await count({ maxImportance: 0.4 })).toBe(1);
    expect((await driver.filterIds(filter({ kinds: ['fact'] }), 10)).length).toBe(2);
    await driver.close();
  });

  it('should page through a list newest first with a cursor, and reject a forged cursor', async () => {
    const driver = make();
    const rows = Array.from({ length: 7 }, (_, i) => row(`memory ${i}`, { createdAt: NOW + i }));
    await driver.insertMemories(rows, limits);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await driver.listMemories(filter(), { limit: 3, cursor });
      seen.push(...page.rows.map((r) => r.content));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([
      'memory 6',
      'memory 5',
      'memory 4',
      'memory 3',
      'memory 2',
      'memory 1',
      'memory 0',
    ]);
    await expect(
      Promise.resolve().then(() => driver.listMemories(filter(), { limit: 3, cursor: 'nonsense' })),
    ).rejects.toThrow(/Invalid cursor/);
    await driver.close();
  });

  it('should rank keyword hits by BM25 and never treat user text as FTS syntax', async () => {
    const driver = make();
    const a = row('kafka partitions and kafka consumers');
    const b = row('a note about kafka');
    await driver.insertMemories([a, b, row('unrelated content')], limits);
    const hits = await driver.keywordSearch(filter(), [{ term: 'kafka', prefix: false }], 10);
    expect(hits.map((h) => h.id)).toEqual([a.id, b.id]);
    expect(hits[0]?.bm25).toBeLessThan(hits[1]?.bm25 as number);
    expect(await driver.keywordSearch(filter(), [{ term: 'partit', prefix: true }], 10)).toHaveLength(1);
    for (const hostile of ['NEAR', 'OR', '"', '*', 'content:', 'AND NOT', ')(', '^']) {
      await driver.keywordSearch(filter(), [{ term: hostile, prefix: false }], 10);
    }
    await driver.close();
  });

  it('should give the filter-first answer whether a namespace holds most rows or few, with expired rows among the best', async () => {
    const driver = make();
    // Namespace "ns" holds most rows; its best matches (most repetitions of the word) are expired.
    const rows: NewMemoryRow[] = [];
    for (let i = 0; i < 60; i++) {
      rows.push(
        row(`${'falcon '.repeat(1 + (i % 7))}entry ${i}`, {
          expiresAt: i % 7 === 6 ? NOW - 1 : null,
          importance: (i % 10) / 10,
        }),
      );
    }
    for (let i = 0; i < 20; i++) rows.push(row(`falcon falcon falcon other ${i}`, { namespace: 'other' }));
    await driver.insertMemories(rows, limits);
    const term = [{ term: 'falcon', prefix: false }];
    for (const limit of [1, 5, 12, 40, 100]) {
      const fast = await driver.keywordSearch(filter(), term, limit);
      // minImportance 0 matches every row but forces the filter-first plan: the answers must agree.
      const reference = await driver.keywordSearch(filter({ minImportance: 0 }), term, limit);
      expect(fast.map((hit) => hit.id)).toEqual(reference.map((hit) => hit.id));
      expect(fast).toHaveLength(Math.min(limit, 60 - 8));
      const expired = new Set(rows.filter((r) => r.expiresAt !== null).map((r) => r.id));
      expect(fast.some((hit) => expired.has(hit.id))).toBe(false);
    }
    // The small namespace takes the filter-first path and sees only its own rows.
    const other = await driver.keywordSearch({ namespace: 'other', now: NOW }, term, 50);
    expect(other).toHaveLength(20);
    await driver.close();
  });

  it('should see a word in keyword search right after it is first written', async () => {
    const driver = make();
    await driver.insertMemories([row('nothing to see')], limits);
    const term = [{ term: 'zeppelin', prefix: false }];
    expect(await driver.keywordSearch(filter(), term, 10)).toEqual([]);
    const added = row('a zeppelin over the bay');
    await driver.insertMemories([added], limits);
    expect((await driver.keywordSearch(filter(), term, 10)).map((hit) => hit.id)).toEqual([added.id]);
    await driver.deleteMemories('ns', [added.id]);
    expect(await driver.keywordSearch(filter(), term, 10)).toEqual([]);
    await driver.close();
  });

  it('should delete by id and by filter, removing FTS entries and logging deletions for other processes', async () => {
    const driver = make();
    const a = row('first text');
    const b = row('second text', { kind: 'tmp' });
    await driver.insertMemories([a, b, row('third text', { kind: 'tmp' })], limits);
    const seq = await driver.currentSeq();
    expect(await driver.deleteMemories('ns', [a.id, 'missing'])).toEqual([a.id]);
    expect((await driver.deleteWhere(filter({ kinds: ['tmp'] }))).length).toBe(2);
    expect(await driver.keywordSearch(filter(), [{ term: 'text', prefix: false }], 10)).toEqual([]);
    const changes = await driver.vectorChanges('m1', seq);
    expect(changes.reset).toBe(false);
    expect(changes.removals.map((r) => r.id).sort()).toEqual([a.id, b.id, expect.any(String)].sort());
    expect(await driver.countMemories(filter())).toBe(0);
    await driver.close();
  });

  it('should report vector changes since a sequence number, per model', async () => {
    const driver = make();
    const a = row('one');
    const b = row('two', { embedding: { model: 'm2', vector: new Float32Array([0, 1, 0]) } });
    await driver.insertMemories([a, b], limits);
    const changes = await driver.vectorChanges('m1', 0);
    expect(changes.upserts.map((u) => u.id)).toEqual([a.id]);
    expect([...(changes.upserts[0]?.vector ?? [])]).toEqual([1, 0, 0]);
    expect(changes.removals.map((r) => r.id)).toEqual([b.id]);
    expect((await driver.vectorChanges('m1', changes.seq)).upserts).toEqual([]);
    await driver.close();
  });

  it('should give each insert a new sequence number, and leave out the changes of sequence numbers to skip', async () => {
    const driver = make();
    const before = await driver.currentSeq();
    const first = await driver.insertMemories([row('mine one'), row('mine two')], limits);
    const second = await driver.insertMemories([row('theirs')], limits);
    expect(first.seq).toBeGreaterThan(before);
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(await driver.currentSeq()).toBe(second.seq);
    const all = await driver.vectorChanges('m1', before);
    expect(all.upserts).toHaveLength(3);
    const others = await driver.vectorChanges('m1', before, [first.seq]);
    expect(others.upserts.map((u) => u.id)).toEqual([second.outcomes[0]?.id]);
    expect(others.seq).toBe(second.seq);
    await driver.close();
  });

  it('should list and fill missing embeddings, refusing vectors for content that changed meanwhile', async () => {
    const driver = make();
    const a = row('needs a vector', { embedding: null });
    await driver.insertMemories([a, row('has one')], limits);
    const missing = await driver.missingEmbeddings('m1', 10);
    expect(missing.map((m) => m.id)).toEqual([a.id]);
    expect(await driver.missingEmbeddings('m2', 10)).toHaveLength(2);
    expect((await driver.missingEmbeddings('m2', 10, '', { pendingOnly: true })).map((m) => m.id)).toEqual([
      a.id,
    ]);
    expect(
      await driver.setEmbeddings([
        { id: a.id, contentHash: 'stale', model: 'm1', vector: new Float32Array(3) },
      ]),
    ).toBe(0);
    expect(
      await driver.setEmbeddings([
        { id: a.id, contentHash: a.contentHash, model: 'm1', vector: new Float32Array([0, 0, 1]) },
      ]),
    ).toBe(1);
    expect(await driver.missingEmbeddings('m1', 10)).toEqual([]);
    const loaded = [...(driver.iterateVectors('m1', 1) as Iterable<Array<{ id: string }>>)].flat();
    expect(loaded).toHaveLength(2);
    await driver.close();
  });

  it('should record accesses in a batch and prune expired and stale low-importance memories', async () => {
    const driver = make();
    const keep = row('important', { importance: 0.9, createdAt: NOW - 10_000 });
    const stale = row('stale trivia', { importance: 0.1, createdAt: NOW - 10_000 });
    const expired = row('expired', { expiresAt: NOW - 1 });
    await driver.insertMemories([keep, stale, expired], limits);
    await driver.recordAccess([
      { id: keep.id, at: NOW },
      { id: keep.id, at: NOW + 5 },
    ]);
    const [read] = await driver.getMemories('ns', [keep.id], NOW);
    expect(read).toMatchObject({ accessCount: 2, accessedAt: NOW + 5 });
    expect((await driver.prune({}, NOW)).sort()).toEqual([expired.id]);
    expect(await driver.prune({ maxImportance: 0.5, olderThan: NOW - 5000 }, NOW)).toEqual([stale.id]);
    expect(await driver.countMemories(filter())).toBe(1);
    await driver.close();
  });

  it('should cache embeddings by model and content hash', async () => {
    const driver = make();
    await driver.cachePut('m1', [{ hash: 'h1', vector: new Float32Array([1, 2]) }]);
    const found = await driver.cacheGet('m1', ['h1', 'h2']);
    expect([...(found.get('h1') ?? [])]).toEqual([1, 2]);
    expect(found.has('h2')).toBe(false);
    expect((await driver.cacheGet('m2', ['h1'])).size).toBe(0);
    await driver.close();
  });

  it('should keep statistics and namespaces', async () => {
    const driver = make();
    await driver.insertMemories(
      [row('a', { kind: 'fact' }), row('b', { embedding: null }), row('c', { namespace: 'other' })],
      limits,
    );
    const stats = await driver.stats('ns', NOW);
    expect(stats).toMatchObject({
      memories: 2,
      withVector: 1,
      pendingEmbeddings: 1,
      byKind: { fact: 1, note: 1 },
      byModel: { m1: 1 },
    });
    expect(await driver.namespaces()).toEqual(['ns', 'other']);
    expect(await driver.integrityCheck()).toBe('ok');
    await driver.close();
  });

  it('should export and import every record', async () => {
    const source = make();
    await source.insertMemories(
      [row('exported one', { tags: ['t'] }), row('exported two', { embedding: null })],
      limits,
    );
    await source.graph.createEntities(
      'ns',
      [
        { name: 'A', entityType: 'x', observations: ['o'] },
        { name: 'B', entityType: 'y', observations: [] },
      ],
      NOW,
    );
    await source.graph.createRelations('ns', [{ subject: 'A', predicate: 'knows', object: 'B' }], NOW);
    await source.graph.setPredicate('ns', 'knows', true);
    const records = [...(source.exportRecords({ includeVectors: true }) as Iterable<never>)];
    const target = make();
    const counts = await target.importRecords(records, 'skip');
    expect(counts).toEqual({ memories: 2, entities: 2, relations: 1, predicates: 1, skipped: 0 });
    expect(
      [...(target.exportRecords({ includeVectors: true }) as Iterable<{ type: string }>)].slice(1),
    ).toEqual(records.slice(1));
    expect((await target.importRecords(records, 'skip')).skipped).toBe(5);
    source.close();
    target.close();
  });

  it('should refuse work after close, and close idempotently', async () => {
    const driver = make();
    await driver.close();
    await driver.close();
    expect(() => driver.countMemories(filter())).toThrow(/closed/);
  });
});
