// Combinations on the TUNE half: teacher (+ hashed at several weights, + GloVe SIF), tags in the memory text.
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs } from './lib/data.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { concat } from './lib/combine.mjs';
const tuneIdx = QUERIES.map((q, i) => (q.split === 'tune' ? i : -1)).filter((i) => i >= 0);
const ev = (qv, mv) => evaluate(tuneIdx.map((i) => qv[i]), mv, { queries: tuneIdx.map((i) => QUERIES[i]) });
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32'), useMT = loadVecs('cache/use-memories-tags.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const p = (name, r) => console.log(`${name.padEnd(52)} ${fmt(r, 'tune')}`);
p('teacher', ev(useQ, useM));
p('teacher, memory text + tags', ev(useQ, useMT));
for (const w of [0.2, 0.3, 0.4, 0.5, 0.7, 1.0]) p(`teacher + hashed x${w}`, ev(concat([useQ, hashQ], [1, w]), concat([useM, hashM], [1, w])));
const gl = createGloveEmbedder({ a: 1e-3, maxWords: 100000 });
const gQ = QUERIES.map((q) => gl.embedOne(q.query)), gM = MEMORIES.map((m) => gl.embedOne(m.content));
for (const w of [0.3, 0.5, 0.7]) p(`teacher + glove-sif x${w}`, ev(concat([useQ, gQ], [1, w]), concat([useM, gM], [1, w])));
for (const [wg, wh] of [[0.5, 0.3], [0.5, 0.5], [0.3, 0.3]]) p(`teacher + glove x${wg} + hashed x${wh}`, ev(concat([useQ, gQ, hashQ], [1, wg, wh]), concat([useM, gM, hashM], [1, wg, wh])));
