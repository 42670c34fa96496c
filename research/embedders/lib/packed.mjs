// Compact file for the static tier: [u32 headerLen][header JSON][f32 weights n][f32 scales n][i8 rows n*dim]
// header: { dim, n, keys: string[], kinds: string (w|p per entry) }. Rows are already centred/projected.
import { readFileSync, writeFileSync } from 'node:fs';
import { fold } from './static.mjs';
import { loadUseTokenizer } from './usetok.mjs';
const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;

export function writePacked(path, tt, weights) {
  const { entries, dim, q8, scales } = tt;
  const header = Buffer.from(JSON.stringify({ dim, n: entries.length, keys: entries.map((e) => e.key), kinds: entries.map((e) => (e.kind === 'word' ? 'w' : 'p')).join('') }));
  const len = Buffer.alloc(4); len.writeUInt32LE(header.length);
  const pad = Buffer.alloc((4 - ((4 + header.length) % 4)) % 4, 32);
  const hl = Buffer.alloc(4); hl.writeUInt32LE(header.length + pad.length);
  writeFileSync(path, Buffer.concat([hl, header, pad, Buffer.from(Float32Array.from(weights).buffer), Buffer.from(scales.buffer), Buffer.from(q8.buffer)]));
}

export function loadPacked(path) {
  const raw = readFileSync(path);
  const hlen = raw.readUInt32LE(0);
  const h = JSON.parse(raw.subarray(4, 4 + hlen).toString());
  let o = 4 + hlen;
  const ab = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const weights = new Float32Array(ab, o, h.n); o += h.n * 4;
  const scales = new Float32Array(ab, o, h.n); o += h.n * 4;
  const q8 = new Int8Array(ab, o, h.n * h.dim);
  const words = new Map(), pieces = new Map();
  h.keys.forEach((k, i) => (h.kinds[i] === 'w' ? words : pieces).set(k, i));
  const tokenizer = loadUseTokenizer();
  const dim = h.dim;
  const add = (acc, i, w) => { const s = scales[i] * w, b = i * dim; for (let d = 0; d < dim; d++) acc[d] += s * q8[b + d]; };
  const embedOne = (text) => {
    const acc = new Float32Array(dim);
    for (const tok of fold(text).match(WORD) ?? []) {
      const i = words.get(tok);
      if (i !== undefined) { add(acc, i, weights[i]); continue; }
      const ids = tokenizer.encode(tok).map((id) => pieces.get(tokenizer.vocabulary[id][0])).filter((x) => x !== undefined);
      for (const p of ids) add(acc, p, weights[p] / ids.length);
    }
    let n = 0; for (let d = 0; d < dim; d++) n += acc[d] * acc[d];
    n = Math.sqrt(n) || 1; for (let d = 0; d < dim; d++) acc[d] /= n;
    return acc;
  };
  return { id: `static-${dim}`, dimensions: dim, embedOne, async embed(texts) { return texts.map(embedOne); } };
}
