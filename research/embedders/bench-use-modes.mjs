// USE-lite speed by batch size, length-sorting and wasm thread count.
// Usage: nice -n 19 node bench-use-modes.mjs [threads=1]
import { createRequire } from 'node:module';
import { MEMORIES, QUERIES } from './lib/data.mjs';
const require = createRequire(import.meta.url);
const core = require('@energetic-ai/core');
const threads = Number(process.argv[2] ?? 1);
if (threads > 1) core.setThreadsCount(threads);
const { loadUse } = await import('./lib/use.mjs');
const m = await loadUse();
console.log('threads', core.getThreadsCount(), 'backend', core.getBackend());
await m.embed(['warm up']);
const texts = MEMORIES.map((x) => x.content);
const p50 = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
let lat = [];
for (const t of texts.slice(0, 120)) { const s = performance.now(); await m.embed([t]); lat.push(performance.now() - s); }
console.log('single memory text p50 ms', p50(lat).toFixed(1));
lat = [];
for (const q of QUERIES) { const s = performance.now(); await m.embed([q.query]); lat.push(performance.now() - s); }
console.log('single query p50 ms', p50(lat).toFixed(1));
for (const [bs, sorted] of [[1, false], [8, false], [32, false], [128, false], [32, true], [128, true]]) {
  const list = sorted ? [...texts].sort((a, b) => a.length - b.length) : texts;
  const s = performance.now();
  for (let i = 0; i < list.length; i += bs) await m.embed(list.slice(i, i + bs));
  console.log(`batch ${bs}${sorted ? ' length-sorted' : ''}: ${(list.length / ((performance.now() - s) / 1000)).toFixed(1)} texts/s`);
}
console.log('rss MB', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
process.exit(0);
