// Embeds every memory and query with USE-lite once and caches the vectors (cache/use-*.f32).
import { loadUse } from './lib/use.mjs';
import { MEMORIES, QUERIES, saveVecs } from './lib/data.mjs';
const m = await loadUse();
async function embedAll(texts, batch = 32) {
  const out = [];
  for (let i = 0; i < texts.length; i += batch) out.push(...(await m.embed(texts.slice(i, i + batch))));
  return out;
}
let t = performance.now();
saveVecs('cache/use-memories.f32', await embedAll(MEMORIES.map((x) => x.content)));
console.log('memories', MEMORIES.length, ((performance.now() - t) / 1000).toFixed(1), 's');
t = performance.now();
saveVecs('cache/use-memories-tags.f32', await embedAll(MEMORIES.map((x) => `${x.content} ${x.tags.join(' ')}`)));
console.log('memories+tags', ((performance.now() - t) / 1000).toFixed(1), 's');
t = performance.now();
saveVecs('cache/use-queries.f32', await embedAll(QUERIES.map((x) => x.query)));
console.log('queries', QUERIES.length, ((performance.now() - t) / 1000).toFixed(1), 's');
