import { describe, expect, it } from 'vitest';
import { openMemoryStore } from '../src/index.js';
import { MEMORIES, QUERIES } from './fixtures/quality-set.js';
import { evaluate, loadQualitySet } from './helpers/quality.js';

describe('retrieval quality on the labelled set', () => {
  it('should have at least 150 memories and 60 queries of every kind', () => {
    expect(MEMORIES.length).toBeGreaterThanOrEqual(150);
    expect(QUERIES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(QUERIES.map((q) => q.kind))).toEqual(new Set(['paraphrase', 'typo', 'keyword']));
    const keys = new Set(MEMORIES.map(([key]) => key));
    for (const query of QUERIES) for (const key of query.relevant) expect(keys.has(key), key).toBe(true);
  });

  it('should rank better with hybrid search than with keyword or vector search alone (recall@5 and MRR)', async () => {
    const store = await openMemoryStore({ path: ':memory:' });
    const ids = await loadQualitySet(store);
    const keyword = await evaluate(store, ids, 'keyword');
    const vector = await evaluate(store, ids, 'vector');
    const hybrid = await evaluate(store, ids, 'hybrid');
    expect(hybrid.recall5).toBeGreaterThan(keyword.recall5);
    expect(hybrid.recall5).toBeGreaterThan(vector.recall5);
    expect(hybrid.mrr).toBeGreaterThan(keyword.mrr);
    expect(hybrid.mrr).toBeGreaterThan(vector.mrr);
    // Each method keeps its strength: exact tokens for keyword search, misspellings for vectors.
    expect(keyword.byKind.keyword?.recall5).toBe(1);
    expect(vector.byKind.typo?.recall5).toBeGreaterThan(keyword.byKind.typo?.recall5 as number);
    await store.close();
  });
});
