import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_KEYWORD_TERMS, parseKeywordQuery, quoteFtsTerm } from './keyword-query.js';

describe('parseKeywordQuery', () => {
  it('should drop stopwords, fold case and accents, dedupe, and prefix-match word stems', () => {
    expect(parseKeywordQuery('How do I deploy the Café deployments?')).toEqual([
      { term: 'deploy', prefix: true },
      { term: 'caf', prefix: true, exact: 'cafe' },
    ]);
    expect(parseKeywordQuery('deployments')).toEqual([
      { term: 'deploy', prefix: true, exact: 'deployments' },
    ]);
    expect(parseKeywordQuery('v2 API 429')).toEqual([
      { term: 'v2', prefix: false },
      { term: 'api', prefix: false },
      { term: '429', prefix: false },
    ]);
  });

  it('should honour an explicit * and keep stopwords when nothing else is left', () => {
    expect(parseKeywordQuery('op*')).toEqual([{ term: 'op', prefix: true }]);
    expect(parseKeywordQuery('the and of')).toEqual([
      { term: 'the', prefix: false },
      { term: 'and', prefix: false },
      { term: 'of', prefix: false },
    ]);
  });

  it('should cap the number of terms', () => {
    const many = Array.from({ length: 40 }, (_, i) => `word${i}x`).join(' ');
    expect(parseKeywordQuery(many)).toHaveLength(MAX_KEYWORD_TERMS);
  });

  it('should never produce FTS5 syntax from user text (property, against real SQLite)', () => {
    const db = new Database(':memory:');
    db.exec("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')");
    db.prepare('INSERT INTO t (body) VALUES (?)').run('some body text with NEAR and OR words');
    const query = db.prepare('SELECT rowid FROM t WHERE t MATCH ?');
    const hostile = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc
        .array(
          fc.constantFrom(
            '"',
            '*',
            '(',
            ')',
            'NEAR',
            'OR',
            'AND',
            'NOT',
            ':',
            '^',
            '-',
            '+',
            'body:',
            '{',
            '}',
            ' ',
            'x',
          ),
          {
            maxLength: 12,
          },
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        const terms = parseKeywordQuery(text);
        if (terms.length === 0) return;
        // Must not throw "fts5: syntax error", whatever the input.
        query.all(terms.map(quoteFtsTerm).join(' OR '));
      }),
      { numRuns: 2_000 },
    );
    db.close();
  });
});
