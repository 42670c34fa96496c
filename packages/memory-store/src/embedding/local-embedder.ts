import { MemoryStoreError } from '../errors.js';
import { STOPWORDS, stem, tokenize } from '../text/tokenize.js';
import type { Embedder } from './embedder.js';

export interface LocalEmbedderOptions {
  /** Vector length. @default 384 */
  dimensions?: number;
  /** Weight of a word unigram (stemmed). @default 1 */
  unigramWeight?: number;
  /** Weight of a pair of consecutive content words. @default 0.6 */
  bigramWeight?: number;
  /** Weight of each character trigram of a word (typo tolerance). @default 0.3 */
  trigramWeight?: number;
}

/** FNV-1a, 32-bit. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A second, independent mix of the hash (murmur3 finaliser) to pick the feature's sign. */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A deterministic embedder that needs nothing downloaded and no key: hashed features of the text (stemmed
 * word unigrams, consecutive content-word bigrams, and character trigrams of each word), each with
 * sublinear term frequency (1 + ln tf) and a random sign (the "hashing trick", so collisions cancel instead
 * of piling up), L2-normalised. Shared stems make paraphrases land near each other; shared trigrams make
 * typos land near the intended word. Stopwords are ignored.
 *
 * @example
 * const embedder = createLocalEmbedder(); // id 'local-hash-v1-384'
 * const [vector] = await embedder.embed(['deploying the release pipeline']);
 */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 384;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 4096) {
    throw new MemoryStoreError(
      'INVALID_ARGUMENT',
      `local embedder dimensions must be an integer in [8, 4096], got ${dimensions}`,
    );
  }
  const unigram = options.unigramWeight ?? 1;
  const bigram = options.bigramWeight ?? 0.6;
  const trigram = options.trigramWeight ?? 0.3;

  const weightOf = (feature: string): number =>
    feature.charCodeAt(0) === 119 /* w */ ? unigram : feature.charCodeAt(0) === 98 /* b */ ? bigram : trigram;

  const embedOne = (text: string): Float32Array => {
    const counts = new Map<string, number>();
    const add = (feature: string): void => {
      counts.set(feature, (counts.get(feature) ?? 0) + 1);
    };
    const content = tokenize(text).filter((token) => !STOPWORDS.has(token));
    let previous: string | undefined;
    for (const token of content) {
      const root = stem(token);
      add(`w:${root}`);
      if (previous !== undefined) add(`b:${previous} ${root}`);
      previous = root;
      if (token.length >= 3) {
        const padded = `#${token}#`;
        for (let i = 0; i + 3 <= padded.length; i++) add(`c:${padded.slice(i, i + 3)}`);
      }
    }
    const vector = new Float32Array(dimensions);
    for (const [feature, count] of counts) {
      const hash = fnv1a(feature);
      const sign = mix(hash) & 1 ? 1 : -1;
      // Sublinear term frequency keeps one repeated word from dominating the vector.
      const slot = hash % dimensions;
      vector[slot] = (vector[slot] as number) + sign * weightOf(feature) * (1 + Math.log(count));
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    if (norm > 0) {
      const inverse = 1 / Math.sqrt(norm);
      for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) * inverse;
    }
    return vector;
  };

  return {
    // Different weights put texts in a different space, so they are part of the id.
    id:
      unigram === 1 && bigram === 0.6 && trigram === 0.3
        ? `local-hash-v1-${dimensions}`
        : `local-hash-v1-${dimensions}-w${unigram}-${bigram}-${trigram}`,
    dimensions,
    persistentCache: false,
    async embed(texts, embedOptions) {
      if (embedOptions?.signal?.aborted) {
        throw new MemoryStoreError('ABORTED', 'embedding aborted', { cause: embedOptions.signal.reason });
      }
      return texts.map(embedOne);
    },
  };
}
