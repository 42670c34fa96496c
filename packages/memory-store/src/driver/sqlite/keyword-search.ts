// Keyword search over memories: FTS5 with a bounded match cost and a document-frequency cache.
import { type KeywordTerm, quoteFtsTerm } from '../../search/keyword-query.js';
import type { MemoryFilter } from '../memory-driver.js';
import type { SqliteConnection } from './connection.js';
import { filterSql } from './filters.js';
import { json } from './rows.js';

/** Most rows a keyword query may make FTS5 score (see `#keywordMatch`). */
export const KEYWORD_MATCH_BUDGET = 2000;

/** Keyword search over memories, with FTS5 document frequencies cached per state of the database. */
export class KeywordSearch {
  readonly #connection: SqliteConnection;
  /**
   * FTS5 document frequencies by term for one state of the database: counting one walks the term's whole
   * posting list, and the common words of a query recur from one search to the next.
   */
  readonly #documentFrequencies = new Map<string, number>();
  #documentFrequencyState = '';

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  /** Number of rows whose indexed text contains the term (or a term with that prefix). */
  #documentFrequency(entry: KeywordTerm): number {
    const key = entry.prefix ? `${entry.term}*` : entry.term;
    let df = this.#documentFrequencies.get(key);
    if (df === undefined) {
      df = this.#countDocuments(entry);
      this.#documentFrequencies.set(key, df);
    }
    return df;
  }

  #countDocuments(entry: KeywordTerm): number {
    if (!entry.prefix) {
      return (
        (
          this.#connection.statement('SELECT doc FROM memories_fts_vocab WHERE term = ?').get(entry.term) as
            | { doc: number }
            | undefined
        )?.doc ?? 0
      );
    }
    // The term range [prefix, prefix + U+FFFF) covers every token starting with the prefix.
    return (
      (
        this.#connection
          .statement('SELECT sum(doc) AS doc FROM memories_fts_vocab WHERE term >= ? AND term < ?')
          .get(entry.term, `${entry.term}\uffff`) as {
          doc: number | null;
        }
      ).doc ?? 0
    );
  }

  keywordSearch(
    filter: MemoryFilter,
    terms: readonly KeywordTerm[],
    limit: number,
    options: { changeToken?: number } = {},
  ): Array<{ id: string; bm25: number }> {
    if (terms.length === 0) return [];
    return this.#connection.read('Keyword search', () => {
      // The database state is read once per search (the caller's token when given), not once per term.
      const state = `${this.#connection.writes}:${options.changeToken ?? this.#connection.dataVersion()}`;
      if (state !== this.#documentFrequencyState || this.#documentFrequencies.size > 50_000) {
        this.#documentFrequencies.clear();
        this.#documentFrequencyState = state;
      }
      const plan = this.#keywordMatch(terms);
      if (plan === undefined) return [];
      const { sql, params } = filterSql(filter);
      params.match = plan.match;
      params.limit = limit;
      // A query that still matches more rows than the budget scores only the most recent matches:
      // FTS5 walks posting lists in rowid order, so finding the cut-off row is cheap.
      let floor = '';
      if (plan.estimate > KEYWORD_MATCH_BUDGET) {
        const cut = this.#connection
          .statement(
            'SELECT rowid FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?',
          )
          .get(plan.match, KEYWORD_MATCH_BUDGET - 1) as { rowid: number } | undefined;
        if (cut) {
          floor = ' AND memories_fts.rowid >= @floor';
          params.floor = cut.rowid;
        }
      }
      const ranked = this.#rankThenFilter(filter, plan.match, floor, params);
      if (ranked) return ranked;
      return this.#connection
        .statement(
          `SELECT m.id AS id, bm25(memories_fts) AS bm25 FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid ` +
            `WHERE memories_fts MATCH @match${floor} AND ${sql} ORDER BY bm25 LIMIT @limit`,
        )
        .all(params) as Array<{ id: string; bm25: number }>;
    });
  }

  /**
   * When the filter is only "this namespace, not expired" and the namespace holds most rows, ranking inside
   * FTS5 first and filtering the few best rows afterwards halves the cost of a keyword search (joining every
   * match to its row costs as much as scoring it). The answer is exactly the filter-first one: rows are
   * taken in BM25 order, so the first `limit` that pass are the best `limit` that pass; when too few pass
   * and more matches remain, this returns `undefined` and the caller runs the filter-first query.
   */
  #rankThenFilter(
    filter: MemoryFilter,
    match: string,
    floor: string,
    params: Record<string, unknown>,
  ): Array<{ id: string; bm25: number }> | undefined {
    const limit = params.limit as number;
    if (
      filter.kinds?.length ||
      filter.tagsAny?.length ||
      filter.tagsAll?.length ||
      filter.ids ||
      filter.createdAfter !== undefined ||
      filter.createdBefore !== undefined ||
      filter.minImportance !== undefined ||
      filter.maxImportance !== undefined
    ) {
      return undefined;
    }
    const counts = this.#connection
      .statement(
        'SELECT sum(memories) AS total, sum(memories) FILTER (WHERE namespace = ?) AS mine FROM namespace_counts',
      )
      .get(filter.namespace) as { total: number | null; mine: number | null };
    const share = (counts.mine ?? 0) / Math.max(1, counts.total ?? 0);
    if (share < 0.5) return undefined;
    const fetch = Math.ceil((limit / share) * 1.25) + 8;
    const top = this.#connection
      .statement(
        `SELECT rowid, bm25(memories_fts) AS bm25 FROM memories_fts WHERE memories_fts MATCH @match${floor.replace('memories_fts.rowid', 'rowid')} ORDER BY bm25 LIMIT @fetch`,
      )
      .all({ match, fetch, ...(floor ? { floor: params.floor } : {}) }) as Array<{
      rowid: number;
      bm25: number;
    }>;
    if (top.length === 0) return [];
    const passing = new Map(
      (
        this.#connection
          .statement(
            'SELECT rowid, id FROM memories WHERE rowid IN (SELECT value FROM json_each(?)) AND +namespace = ? AND (expires_at IS NULL OR expires_at > ?)',
          )
          .all(json(top.map((row) => row.rowid)), filter.namespace, filter.now) as Array<{
          rowid: number;
          id: string;
        }>
      ).map((row) => [row.rowid, row.id]),
    );
    const hits: Array<{ id: string; bm25: number }> = [];
    for (const row of top) {
      const id = passing.get(row.rowid);
      if (id !== undefined) hits.push({ id, bm25: row.bm25 });
      if (hits.length === limit) return hits;
    }
    return top.length < fetch ? hits : undefined;
  }

  /**
   * The FTS5 expression for `terms`, bounded in cost. BM25 scores every matching row (about 1 µs each), and
   * in natural text a few common words match most rows. So terms are taken rarest first while their summed
   * document frequency stays within {@link KEYWORD_MATCH_BUDGET} (such common terms carry almost no BM25
   * weight anyway); when even the rarest is over budget, every term is required (AND), which is cheap to
   * intersect and the most precise reading of an all-common-words query. Terms that occur nowhere are dropped.
   * `estimate` bounds the rows the expression matches (used to cap scoring to the most recent matches).
   */
  #keywordMatch(terms: readonly KeywordTerm[]): { match: string; estimate: number } | undefined {
    const scored = terms
      .map((entry) => {
        const df = this.#documentFrequency(entry);
        // A common prefix is expensive (FTS5 merges the doclists of every term it expands to) and adds
        // little: use the exact word instead.
        if (df > KEYWORD_MATCH_BUDGET && entry.prefix && entry.exact) {
          const exact: KeywordTerm = { term: entry.exact, prefix: false };
          return { entry: exact, df: this.#documentFrequency(exact) };
        }
        return { entry, df };
      })
      .filter((term) => term.df > 0)
      .sort((a, b) => a.df - b.df);
    if (scored.length === 0) return undefined;
    const rarest = (scored[0] as { df: number }).df;
    if (rarest > KEYWORD_MATCH_BUDGET && scored.length > 1) {
      return { match: scored.map((term) => quoteFtsTerm(term.entry)).join(' AND '), estimate: rarest };
    }
    const chosen: KeywordTerm[] = [];
    let total = 0;
    for (const term of scored) {
      if (chosen.length > 0 && total + term.df > KEYWORD_MATCH_BUDGET) break;
      chosen.push(term.entry);
      total += term.df;
    }
    return { match: chosen.map(quoteFtsTerm).join(' OR '), estimate: total };
  }
}
