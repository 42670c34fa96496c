/** Syllables the pseudo-words are made of. */
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'de',
  'ga',
  'po',
  'zu',
  'be',
  'fi',
  'ho',
  'ja',
];

/**
 * A deterministic vocabulary of distinct pseudo-words for benchmarks: word `i` spells `i + offset` in base
 * `syllables` (the first that many of 16 syllables), followed by `suffixes[i % suffixes.length]` if given.
 */
export function pseudoVocabulary({ size, syllables = SYLLABLES.length, offset = 0, suffixes = '' }) {
  const alphabet = SYLLABLES.slice(0, syllables);
  return Array.from({ length: size }, (_, i) => {
    let word = '';
    let n = i + offset;
    do {
      word += alphabet[n % alphabet.length];
      n = Math.floor(n / alphabet.length);
    } while (n > 0);
    return suffixes ? `${word}${suffixes[i % suffixes.length]}` : word;
  });
}

/** Draws words from `vocabulary` with a Zipf-like (log-uniform rank) distribution, like natural text. */
export function zipfPicker(vocabulary, random) {
  return () =>
    vocabulary[
      Math.min(vocabulary.length - 1, Math.floor(Math.exp(random() * Math.log(vocabulary.length))) - 1)
    ];
}
