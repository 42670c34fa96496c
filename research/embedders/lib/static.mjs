// The distilled static tier at run time: a text's vector is a weighted mean of per-token teacher vectors.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);

const COMBINING = /\p{M}+/gu;
export const fold = (t) => t.normalize('NFKD').replace(COMBINING, '').toLowerCase();
const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Loads the table built by distill-build.mjs; keeps the pieces and the first `maxWords` words. */
export function loadTable(n = 100000, maxWords = n) {
  const entries = JSON.parse(readFileSync(`cache/distill-${n}.json`, 'utf8'));
  const raw = readFileSync(`cache/distill-${n}.f32`);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const keep = [];
  let words = 0;
  entries.forEach((e, i) => { if (e.kind === 'piece' || words++ < maxWords) keep.push(i); });
  const dim = 512;
  const table = new Float32Array(keep.length * dim);
  keep.forEach((i, k) => table.set(all.subarray(i * dim, (i + 1) * dim), k * dim));
  return { entries: keep.map((i) => entries[i]), table, dim };
}

/** Post-processing of the table: centre, PCA to k dims (optionally whitened), int8 rows. */
export function transformTable(t, { center = true, pca = 0, whiten = false, int8 = false, weights } = {}) {
  const { entries } = t;
  let { table, dim } = t;
  const n = entries.length;
  let mean = new Float64Array(dim);
  if (center || pca) {
    // mean over word entries weighted by their SIF weight if given (approximates the mean text vector)
    let wsum = 0;
    for (let i = 0; i < n; i++) {
      const w = weights ? weights[i] : 1;
      wsum += w;
      for (let d = 0; d < dim; d++) mean[d] += w * table[i * dim + d];
    }
    for (let d = 0; d < dim; d++) mean[d] /= wsum;
  }
  let out = new Float32Array(table);
  if (center || pca) for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[i * dim + d] -= mean[d];
  let components = null;
  if (pca) {
    // covariance (dim x dim) then power-iteration-free eigen decomposition via Jacobi would be slow in JS for 512;
    // use simple subspace (block power) iteration for the top-k components.
    const C = new Float64Array(dim * dim);
    for (let i = 0; i < n; i++) {
      const o = i * dim;
      for (let a = 0; a < dim; a++) {
        const va = out[o + a];
        if (va === 0) continue;
        for (let b = a; b < dim; b++) C[a * dim + b] += va * out[o + b];
      }
    }
    for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) C[a * dim + b] = C[b * dim + a];
    const k = pca;
    let Q = Array.from({ length: k }, (_, j) => Float64Array.from({ length: dim }, (_, d) => Math.sin((j + 1) * (d + 1) * 12.9898) ));
    let eig = new Float64Array(k);
    for (let iter = 0; iter < 60; iter++) {
      const Z = Q.map((q) => { const z = new Float64Array(dim); for (let a = 0; a < dim; a++) { let s = 0; for (let b = 0; b < dim; b++) s += C[a * dim + b] * q[b]; z[a] = s; } return z; });
      // Gram-Schmidt
      for (let j = 0; j < k; j++) {
        for (let p = 0; p < j; p++) { let dp = 0; for (let d = 0; d < dim; d++) dp += Z[j][d] * Z[p][d]; for (let d = 0; d < dim; d++) Z[j][d] -= dp * Z[p][d]; }
        let nn = 0; for (let d = 0; d < dim; d++) nn += Z[j][d] ** 2; nn = Math.sqrt(nn);
        eig[j] = nn; for (let d = 0; d < dim; d++) Z[j][d] /= nn;
      }
      Q = Z;
    }
    components = Q;
    const proj = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
      let s = 0; for (let d = 0; d < dim; d++) s += out[i * dim + d] * Q[j][d];
      proj[i * k + j] = whiten ? s / Math.sqrt(eig[j] / n) : s;
    }
    out = proj; dim = k;
  }
  let scales = null, q8 = null;
  if (int8) {
    scales = new Float32Array(n); q8 = new Int8Array(n * dim);
    for (let i = 0; i < n; i++) {
      let mx = 0; for (let d = 0; d < dim; d++) mx = Math.max(mx, Math.abs(out[i * dim + d]));
      const s = mx / 127 || 1; scales[i] = s;
      for (let d = 0; d < dim; d++) q8[i * dim + d] = Math.round(out[i * dim + d] / s);
    }
  }
  return { entries, dim, table: int8 ? null : out, q8, scales, mean: center || pca ? mean : null, components };
}

/**
 * Creates the embedder. weighting: 'uniform' | 'sif' (a / (a + p(w)), p from the word's frequency rank
 * (Zipf) or the piece's sentencepiece log-prob) | 'idf' (needs `idf` map, e.g. from the stored corpus).
 */
export function createStaticEmbedder(tt, { weighting = 'sif', a = 1e-3, idf = null, fallback = 'pieces', dropStop = false, tokenizer } = {}) {
  const { entries, dim, table, q8, scales } = tt;
  const wordIndex = new Map();
  const pieceIndex = new Map();
  entries.forEach((e, i) => (e.kind === 'word' ? wordIndex : pieceIndex).set(e.key, i));
  // Zipf: p(rank) = 1 / (rank * H_V); GloVe's vocabulary of 400k, H ~ ln(400k) + 0.577
  const H = Math.log(400000) + 0.5772;
  const weightOf = (i, token) => {
    if (weighting === 'uniform') return 1;
    if (weighting === 'idf') return idf?.get(token) ?? idf?.max ?? 1;
    const e = entries[i];
    const p = e.kind === 'word' ? 1 / (e.rank * H) : Math.exp(e.score);
    return a / (a + p);
  };
  const vocabPieces = tokenizer;
  const addRow = (acc, i, w) => {
    const o = i * dim;
    if (q8) { const s = scales[i] * w; for (let d = 0; d < dim; d++) acc[d] += s * q8[o + d]; }
    else for (let d = 0; d < dim; d++) acc[d] += w * table[o + d];
  };
  const embedOne = (text) => {
    const acc = new Float32Array(dim);
    let total = 0;
    const tokens = fold(text).match(WORD) ?? [];
    for (const tok of tokens) {
      let i = wordIndex.get(tok);
      if (i !== undefined) { const w = weightOf(i, tok); addRow(acc, i, w); total += w; continue; }
      if (fallback !== 'pieces' || !vocabPieces) continue;
      // unknown word (identifier, rare name, CJK run): the teacher's own sentencepiece split of it
      const ids = vocabPieces.encode(tok);
      const w = weighting === 'idf' ? (idf?.get(tok) ?? idf?.max ?? 1) : null;
      const pw = [];
      for (const id of ids) {
        const key = vocabPieces.vocabulary[id][0];
        const pi = pieceIndex.get(key);
        if (pi !== undefined) pw.push(pi);
      }
      for (const pi of pw) { const ww = (w ?? weightOf(pi, tok)) / pw.length; addRow(acc, pi, ww); total += ww; }
    }
    return acc;
  };
  return {
    dimensions: dim,
    embedOne,
    async embed(texts) { return texts.map(embedOne); },
  };
}

/** IDF over a corpus of texts with the same tokenisation (what the store could keep from its own contents). */
export function corpusIdf(texts) {
  const df = new Map();
  for (const t of texts) for (const tok of new Set(fold(t).match(WORD) ?? [])) df.set(tok, (df.get(tok) ?? 0) + 1);
  const N = texts.length;
  const idf = new Map();
  let max = 0;
  for (const [tok, d] of df) { const v = Math.log((N + 1) / (d + 0.5)); idf.set(tok, v); max = Math.max(max, v); }
  idf.max = max;
  return idf;
}
