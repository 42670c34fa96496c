// Speed and memory of one embedder in a fresh process.
// Usage: nice -n 19 node --expose-gc bench-speed.mjs <use|static|static-int8|hashed|glove> [more...]
// Prints one JSON line: loadMs (import + load), firstMs (first embed), singleP50Ms / P95 (one short query at a
// time, queries of the labelled set, uncached), batchTextsPerSec (memories, batches of 32), rss MB after load and
// peak during the batch run.
import { MEMORIES, QUERIES } from './lib/data.mjs';
const kind = process.argv[2];
const rssMB = () => process.memoryUsage().rss / 2 ** 20;
let peak = 0;
const tick = setInterval(() => { peak = Math.max(peak, rssMB()); }, 20);
const rss0 = rssMB();
const t0 = performance.now();
let emb;
if (kind === 'use') {
  const { loadUse } = await import('./lib/use.mjs');
  emb = await loadUse();
} else if (kind === 'hashed') {
  const { createLocalEmbedder } = await import('/work/main/packages/memory-store/dist/index.js');
  emb = createLocalEmbedder();
} else if (kind.startsWith('static')) {
  const { loadPacked } = await import('./lib/packed.mjs');
  emb = loadPacked(process.argv[3] ?? 'cache/static-pca256-int8.bin');
} else if (kind === 'glove') {
  const { createGloveEmbedder } = await import('./lib/glove-sif.mjs');
  emb = createGloveEmbedder();
}
const loadMs = performance.now() - t0;
const rssLoad = rssMB();
let t = performance.now();
await emb.embed([QUERIES[0].query]);
const firstMs = performance.now() - t;
const lat = [];
for (let round = 0; round < (kind === 'use' ? 1 : 20); round++)
  for (const q of QUERIES) { t = performance.now(); await emb.embed([q.query]); lat.push(performance.now() - t); }
lat.sort((a, b) => a - b);
const texts = MEMORIES.map((m) => m.content);
const reps = kind === 'use' ? 1 : 20;
t = performance.now();
for (let r = 0; r < reps; r++) for (let i = 0; i < texts.length; i += 32) await emb.embed(texts.slice(i, i + 32));
const batchSec = (performance.now() - t) / 1000;
clearInterval(tick);
peak = Math.max(peak, rssMB());
console.log(JSON.stringify({
  kind, loadMs: +loadMs.toFixed(1), firstMs: +firstMs.toFixed(2),
  singleP50Ms: +lat[Math.floor(lat.length / 2)].toFixed(3), singleP95Ms: +lat[Math.floor(lat.length * 0.95)].toFixed(3),
  batchTextsPerSec: +((texts.length * reps) / batchSec).toFixed(1),
  rssStartMB: +rss0.toFixed(0), rssAfterLoadMB: +rssLoad.toFixed(0), rssPeakMB: +peak.toFixed(0),
}));
