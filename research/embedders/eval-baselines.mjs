// Vector-only quality of the hashed n-gram embedder (Mimo's current default) and of USE-lite.
import { createLocalEmbedder } from '/work/main/packages/memory-store/dist/index.js';
import { MEMORIES, QUERIES, evaluate, fmt, loadVecs, saveVecs } from './lib/data.mjs';
const hashed = createLocalEmbedder();
const hm = await hashed.embed(MEMORIES.map((m) => m.content));
const hq = await hashed.embed(QUERIES.map((q) => q.query));
saveVecs('cache/hash-memories.f32', hm);
saveVecs('cache/hash-queries.f32', hq);
const rows = {
  'hashed n-gram (local-hash-v1-384)': evaluate(hq, hm),
  'USE-lite (content)': evaluate(loadVecs('cache/use-queries.f32'), loadVecs('cache/use-memories.f32')),
  'USE-lite (content + tags)': evaluate(loadVecs('cache/use-queries.f32'), loadVecs('cache/use-memories-tags.f32')),
};
for (const [name, r] of Object.entries(rows)) {
  console.log(name); console.log('  ' + fmt(r, 'tune')); console.log('  ' + fmt(r, 'heldout'));
}
