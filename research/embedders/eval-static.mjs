// Sweep of the distilled static tier's variants, vector-only, on the TUNE half only.
// Usage: nice -n 19 node eval-static.mjs
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs } from './lib/data.mjs';
import { loadTable, transformTable, createStaticEmbedder, corpusIdf } from './lib/static.mjs';
import { loadUseTokenizer } from './lib/usetok.mjs';
import { concat } from './lib/combine.mjs';
const tokenizer = loadUseTokenizer();
const tuneIdx = QUERIES.map((q, i) => (q.split === 'tune' ? i : -1)).filter((i) => i >= 0);
const tq = tuneIdx.map((i) => QUERIES[i]);
const mt = MEMORIES.map((m) => m.content);
const ev = (qv, mv) => evaluate(tuneIdx.map((i) => qv[i]), mv, { queries: tq });
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const idf = corpusIdf(mt);
const N = 100000;
const cacheT = new Map();
function table(maxWords, opts) {
  const key = JSON.stringify([maxWords, opts]);
  if (!cacheT.has(key)) {
    const base = loadTable(N, maxWords);
    cacheT.set(key, transformTable(base, opts));
  }
  return cacheT.get(key);
}
function run(name, maxWords, topts, eopts, extra = {}) {
  const tt = table(maxWords, topts);
  const emb = createStaticEmbedder(tt, { tokenizer, idf, ...eopts });
  const qv = QUERIES.map((q) => emb.embedOne(q.query));
  const mv = MEMORIES.map((m) => emb.embedOne(m.content));
  let r = ev(qv, mv);
  console.log(`${name.padEnd(58)} ${fmt(r, 'tune')}`);
  if (extra.hash) {
    r = ev(concat([qv, hashQ], [1, extra.hash]), concat([mv, hashM], [1, extra.hash]));
    console.log(`${(name + ` + hashed x${extra.hash}`).padEnd(58)} ${fmt(r, 'tune')}`);
  }
  if (extra.mixed) {
    r = ev(qv, useM.map((v) => v)); // static query vs teacher memories (no centring of the teacher side)
    console.log(`${(name + ' [query static, memories teacher]').padEnd(58)} ${fmt(r, 'tune')}`);
  }
  return { qv, mv };
}
console.log('reference');
console.log(`${'hashed n-gram'.padEnd(58)} ${fmt(ev(hashQ, hashM), 'tune')}`);
console.log(`${'USE-lite teacher'.padEnd(58)} ${fmt(ev(useQ, useM), 'tune')}`);
console.log(`${'USE-lite teacher + hashed x0.7'.padEnd(58)} ${fmt(ev(concat([useQ, hashQ], [1, 0.7]), concat([useM, hashM], [1, 0.7])), 'tune')}`);
const variant = process.argv[2] ?? 'main';
if (variant === 'main') {
  console.log('vocabulary size (SIF a=1e-3, centred, float32, 512-d)');
  for (const w of [0, 10000, 30000, 50000, 100000]) run(`pieces + ${w} words`, w, { center: true }, { weighting: 'sif' });
  console.log('weighting (100k words, centred)');
  run('uniform', N, { center: true }, { weighting: 'uniform' });
  run('sif a=1e-2', N, { center: true }, { weighting: 'sif', a: 1e-2 });
  run('sif a=1e-4', N, { center: true }, { weighting: 'sif', a: 1e-4 });
  run('idf (memory corpus)', N, { center: true }, { weighting: 'idf' });
  console.log('centring / fallback');
  run('sif, not centred', N, { center: false }, { weighting: 'sif' }, { mixed: true });
  run('sif, no subword fallback', N, { center: true }, { weighting: 'sif', fallback: 'none' });
}
if (variant === 'reduce') {
  for (const k of [256, 128, 64]) {
    run(`pca ${k}`, N, { center: true, pca: k }, { weighting: 'sif' });
    run(`pca ${k} whitened`, N, { center: true, pca: k, whiten: true }, { weighting: 'sif' });
  }
  run('int8 512-d', N, { center: true, int8: true }, { weighting: 'sif' });
  run('pca 256 + int8', N, { center: true, pca: 256, int8: true }, { weighting: 'sif' }, { hash: 0.7 });
}
