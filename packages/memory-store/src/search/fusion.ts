/** The constant of reciprocal rank fusion (Cormack et al., 2009): score = Σ 1 / (k + rank). */
export const RRF_K = 60;

/** Where a hit came from and how it scored, reported with every search hit. */
export interface ScoreParts {
  /** Rank (1-based) and BM25 score in the keyword list, if the hit was there. Lower BM25 is better. */
  keyword?: { rank: number; bm25: number };
  /** Rank (1-based) and cosine similarity in the vector list, if the hit was there. */
  vector?: { rank: number; similarity: number };
  /** Reciprocal-rank-fusion score before weighting. */
  rrf: number;
  /** The memory's importance (0..1). */
  importance: number;
  /** 2^(-age / half-life), 1 for a memory created now. */
  recency: number;
  /** The multiplier applied to `rrf`: (1 - wI - wR) + wI·importance + wR·recency. */
  weight: number;
}

/**
 * Fuses ranked id lists with RRF. Each input list is best-first; an id may appear in several. Returns
 * every id with its fused score and the ranks it had.
 */
export function reciprocalRankFusion(
  lists: ReadonlyArray<readonly string[]>,
  k = RRF_K,
): Map<string, { rrf: number; ranks: number[] }> {
  const fused = new Map<string, { rrf: number; ranks: number[] }>();
  lists.forEach((list, listIndex) => {
    list.forEach((id, position) => {
      const rank = position + 1;
      const entry = fused.get(id) ?? { rrf: 0, ranks: lists.map(() => 0) };
      entry.rrf += 1 / (k + rank);
      entry.ranks[listIndex] = rank;
      fused.set(id, entry);
    });
  });
  return fused;
}

/** 2^(-age/halfLife): 1 now, 0.5 after one half-life. */
export function recencyFactor(ageMs: number, halfLifeMs: number): number {
  return 2 ** (-Math.max(0, ageMs) / halfLifeMs);
}
