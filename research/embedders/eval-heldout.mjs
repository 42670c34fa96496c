// Vector-only figures of the candidates on BOTH halves (choices were made on tune; this only reports).
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs } from './lib/data.mjs';
import { concat } from './lib/combine.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { loadPacked } from './lib/packed.mjs';
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const gl = createGloveEmbedder({ a: 1e-3, maxWords: 100000 });
const gQ = QUERIES.map((q) => gl.embedOne(q.query)), gM = MEMORIES.map((m) => gl.embedOne(m.content));
const st = loadPacked('cache/static-pca256-int8-100000.bin');
const sQ = QUERIES.map((q) => st.embedOne(q.query)), sM = MEMORIES.map((m) => st.embedOne(m.content));
const c = {
  'hashed (today)': [[hashQ], [hashM], [1]],
  'USE-lite': [[useQ], [useM], [1]],
  'USE-lite + hashed x0.5': [[useQ, hashQ], [useM, hashM], [1, 0.5]],
  'USE-lite + hashed x0.7': [[useQ, hashQ], [useM, hashM], [1, 0.7]],
  'USE-lite + glove x0.5 + hashed x0.5': [[useQ, gQ, hashQ], [useM, gM, hashM], [1, 0.5, 0.5]],
  'static distilled (pca256 int8, 100k)': [[sQ], [sM], [1]],
  'static + hashed x0.7': [[sQ, hashQ], [sM, hashM], [1, 0.7]],
  'glove-sif (100k)': [[gQ], [gM], [1]],
  'glove-sif + hashed x0.7': [[gQ, hashQ], [gM, hashM], [1, 0.7]],
};
for (const [name, [qp, mp, w]] of Object.entries(c)) {
  const r = evaluate(concat(qp, w), concat(mp, w));
  console.log(name); console.log('  ' + fmt(r, 'tune')); console.log('  ' + fmt(r, 'heldout'));
}
