import type { MemoryStore } from '../../src/index.js';
import { MEMORIES, QUERIES } from '../fixtures/quality-set.js';

export interface QualityFigures {
  recall5: number;
  mrr: number;
  byKind: Record<string, { recall5: number; mrr: number; queries: number }>;
}

/** Loads the labelled set into `store` (namespace `quality`) and returns key → memory id. */
export async function loadQualitySet(store: MemoryStore): Promise<Map<string, string>> {
  const results = await store.createMany(MEMORIES.map(([, content]) => ({ content, namespace: 'quality' })));
  return new Map(MEMORIES.map(([key], i) => [key, (results[i] as { id: string }).id]));
}

/** Recall@5 and MRR (over the top 10) of one search mode on the labelled queries. */
export async function evaluate(
  store: MemoryStore,
  ids: Map<string, string>,
  mode: 'keyword' | 'vector' | 'hybrid',
): Promise<QualityFigures> {
  let recall = 0;
  let reciprocal = 0;
  const byKind: Record<string, { recall5: number; mrr: number; queries: number }> = {};
  for (const { query, relevant, kind } of QUERIES) {
    const { hits } = await store.search({
      query,
      mode,
      namespace: 'quality',
      maxResults: 10,
      maxChars: 100_000,
    });
    const found = hits.map((hit) => hit.memory.id);
    const wanted = relevant.map((key) => ids.get(key) as string);
    const inTop5 = wanted.filter((id) => found.slice(0, 5).includes(id)).length / wanted.length;
    const firstRank = found.findIndex((id) => wanted.includes(id));
    const rr = firstRank === -1 ? 0 : 1 / (firstRank + 1);
    recall += inTop5;
    reciprocal += rr;
    const entry = byKind[kind] ?? { recall5: 0, mrr: 0, queries: 0 };
    entry.recall5 += inTop5;
    entry.mrr += rr;
    entry.queries++;
    byKind[kind] = entry;
  }
  for (const entry of Object.values(byKind)) {
    entry.recall5 /= entry.queries;
    entry.mrr /= entry.queries;
  }
  return { recall5: recall / QUERIES.length, mrr: reciprocal / QUERIES.length, byKind };
}
