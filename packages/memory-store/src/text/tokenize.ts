/**
 * Text normalisation shared by the local embedder and the keyword-query builder, consistent with SQLite
 * FTS5's `unicode61 remove_diacritics 2` tokenizer: Unicode letters and digits form tokens, everything else
 * separates them, case and diacritics are ignored.
 */

const COMBINING_MARKS = /\p{M}+/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Lower-cases and removes diacritics (é → e, ß stays ß as FTS5 does). */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
}

/** The tokens FTS5 would index for `text`, in order. */
export function tokenize(text: string): string[] {
  return foldText(text)
    .split(SEPARATORS)
    .filter((token) => token.length > 0);
}

/** Common English function words: they carry no topic and match nearly every document. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her ' +
    'here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not ' +
    'now of off on once only or other our ours ourselves out over own same she should so some such than that the ' +
    'their theirs them themselves then there these they this those through to too under until up very was we ' +
    'were what when where which while who whom why will with would you your yours yourself yourselves also ' +
    'get got use used using via yet'
  ).split(' '),
);

const SUFFIXES: ReadonlyArray<[string, string, number]> = [
  // [suffix, replacement, minimum stem length left]
  ['ational', 'ate', 3],
  ['ization', 'ize', 3],
  ['fulness', 'ful', 3],
  ['iveness', 'ive', 3],
  ['ations', '', 3],
  ['ation', '', 3],
  ['ments', '', 3],
  ['ment', '', 3],
  ['nesses', '', 3],
  ['ness', '', 3],
  ['ingly', '', 3],
  ['ings', '', 3],
  ['ing', '', 3],
  ['edly', '', 3],
  ['ied', 'y', 2],
  ['ies', 'y', 2],
  ['ed', '', 3],
  ['ers', '', 3],
  ['er', '', 3],
  ['ly', '', 3],
  ['sses', 'ss', 2],
  ['ss', 'ss', 2],
  ['es', '', 3],
  ['s', '', 3],
];

/**
 * A light English stemmer (suffix stripping, doubled-consonant and final-e folding): "deploys",
 * "deployed", "deploying" and "deployment" all become "deploy"; "releasing" and "released" become "releas".
 * Imperfect by design; the character n-grams of the embedder cover what it misses.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let result = word;
  for (const [suffix, replacement, minimum] of SUFFIXES) {
    if (result.endsWith(suffix) && result.length - suffix.length >= minimum) {
      if (suffix === 's' && /(us|is|ss)$/.test(result)) break;
      result = result.slice(0, result.length - suffix.length) + replacement;
      break;
    }
  }
  if (result.length > 3 && /([bcdfgklmnprtvz])\1$/.test(result)) result = result.slice(0, -1);
  if (result.length > 3 && result.endsWith('e')) result = result.slice(0, -1);
  return result;
}
