// What the embedders give once fusion stops drowning the vector list: weighted RRF of the store's own
// keyword ranking (FTS5 BM25, top 50) and the cosine ranking, k = 60, keyword weight wk (vector weight 1).
// Usage: nice -n 19 node --max-old-space-size=8000 eval-fusion.mjs [tune|heldout] [wk...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore, createLocalEmbedder } from '/work/main/packages/memory-store/dist/index.js';
import { MEMORIES, QUERIES, CATEGORIES, loadVecs, cosineScores } from './lib/data.mjs';
import { concat } from './lib/combine.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { loadPacked } from './lib/packed.mjs';
const split = process.argv[2] ?? 'tune';
const wks = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 0.5, 0.3];
const qi = QUERIES.map((q, i) => (q.split === split ? i : -1)).filter((i) => i >= 0);
const dir = mkdtempSync(join(tmpdir(), 'mimo-research-'));
const store = await openMemoryStore({ path: join(dir, 'm.db'), embedder: createLocalEmbedder() });
const created = await store.createMany(MEMORIES.map((m) => ({ content: m.content, tags: m.tags, namespace: 'q' })));
const idOf = new Map(MEMORIES.map((m, i) => [created[i].id ?? created[i].memory?.id, i]));
const kwRank = new Map();
for (const i of qi) {
  const { hits } = await store.search({ query: QUERIES[i].query, mode: 'keyword', namespace: 'q', maxResults: 50, maxChars: 1000000 });
  kwRank.set(i, hits.map((h) => idOf.get(h.memory.id)));
}
rmSync(dir, { recursive: true, force: true });
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const gl = createGloveEmbedder({ a: 1e-3, maxWords: 100000 });
const gQ = QUERIES.map((q) => gl.embedOne(q.query)), gM = MEMORIES.map((m) => gl.embedOne(m.content));
const st = loadPacked('cache/static-pca256-int8-100000.bin');
const sQ = QUERIES.map((q) => st.embedOne(q.query)), sM = MEMORIES.map((m) => st.embedOne(m.content));
const cands = {
  'hashed (today)': [[hashQ], [hashM], [1]],
  'USE-lite': [[useQ], [useM], [1]],
  'USE-lite + hashed x0.5': [[useQ, hashQ], [useM, hashM], [1, 0.5]],
  'USE-lite + glove x0.5 + hashed x0.5': [[useQ, gQ, hashQ], [useM, gM, hashM], [1, 0.5, 0.5]],
  'static + hashed x0.7': [[sQ, hashQ], [sM, hashM], [1, 0.7]],
  'glove-sif + hashed x0.7': [[gQ, hashQ], [gM, hashM], [1, 0.7]],
};
for (const [name, [qp, mp, w]] of Object.entries(cands)) {
  const qv = concat(qp, w), mv = concat(mp, w);
  for (const wk of wks) {
    const acc = {};
    for (const i of qi) {
      const q = QUERIES[i];
      const s = cosineScores(qv[i], mv);
      const vr = Array.from(s.keys()).sort((a, b) => s[b] - s[a]).slice(0, 50);
      const f = new Map();
      vr.forEach((j, r) => f.set(j, (f.get(j) ?? 0) + 1 / (60 + r + 1)));
      kwRank.get(i).forEach((j, r) => f.set(j, (f.get(j) ?? 0) + wk / (60 + r + 1)));
      const found = [...f.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([j]) => MEMORIES[j].id);
      const r5 = q.relevant.filter((id) => found.slice(0, 5).includes(id)).length / q.relevant.length;
      const first = found.findIndex((id) => q.relevant.includes(id));
      for (const k of ['all', q.category]) { const e = (acc[k] ??= { n: 0, r5: 0, rr: 0 }); e.n++; e.r5 += r5; e.rr += first < 0 ? 0 : 1 / (first + 1); }
    }
    const f = (k) => `${(acc[k].r5 / acc[k].n).toFixed(3)}/${(acc[k].rr / acc[k].n).toFixed(3)}`;
    console.log(`${(name + ` | wRRF wk=${wk}`).padEnd(52)} [${split}] all ${f('all')} | ${CATEGORIES.map((c) => `${c} ${f(c)}`).join(' | ')}`);
  }
}
