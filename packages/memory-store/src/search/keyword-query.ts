import { foldText, STOPWORDS, stem } from '../text/tokenize.js';

/** One term of a keyword query; `prefix` matches every token starting with it. */
export interface KeywordTerm {
  term: string;
  prefix: boolean;
  /**
   * The word as typed, when `term` is its stem used as a prefix. A driver may search this exact word instead
   * when the prefix is too common to be worth its cost.
   */
  exact?: string;
}

/** Most terms a keyword query keeps, so one request cannot make the index do unbounded work. */
export const MAX_KEYWORD_TERMS = 16;

const TOKEN = /([\p{L}\p{N}]+)(\*)?/gu;

/**
 * Turns user text into keyword terms: tokens as FTS5 sees them, stopwords dropped (unless nothing else is
 * left), duplicates removed, at most {@link MAX_KEYWORD_TERMS}. A `*` written right after a token asks for
 * a prefix match (`deploy*`); other words of 4+ letters match every word starting with their stem
 * (`deployments` → `deploy*`), which catches plurals and other suffixes. No user text is ever passed to FTS5 as syntax: each term holds
 * only letters and digits and is quoted by the driver.
 *
 * @example
 * parseKeywordQuery('How do I "deploy" OR delete*?') // [{ term: 'deploy', prefix: true }, { term: 'delete', prefix: true }]
 * parseKeywordQuery('v2 API') // [{ term: 'v2', prefix: false }, { term: 'api', prefix: false }]
 */
export function parseKeywordQuery(text: string): KeywordTerm[] {
  const folded = foldText(text);
  const all: KeywordTerm[] = [];
  for (const match of folded.matchAll(TOKEN)) {
    const token = match[1] as string;
    if (match[2] === '*') {
      all.push({ term: token, prefix: true });
    } else if (token.length >= 4 && !/\d/.test(token)) {
      // The index is not stemmed, so match every word that starts with the query word's stem:
      // "deployments" → deploy* finds deploy, deployed, deploying.
      const root = stem(token);
      all.push(root.length >= 3 ? { term: root, prefix: true, exact: token } : { term: token, prefix: true });
    } else {
      all.push({ term: token, prefix: false });
    }
  }
  const content = all.filter((entry) => !STOPWORDS.has(entry.term));
  const chosen = content.length > 0 ? content : all;
  const seen = new Map<string, KeywordTerm>();
  for (const entry of chosen) {
    const existing = seen.get(entry.term);
    if (existing) {
      existing.prefix ||= entry.prefix;
      if (existing.exact !== entry.exact) delete existing.exact;
    } else {
      seen.set(entry.term, { ...entry });
    }
  }
  return [...seen.values()].slice(0, MAX_KEYWORD_TERMS);
}

/** Quotes a term for an FTS5 MATCH expression (doubling any quote, though terms never contain one). */
export function quoteFtsTerm(entry: KeywordTerm): string {
  return `"${entry.term.replaceAll('"', '""')}"${entry.prefix ? '*' : ''}`;
}
