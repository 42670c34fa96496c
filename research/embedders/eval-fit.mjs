// "Tokenlearn-lite": a linear map (ridge) from static features to the teacher's sentence vector, fitted on
// 12k WordNet gloss sentences (no label, no memory, no query of the set). Tune half only.
// Usage: nice -n 19 node --max-old-space-size=8000 eval-fit.mjs
import { readFileSync } from 'node:fs';
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs, normalize } from './lib/data.mjs';
import { loadTable, transformTable, createStaticEmbedder } from './lib/static.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { loadUseTokenizer } from './lib/usetok.mjs';
import { ridge } from './lib/ridge.mjs';
import { concat } from './lib/combine.mjs';
const tuneIdx = QUERIES.map((q, i) => (q.split === 'tune' ? i : -1)).filter((i) => i >= 0);
const ev = (qv, mv) => evaluate(tuneIdx.map((i) => qv[i]), mv, { queries: tuneIdx.map((i) => QUERIES[i]) });
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const gloss = JSON.parse(readFileSync('cache/gloss.json', 'utf8'));
const glossY = loadVecs('cache/gloss-use.f32').map(normalize);
const st = createStaticEmbedder(transformTable(loadTable(100000), { center: true }), { tokenizer: loadUseTokenizer(), weighting: 'sif', a: 1e-4 });
const gl = createGloveEmbedder({ a: 1e-3, maxWords: 100000 });
const feats = {
  'use-static': (t) => [normalize(st.embedOne(t))],
  'use-static + glove': (t) => [normalize(st.embedOne(t)), normalize(gl.embedOne(t))],
};
const withBias = (parts) => { const n = parts.reduce((s, p) => s + p.length, 0) + 1; const o = new Float32Array(n); let k = 0; for (const p of parts) { o.set(p, k); k += p.length; } o[k] = 1; return o; };
for (const [name, f] of Object.entries(feats)) {
  const X = gloss.map((t) => withBias(f(t)));
  const qX = QUERIES.map((q) => withBias(f(q.query))), mX = MEMORIES.map((m) => withBias(f(m.content)));
  for (const lambda of [1e-4, 1e-3, 1e-2]) {
    const t0 = performance.now();
    const W = ridge(X, glossY, lambda);
    const fitS = ((performance.now() - t0) / 1000).toFixed(1);
    const qv = qX.map((x) => W.apply(x)), mv = mX.map((x) => W.apply(x));
    const label = `${name} -> teacher, ridge λ=${lambda} (fit ${fitS}s)`;
    console.log(`${label.padEnd(64)} ${fmt(ev(qv, mv), 'tune')}`);
    console.log(`${'   query mapped, memories teacher'.padEnd(64)} ${fmt(ev(qv, useM), 'tune')}`);
    console.log(`${'   both mapped + hashed x0.7'.padEnd(64)} ${fmt(ev(concat([qv, hashQ], [1, 0.7]), concat([mv, hashM], [1, 0.7])), 'tune')}`);
    console.log(`${'   query mapped, memories teacher, + hashed x0.7'.padEnd(64)} ${fmt(ev(concat([qv, hashQ], [1, 0.7]), concat([useM, hashM], [1, 0.7])), 'tune')}`);
  }
}
