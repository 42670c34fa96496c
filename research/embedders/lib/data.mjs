// Loads the labelled agent-memory set from the main repo (read-only) and scores rankings.
import { readFileSync } from 'node:fs';

export const SET_DIR = '/work/main/packages/memory-store/test/fixtures/agent-memory-set';
export const MEMORIES = JSON.parse(readFileSync(`${SET_DIR}/memories.json`, 'utf8'));
export const QUERIES = JSON.parse(readFileSync(`${SET_DIR}/queries.json`, 'utf8'));
export const CATEGORIES = ['paraphrase', 'keyword', 'identifier', 'typo', 'diacritics', 'multi', 'cjk'];

export function normalize(v) {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  n = Math.sqrt(n) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n;
  return out;
}

export function cosineScores(q, mems) {
  const s = new Float64Array(mems.length);
  for (let j = 0; j < mems.length; j++) {
    const m = mems[j];
    let d = 0, nq = 0, nm = 0;
    for (let i = 0; i < q.length; i++) { d += q[i] * m[i]; nq += q[i] * q[i]; nm += m[i] * m[i]; }
    s[j] = d / (Math.sqrt(nq * nm) || 1);
  }
  return s;
}

/** Ranks memories for each query by cosine; returns recall@5 / MRR@10 per split and category. */
export function evaluate(queryVecs, memoryVecs, { queries = QUERIES, memories = MEMORIES } = {}) {
  const ids = memories.map((m) => m.id);
  const acc = {};
  const add = (key, r5, rr) => {
    const e = (acc[key] ??= { n: 0, r5: 0, mrr: 0 });
    e.n++; e.r5 += r5; e.mrr += rr;
  };
  queries.forEach((q, qi) => {
    const s = cosineScores(queryVecs[qi], memoryVecs);
    const order = Array.from(s.keys()).sort((a, b) => s[b] - s[a]).slice(0, 10).map((j) => ids[j]);
    const r5 = q.relevant.filter((id) => order.slice(0, 5).includes(id)).length / q.relevant.length;
    const first = order.findIndex((id) => q.relevant.includes(id));
    const rr = first === -1 ? 0 : 1 / (first + 1);
    add(`${q.split}/all`, r5, rr);
    add(`${q.split}/${q.category}`, r5, rr);
    add(`both/all`, r5, rr);
  });
  const out = {};
  for (const [k, e] of Object.entries(acc)) out[k] = { n: e.n, r5: e.r5 / e.n, mrr: e.mrr / e.n };
  return out;
}

export function fmt(res, split = 'tune') {
  const f = (k) => (res[k] ? `${res[k].r5.toFixed(3)}/${res[k].mrr.toFixed(3)}` : '-');
  return [`${split}: all ${f(`${split}/all`)}`, ...CATEGORIES.map((c) => `${c} ${f(`${split}/${c}`)}`)].join(' | ');
}

export function saveVecs(path, vecs) {
  const dim = vecs[0].length;
  const buf = new Float32Array(vecs.length * dim);
  vecs.forEach((v, i) => buf.set(v, i * dim));
  const header = Buffer.from(JSON.stringify({ n: vecs.length, dim }) + '\n');
  const { writeFileSync } = awaitFs;
  writeFileSync(path, Buffer.concat([header, Buffer.from(buf.buffer)]));
}
import * as fsMod from 'node:fs';
const awaitFs = fsMod;
export function loadVecs(path) {
  const raw = fsMod.readFileSync(path);
  const nl = raw.indexOf(10);
  const { n, dim } = JSON.parse(raw.subarray(0, nl).toString());
  const body = raw.subarray(nl + 1);
  const f = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + n * dim * 4));
  return Array.from({ length: n }, (_, i) => f.subarray(i * dim, (i + 1) * dim));
}
