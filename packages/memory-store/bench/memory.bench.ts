/**
 * memory-store benchmark, all in one run:
 * - batch insert of 100,000 memories with precomputed 384-d vectors, two batches in flight and one at a time
 *   (and a plain better-sqlite3 insert of the same rows, for scale);
 * - hybrid search p50/p99 at 10,000 and 100,000 memories, vector-only p50 at 100,000;
 * - sqlite-vec brute-force KNN over the same 100,000 vectors;
 * - time to open the 100,000-memory file (schema check + loading the vector index);
 * - retrieval quality (recall@5, MRR) of keyword, vector and hybrid search on the labelled set.
 * Queries carry precomputed vectors (a lookup embedder), so search cost excludes embedding cost.
 * Prints a table, then `BENCH_JSON {...}` as the last line.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoVocabulary, zipfPicker } from '@mimo-mcp/internal-testing/text';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { type Embedder, openMemoryStore } from '../src/index.js';
import { evaluate, loadQualitySet } from '../test/helpers/quality.js';

const DIMS = 384;
const N = 100_000;
const SMALL = 10_000;

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(7);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

// A 6,000-word pseudo-vocabulary drawn with a Zipf distribution, like natural text.
const zipfWord = zipfPicker(pseudoVocabulary({ size: 6000, offset: 17, suffixes: 'nrstl' }), random);

const clusters = 500;
const centers = Array.from({ length: clusters }, () => Float32Array.from({ length: DIMS }, gaussian));
function unit(vector: Float32Array): Float32Array<ArrayBuffer> {
  let norm = 0;
  for (const x of vector) norm += x * x;
  const inverse = 1 / Math.sqrt(norm);
  return Float32Array.from(vector, (x) => x * inverse);
}
const texts: string[] = [];
const vectors: Array<Float32Array<ArrayBuffer>> = [];
for (let i = 0; i < N; i++) {
  texts.push(`${Array.from({ length: 12 + (i % 19) }, zipfWord).join(' ')} item${i}`);
  const center = centers[i % clusters] as Float32Array;
  vectors.push(unit(center.map((c) => c + 0.4 * gaussian())));
}

/** Query i targets memory `target`: three of its words, and its vector plus a little noise. */
function makeQueries(
  count: number,
  population: number,
): Array<{ text: string; vector: Float32Array<ArrayBuffer> }> {
  return Array.from({ length: count }, (_, i) => {
    const target = Math.floor(random() * population);
    const words = (texts[target] as string).split(' ');
    const picked = [0, 1, 2].map(() => words[Math.floor(random() * (words.length - 1))]);
    return {
      text: `q${i} ${picked.join(' ')}`,
      vector: unit((vectors[target] as Float32Array).map((x) => x + 0.05 * gaussian())),
    };
  });
}

/** An embedder that returns precomputed vectors for known texts. */
function lookupEmbedder(table: Map<string, Float32Array>): Embedder {
  return {
    id: 'bench-precomputed-384',
    dimensions: DIMS,
    persistentCache: false,
    async embed(input) {
      return input.map((text) => {
        const vector = table.get(text);
        if (!vector) throw new Error(`no precomputed vector for ${text}`);
        return vector;
      });
    },
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

const dir = mkdtempSync(join(tmpdir(), 'mimo-bench-'));

/**
 * Loads `count` memories in `createMany` batches of 5,000. `inFlight` 2 keeps a second batch going while
 * the first is written (createMany resolves after its commit; calls are written in order), the way a bulk
 * loader would; 1 waits for each batch before preparing the next.
 */
async function build(path: string, count: number, queryTable: Map<string, Float32Array>, inFlight = 2) {
  const store = await openMemoryStore({
    path,
    embedder: lookupEmbedder(queryTable),
    limits: { maxBatchSize: 10_000 },
  });
  const started = performance.now();
  const pending: Array<Promise<unknown>> = [];
  for (let start = 0; start < count; start += 5000) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 5000); i++)
      batch.push({ content: texts[i] as string, vector: vectors[i] as Float32Array<ArrayBuffer> });
    pending.push(store.createMany(batch, { nearDuplicates: 'skip' }));
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
  return { store, seconds: (performance.now() - started) / 1000 };
}

async function searchTimes(
  store: Awaited<ReturnType<typeof openMemoryStore>>,
  queries: ReturnType<typeof makeQueries>,
  mode: 'hybrid' | 'vector',
) {
  for (const query of queries.slice(0, 20)) await store.search({ query: query.text, mode });
  const times: number[] = [];
  for (const query of queries) {
    const start = performance.now();
    await store.search({ query: query.text, mode, maxResults: 10 });
    times.push(performance.now() - start);
  }
  return times;
}

/** A plain better-sqlite3 insert of the same rows (same columns, one transaction per 5,000 rows): rows/s. */
function plainInsert(path: string): number {
  const plain = new Database(path);
  plain.pragma('journal_mode = WAL');
  plain.pragma('synchronous = FULL');
  plain.exec(
    'CREATE TABLE memories (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL, content TEXT NOT NULL, embedding BLOB, created_at INTEGER NOT NULL)',
  );
  const insert = plain.prepare(
    'INSERT INTO memories (id, namespace, content, embedding, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const started = performance.now();
  const batch = plain.transaction((start: number, end: number) => {
    for (let i = start; i < end; i++) {
      const v = vectors[i] as Float32Array;
      insert.run(`m${i}`, 'default', texts[i], Buffer.from(v.buffer, v.byteOffset, v.byteLength), Date.now());
    }
  });
  for (let start = 0; start < N; start += 5000) batch.immediate(start, start + 5000);
  const perSecond = N / ((performance.now() - started) / 1000);
  plain.close();
  return perSecond;
}

const queries100k = makeQueries(300, N);
const queries10k = makeQueries(300, SMALL);
const table = new Map([...queries100k, ...queries10k].map((q) => [q.text, q.vector]));

// 1. Insert throughput, 100k memories: three rounds of (plain insert, Mimo with two batches in flight, Mimo
// one batch at a time), each on new files; medians are reported, `insertPerSecond` being one batch at a
// time. The first round's Mimo file is kept for the searches below.
const rates = { plain: [] as number[], inFlight: [] as number[], oneAtATime: [] as number[] };
const bigPath = join(dir, 'big.db');
let big: Awaited<ReturnType<typeof build>> | undefined;
for (let round = 0; round < 3; round++) {
  const plainPath = join(dir, `plain-${round}.db`);
  rates.plain.push(plainInsert(plainPath));
  rmSync(plainPath, { force: true });
  const path = round === 0 ? bigPath : join(dir, `load-${round}.db`);
  const loaded = await build(path, N, table, 2);
  rates.inFlight.push(N / loaded.seconds);
  if (round === 0) big = loaded;
  else await loaded.store.close();
  const sequentialPath = join(dir, `sequential-${round}.db`);
  const sequential = await build(sequentialPath, N, table, 1);
  rates.oneAtATime.push(N / sequential.seconds);
  await sequential.store.close();
  for (const file of [path, sequentialPath])
    if (file !== bigPath) for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}
if (!big) throw new Error('no store was loaded');
const insertPerSecond = percentile(rates.oneAtATime, 50);
const insertTwoInFlightPerSecond = percentile(rates.inFlight, 50);
const plainPerSecond = percentile(rates.plain, 50);

// 2. Hybrid and vector search at 100k; open time.
const hybrid100k = await searchTimes(big.store, queries100k, 'hybrid');
// One memory at a time, as an agent writes, with the near-duplicate check on (100k memories in the namespace).
const singleCreate: number[] = [];
for (let i = 0; i < 200; i++) {
  const vector = unit(Float32Array.from({ length: DIMS }, gaussian));
  table.set(`single ${i}`, vector);
  const start = performance.now();
  await big.store.create({ content: `single ${i} ${zipfWord()} ${zipfWord()}`, vector });
  singleCreate.push(performance.now() - start);
}
const vector100k = await searchTimes(big.store, queries100k, 'vector');
const rssAfter100k = process.memoryUsage().rss;
await big.store.close();
const openStart = performance.now();
const reopened = await openMemoryStore({ path: bigPath, embedder: lookupEmbedder(table) });
const openMs100k = performance.now() - openStart;
const reopenedIndexed = (await reopened.stats()).indexedVectors;
await reopened.close();
const fileBytes = statSync(bigPath).size;

// 3. Hybrid at 10k (its own file, so the FTS index holds 10k documents).
const small = await build(join(dir, 'small.db'), SMALL, table);
const hybrid10k = await searchTimes(small.store, queries10k, 'hybrid');
await small.store.close();

// 4. sqlite-vec brute-force KNN over the same 100k vectors.
const vecDb = new Database(join(dir, 'vec.db'));
sqliteVec.load(vecDb);
vecDb.exec(`CREATE VIRTUAL TABLE v USING vec0(embedding float[${DIMS}])`);
const vecInsert = vecDb.prepare('INSERT INTO v (rowid, embedding) VALUES (?, ?)');
vecDb.transaction(() => {
  for (let i = 0; i < N; i++) vecInsert.run(BigInt(i + 1), vectors[i] as Float32Array);
})();
const knn = vecDb.prepare(
  'SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = 10 ORDER BY distance',
);
for (const query of queries100k.slice(0, 3)) knn.all(query.vector);
const knnTimes = queries100k.slice(0, 30).map((query) => {
  const start = performance.now();
  knn.all(query.vector);
  return performance.now() - start;
});
vecDb.close();

// 5. Retrieval quality on the labelled set, with the default local embedder.
const qualityStore = await openMemoryStore({ path: ':memory:' });
const ids = await loadQualitySet(qualityStore);
const keyword = await evaluate(qualityStore, ids, 'keyword');
const vector = await evaluate(qualityStore, ids, 'vector');
const hybrid = await evaluate(qualityStore, ids, 'hybrid');
await qualityStore.close();
rmSync(dir, { recursive: true, force: true });

const r = (value: number, digits = 3) => Number(value.toFixed(digits));
const figures = {
  insertPerSecond: Math.round(insertPerSecond),
  insertTwoInFlightPerSecond: Math.round(insertTwoInFlightPerSecond),
  singleCreateP50Ms100k: r(percentile(singleCreate, 50)),
  plainInsertPerSecond: Math.round(plainPerSecond),
  insertRounds: {
    oneAtATime: rates.oneAtATime.map(Math.round),
    twoInFlight: rates.inFlight.map(Math.round),
    plain: rates.plain.map(Math.round),
  },
  hybridP50Ms10k: r(percentile(hybrid10k, 50)),
  hybridP99Ms10k: r(percentile(hybrid10k, 99)),
  hybridP50Ms100k: r(percentile(hybrid100k, 50)),
  hybridP99Ms100k: r(percentile(hybrid100k, 99)),
  vectorP50Ms100k: r(percentile(vector100k, 50)),
  vectorP99Ms100k: r(percentile(vector100k, 99)),
  sqliteVecKnnMs100k: r(percentile(knnTimes, 50)),
  openMs100k: r(openMs100k, 1),
  openIndexedVectors: reopenedIndexed,
  fileBytes100k: fileBytes,
  rssBytesAfter100k: rssAfter100k,
  keywordRecall5: r(keyword.recall5),
  vectorRecall5: r(vector.recall5),
  hybridRecall5: r(hybrid.recall5),
  keywordMrr: r(keyword.mrr),
  vectorMrr: r(vector.mrr),
  hybridMrr: r(hybrid.mrr),
};

console.log(`memory-store benchmark (Node ${process.version}, 384-d precomputed vectors)\n`);
console.log('| measure | result | target |\n|---|---|---|');
console.log(
  `| batch insert, 100k memories (createMany × 5,000, one batch at a time; near-duplicate check skipped), median of 3 | ${figures.insertPerSecond.toLocaleString('en')}/s (two batches in flight: ${figures.insertTwoInFlightPerSecond.toLocaleString('en')}/s; plain better-sqlite3 insert of the same rows: ${figures.plainInsertPerSecond.toLocaleString('en')}/s) | ≥ 50,000/s |`,
);
console.log(
  `| one create with near-duplicate check, at 100k, p50 | ${figures.singleCreateP50Ms100k} ms | – |`,
);
console.log(
  `| hybrid search at 10k, p50 / p99 | ${figures.hybridP50Ms10k} / ${figures.hybridP99Ms10k} ms | p50 ≤ 2 ms |`,
);
console.log(
  `| hybrid search at 100k, p50 / p99 | ${figures.hybridP50Ms100k} / ${figures.hybridP99Ms100k} ms | p50 ≤ 10 ms |`,
);
console.log(
  `| vector search at 100k, p50 / p99 | ${figures.vectorP50Ms100k} / ${figures.vectorP99Ms100k} ms | faster than sqlite-vec |`,
);
console.log(`| sqlite-vec brute-force KNN at 100k, p50 | ${figures.sqliteVecKnnMs100k} ms | (reference) |`);
console.log(
  `| open a 100k-memory file (index load) | ${figures.openMs100k} ms (${figures.openIndexedVectors} vectors, file ${(fileBytes / 1e6).toFixed(0)} MB) | – |`,
);
console.log(
  `| quality recall@5 keyword / vector / hybrid | ${figures.keywordRecall5} / ${figures.vectorRecall5} / ${figures.hybridRecall5} | hybrid beats both |`,
);
console.log(
  `| quality MRR keyword / vector / hybrid | ${figures.keywordMrr} / ${figures.vectorMrr} / ${figures.hybridMrr} | hybrid beats both |`,
);
console.log(`BENCH_JSON ${JSON.stringify(figures)}`);
