// USE-lite in a pool of worker threads: background throughput (batch 1 and length-sorted 8 per message) and
// the query round trip through a worker. Usage: nice -n 19 node bench-use-workers.mjs [workers=2]
import { Worker } from 'node:worker_threads';
import { MEMORIES, QUERIES } from './lib/data.mjs';
const W = Number(process.argv[2] ?? 2);
const src = `
import { parentPort } from 'node:worker_threads';
const { loadUse } = await import(${JSON.stringify(new URL('./lib/use.mjs', import.meta.url).href)});
const m = await loadUse();
await m.embed(['warm up']);
parentPort.postMessage({ ready: true });
parentPort.on('message', async ({ id, texts }) => {
  const vecs = await m.embed(texts);
  parentPort.postMessage({ id, vecs }, vecs.map((v) => v.buffer));
});`;
const t0 = performance.now();
const workers = await Promise.all(Array.from({ length: W }, () => new Promise((res) => {
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(src)}`), { type: 'module' });
  w.once('message', () => res(w));
})));
console.log('workers', W, 'ready in ms', (performance.now() - t0).toFixed(0), 'rss MB', (process.memoryUsage().rss / 2 ** 20).toFixed(0));
let next = 0;
const pending = new Map();
for (const w of workers) w.on('message', ({ id, vecs }) => { pending.get(id)(vecs); pending.delete(id); });
const call = (w, texts) => new Promise((res) => { const id = next++; pending.set(id, res); w.postMessage({ id, texts }); });
const texts = MEMORIES.map((m) => m.content);
for (const per of [1, 8]) {
  const list = per > 1 ? [...texts].sort((a, b) => a.length - b.length) : texts;
  const chunks = []; for (let i = 0; i < list.length; i += per) chunks.push(list.slice(i, i + per));
  let c = 0;
  const s = performance.now();
  await Promise.all(workers.map(async (w) => { while (c < chunks.length) await call(w, chunks[c++]); }));
  console.log(`pool of ${W}, ${per} text(s)/message: ${(list.length / ((performance.now() - s) / 1000)).toFixed(1)} texts/s, rss MB ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)}`);
}
const lat = [];
for (const q of QUERIES) { const s = performance.now(); await call(workers[0], [q.query]); lat.push(performance.now() - s); }
lat.sort((a, b) => a - b);
console.log('query round trip via worker p50 ms', lat[lat.length >> 1].toFixed(1), 'p95', lat[Math.floor(lat.length * 0.95)].toFixed(1));
process.exit(0);
