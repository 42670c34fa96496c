// Hybrid search: keyword (FTS5 BM25) and vector candidates per namespace, fused by reciprocal rank,
// weighted, and cut to the caller's budget.
import type { z } from 'zod';
import type { MemoryRow } from '../driver/memory-driver.js';
import { MemoryStoreError } from '../errors.js';
import { parseOrThrow } from '../options.js';
import { recencyFactor, reciprocalRankFusion, type ScoreParts } from '../search/fusion.js';
import { parseKeywordQuery } from '../search/keyword-query.js';
import type { StoreContext } from './context.js';
import { filterRestricts, toMemoryFilter } from './filters.js';
import { type Memory, toMemory } from './memory.js';
import { type SearchOptions, SearchSchema } from './schemas.js';

/** One hit of a search: the memory (content cut to the budget), its final score and what it was made of. */
export interface SearchHit {
  memory: Memory;
  /** Final score (fused and weighted); higher is better. */
  score: number;
  parts: ScoreParts;
}

/** The answer of {@link MemoryStore.search}. */
export interface SearchResult {
  /** The namespace searched, or `'*'` for all (each hit's memory names its own). */
  namespace: string;
  mode: 'hybrid' | 'vector' | 'keyword';
  hits: SearchHit[];
  /** True when hits were dropped or cut to fit `maxResults` / `maxChars`. */
  truncated: boolean;
  /** Sizes of the candidate lists before fusion. */
  candidates: { keyword: number; vector: number };
  /** Degradations that did not fail the search (e.g. the embedding provider is down: keyword only). */
  warnings: string[];
}

/** A memory found by a search, with its final score and the parts it came from. */
interface ScoredRow {
  row: MemoryRow;
  score: number;
  parts: ScoreParts;
}

/**
 * A search of {@link MemoryStore.search}: options validated once, the index synced once, the query embedded
 * at most once, each namespace ranked on its own and the hits merged by score and cut to the budget.
 */
export async function searchMemories(context: StoreContext, options: SearchOptions): Promise<SearchResult> {
  const { signal, ...input } = options;
  const checkAborted = () => {
    if (signal?.aborted)
      throw new MemoryStoreError('ABORTED', 'search was aborted', { cause: signal.reason });
  };
  checkAborted();
  const parsed = parseOrThrow(SearchSchema, input, 'search options');
  if (parsed.importanceWeight + parsed.recencyWeight > 1) {
    throw new MemoryStoreError('INVALID_ARGUMENT', 'importanceWeight + recencyWeight must not exceed 1');
  }
  await context.indexes.sync();
  const all = parsed.namespace === '*';
  // Validated once: the namespace and filters were parsed with the search options.
  const namespaces = all
    ? await context.driver.namespaces()
    : [parsed.namespace ?? context.options.namespace];
  const warnings: string[] = [];
  const unsized =
    parsed.mode === 'keyword' ? undefined : await context.indexes.learnDimensions(parsed.query, signal);
  checkAborted();
  if (unsized !== undefined) {
    if (parsed.mode === 'vector') throw unsized;
    warnings.push(`vector search skipped: ${(unsized as Error)?.message ?? String(unsized)}`);
  }
  // The query is embedded once, and only if some namespace has vectors to compare it with.
  let embedded: Promise<Float32Array | undefined> | undefined;
  const queryVector = () => {
    embedded ??= context.embedder.embedTexts([parsed.query], signal).then(
      ([vector]) => vector,
      (error: unknown) => {
        if (parsed.mode === 'vector' || signal?.aborted) throw error;
        warnings.push(`vector search skipped: ${(error as Error).message}`);
        return undefined;
      },
    );
    return embedded;
  };
  const maxResults = parsed.maxResults ?? context.options.search.defaultMaxResults;
  const maxChars = parsed.maxChars ?? context.options.search.defaultMaxChars;
  const scored: ScoredRow[] = [];
  const candidates = { keyword: 0, vector: 0 };
  for (const namespace of namespaces) {
    checkAborted();
    const ranked = await rankNamespace(context, namespace, parsed, maxResults, queryVector);
    scored.push(...ranked.scored);
    candidates.keyword += ranked.keyword;
    candidates.vector += ranked.vector;
  }
  checkAborted();
  scored.sort((a, b) => b.score - a.score || (a.row.id < b.row.id ? -1 : 1));

  const hits: SearchHit[] = [];
  let used = 0;
  let truncated = scored.length > maxResults;
  for (const entry of scored.slice(0, maxResults)) {
    const memory = toMemory(entry.row, context.embedder.id);
    const remaining = maxChars - used;
    if (remaining <= 0) {
      truncated = true;
      break;
    }
    if (memory.content.length > remaining) {
      memory.content = `${memory.content.slice(0, Math.max(0, remaining - 1))}…`;
      truncated = true;
    }
    used += memory.content.length;
    hits.push({ memory, score: entry.score, parts: entry.parts });
  }
  return {
    namespace: all ? '*' : (namespaces[0] as string),
    mode: parsed.mode,
    hits,
    truncated,
    candidates,
    warnings,
  };
}

/**
 * One namespace's part of a search: keyword and vector candidates fused, the rows read and scored. With no
 * weights the fused order is final, so only the rows that can be shown are read (`maxResults` + 1).
 */
/**RANKDOC*/ async function rankNamespace(
  context: StoreContext,
  namespace: string,
  parsed: z.output<typeof SearchSchema>,
  maxResults: number,
  queryVector: () => Promise<Float32Array | undefined>,
): Promise<{ scored: ScoredRow[]; keyword: number; vector: number }> {
  const filter = toMemoryFilter(parsed, namespace);
  const candidates = context.options.search.candidates;
  let keyword: Array<{ id: string; bm25: number }> = [];
  let vector: Array<{ id: string; score: number }> = [];

  if (parsed.mode !== 'vector') {
    keyword = await context.driver.keywordSearch(filter, parseKeywordQuery(parsed.query), candidates, {
      changeToken: context.indexes.changeToken,
    });
  }
  if (parsed.mode !== 'keyword') {
    const index = context.indexes.get(filter.namespace);
    const query = index && index.size > 0 ? await queryVector() : undefined;
    if (index && query) {
      const allowed = filterRestricts(filter) ? await context.driver.filterIds(filter, 1_000_000) : undefined;
      if (!allowed || allowed.length > 0) {
        // Over-fetch a little: expired memories are still indexed until prune() removes them.
        vector = index.search(query, {
          k: candidates + 10,
          minScore: parsed.minSimilarity,
          ...(allowed ? { ids: allowed } : {}),
        });
      }
    }
  }

  const lists =
    parsed.mode === 'keyword'
      ? [keyword.map((k) => k.id)]
      : parsed.mode === 'vector'
        ? [vector.map((v) => v.id)]
        : [keyword.map((k) => k.id), vector.map((v) => v.id)];
  const fused = reciprocalRankFusion(lists);
  const order = [...fused.entries()]
    .sort((a, b) => b[1].rrf - a[1].rrf || (a[0] < b[0] ? -1 : 1))
    .map(([id]) => id);
  let rows: MemoryRow[];
  if (parsed.importanceWeight > 0 || parsed.recencyWeight > 0) {
    rows = await context.driver.getMemories(filter.namespace, order, filter.now);
  } else {
    // Expired rows drop out here, so read on until enough or none left.
    rows = [];
    let next = 0;
    while (rows.length <= maxResults && next < order.length) {
      const page = order.slice(next, next + maxResults + 1 - rows.length);
      next += page.length;
      rows.push(...(await context.driver.getMemories(filter.namespace, page, filter.now)));
    }
  }
  // Which of the fused lists is which (their ranks were computed once, by the fusion).
  const keywordList = parsed.mode === 'vector' ? -1 : 0;
  const vectorList = parsed.mode === 'keyword' ? -1 : parsed.mode === 'vector' ? 0 : 1;
  const bm25ById = new Map(keyword.map((k) => [k.id, k.bm25]));
  const similarityById = new Map(vector.map((v) => [v.id, v.score]));
  const halfLife = parsed.recencyHalfLifeMs ?? context.options.search.recencyHalfLifeMs;
  const base = 1 - parsed.importanceWeight - parsed.recencyWeight;
  const scored = rows.map((row) => {
    const { rrf, ranks } = fused.get(row.id) as { rrf: number; ranks: number[] };
    const recency = recencyFactor(filter.now - row.createdAt, halfLife);
    const weight = base + parsed.importanceWeight * row.importance + parsed.recencyWeight * recency;
    const parts: ScoreParts = { rrf, importance: row.importance, recency, weight };
    const keywordRank = ranks[keywordList] ?? 0;
    const vectorRank = ranks[vectorList] ?? 0;
    if (keywordRank > 0) parts.keyword = { rank: keywordRank, bm25: bm25ById.get(row.id) as number };
    if (vectorRank > 0) parts.vector = { rank: vectorRank, similarity: similarityById.get(row.id) as number };
    return { row, score: rrf * weight, parts };
  });
  return { scored, keyword: keyword.length, vector: vector.length };
}
