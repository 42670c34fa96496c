// Keyword / vector / hybrid (the store's own RRF fusion) through Mimo's MemoryStore (main's build, read-only),
// with each candidate passed as the `embedder` option. Vectors come from the caches (same numbers as a live
// embed). Usage: nice -n 19 node --max-old-space-size=8000 eval-hybrid.mjs [tune|heldout]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore } from '/work/main/packages/memory-store/dist/index.js';
import { MEMORIES, QUERIES, CATEGORIES, loadVecs } from './lib/data.mjs';
import { concat } from './lib/combine.mjs';
import { createGloveEmbedder } from './lib/glove-sif.mjs';
import { loadPacked } from './lib/packed.mjs';
const split = process.argv[2] ?? 'tune';
const qs = QUERIES.filter((q) => q.split === split);
const useQ = loadVecs('cache/use-queries.f32'), useM = loadVecs('cache/use-memories.f32');
const hashQ = loadVecs('cache/hash-queries.f32'), hashM = loadVecs('cache/hash-memories.f32');
const gl = createGloveEmbedder({ a: 1e-3, maxWords: 100000 });
const gQ = QUERIES.map((q) => gl.embedOne(q.query)), gM = MEMORIES.map((m) => gl.embedOne(m.content));
const st = loadPacked('cache/static-pca256-int8-100000.bin');
const sQ = QUERIES.map((q) => st.embedOne(q.query)), sM = MEMORIES.map((m) => st.embedOne(m.content));
const candidates = {
  'hashed (today)': [[hashQ], [hashM], [1]],
  'USE-lite': [[useQ], [useM], [1]],
  'USE-lite + hashed x0.5': [[useQ, hashQ], [useM, hashM], [1, 0.5]],
  'USE-lite + hashed x0.7': [[useQ, hashQ], [useM, hashM], [1, 0.7]],
  'USE-lite + glove x0.5 + hashed x0.5': [[useQ, gQ, hashQ], [useM, gM, hashM], [1, 0.5, 0.5]],
  'static (distilled, pca256 int8)': [[sQ], [sM], [1]],
  'static + hashed x0.7': [[sQ, hashQ], [sM, hashM], [1, 0.7]],
  'glove-sif + hashed x0.7': [[gQ, hashQ], [gM, hashM], [1, 0.7]],
};
for (const [name, [qp, mp, w]] of Object.entries(candidates)) {
  const qv = concat(qp, w), mv = concat(mp, w);
  const byText = new Map();
  QUERIES.forEach((q, i) => byText.set(q.query, qv[i]));
  MEMORIES.forEach((m, i) => byText.set(m.content, mv[i]));
  const embedder = { id: `research-${name.replace(/[^a-z0-9]+/gi, '-')}`, dimensions: qv[0].length, persistentCache: false,
    async embed(texts) { return texts.map((t) => { const v = byText.get(t); if (!v) throw new Error(`no vector for ${t}`); return v; }); } };
  const dir = mkdtempSync(join(tmpdir(), 'mimo-research-'));
  const store = await openMemoryStore({ path: join(dir, 'm.db'), embedder });
  const created = await store.createMany(MEMORIES.map((m) => ({ content: m.content, tags: m.tags, namespace: 'q' })));
  const idOf = new Map(MEMORIES.map((m, i) => [(created[i]).id ?? created[i].memory?.id, m.id]));
  const line = [];
  for (const mode of ['keyword', 'vector', 'hybrid']) {
    const acc = {};
    for (const q of qs) {
      const { hits } = await store.search({ query: q.query, mode, namespace: 'q', maxResults: 10, maxChars: 100000 });
      const found = hits.map((h) => idOf.get(h.memory.id));
      const r5 = q.relevant.filter((id) => found.slice(0, 5).includes(id)).length / q.relevant.length;
      const first = found.findIndex((id) => q.relevant.includes(id));
      for (const k of ['all', q.category]) { const e = (acc[k] ??= { n: 0, r5: 0, rr: 0 }); e.n++; e.r5 += r5; e.rr += first < 0 ? 0 : 1 / (first + 1); }
    }
    const f = (k) => `${(acc[k].r5 / acc[k].n).toFixed(3)}/${(acc[k].rr / acc[k].n).toFixed(3)}`;
    if (mode === 'keyword' && name !== 'hashed (today)') continue;
    line.push(`  ${mode.padEnd(7)} all ${f('all')} | ${CATEGORIES.map((c) => `${c} ${f(c)}`).join(' | ')}`);
  }
  console.log(`${name} [${split}] (recall@5/MRR@10)`); console.log(line.join('\n'));
  await store.close?.();
  rmSync(dir, { recursive: true, force: true });
}
