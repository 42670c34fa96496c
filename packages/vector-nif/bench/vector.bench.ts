/**
 * vector-nif benchmark. For N ∈ {10k, 100k} and D ∈ {384, 768}, top-10, all in one run:
 * - the memory-bandwidth lower bound (a native stream read of the same bytes) and each method's ratio to it;
 * - native exact f32 (auto threads and 1 thread), native int8 + re-rank, native 1-bit + re-rank (with
 *   recall@10 against exact), the JS fallback's exact scan, and VectorIndex.search end to end.
 * Data: clustered unit vectors; queries are stored vectors plus noise. Prints a table, then `BENCH_JSON`.
 */
import { getKernels, VectorIndex } from '@mimo-mcp/vector-nif';
import { clusteredVectors, gaussian, recallAt, rng } from '../test/helpers/data.js';

const native = getKernels('native');
const js = getKernels('js');
const K = 10;
const QUERIES = 20;
const configs: Array<[number, number]> = [
  [10_000, 384],
  [10_000, 768],
  [100_000, 384],
  [100_000, 768],
];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Median wall time (ms) of `run(i)` over `repeats` calls, after `warmup` untimed calls. */
function time(repeats: number, run: (i: number) => unknown, warmup = 3): number {
  for (let i = 0; i < warmup; i++) run(i);
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    run(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

interface Row {
  rows: number;
  dims: number;
  boundMs: number;
  bound1ThreadMs: number;
  scanThreads: number;
  exactMs: number;
  exact1ThreadMs: number;
  int8Ms: number;
  binaryMs: number;
  jsMs: number;
  indexMs: number;
  indexExactMs: number;
  int8Recall10: number;
  binaryRecall10: number;
}

const info = native.raw.info();
const results: Row[] = [];
for (const [rows, dims] of configs) {
  const matrix = clusteredVectors(rows, dims, Math.max(50, rows / 200), rows + dims);
  const noise = gaussian(rng(dims));
  const queries = Array.from({ length: QUERIES }, (_, q) => {
    const base = ((q * 7919) % rows) * dims;
    const query = new Float32Array(dims);
    for (let d = 0; d < dims; d++) query[d] = (matrix[base + d] as number) + 0.02 * noise();
    native.normalize(query);
    return query;
  });
  const { codes, scales } = native.quantizeInt8(matrix, dims);
  const bits = native.quantizeBinary(matrix, dims);
  const options = { dims, k: K };

  // The bound uses the same parallelism as the scan it bounds: the automatic scan uses every core above
  // the threshold, a single thread below it.
  const scanThreads = rows * dims >= info.parallelThresholdFloats ? info.threads : 1;
  const boundMs = time(30, () => native.raw.readBandwidth(matrix, scanThreads));
  const bound1ThreadMs = time(30, () => native.raw.readBandwidth(matrix, 1));
  const exactMs = time(60, (i) => native.topK(queries[i % QUERIES] as Float32Array, matrix, options));
  const exact1ThreadMs = time(30, (i) =>
    native.topK(queries[i % QUERIES] as Float32Array, matrix, { ...options, threads: 1 }),
  );
  const int8Ms = time(60, (i) =>
    native.searchInt8(queries[i % QUERIES] as Float32Array, matrix, codes, scales, options),
  );
  const binaryMs = time(60, (i) =>
    native.searchBinary(queries[i % QUERIES] as Float32Array, matrix, bits, options),
  );
  const jsMs = time(
    rows > 50_000 ? 7 : 15,
    (i) => js.topK(queries[i % QUERIES] as Float32Array, matrix, options),
    1,
  );

  let int8Recall = 0;
  let binaryRecall = 0;
  for (const query of queries) {
    const truth = native.topK(query, matrix, options).indices;
    int8Recall += recallAt(native.searchInt8(query, matrix, codes, scales, options).indices, truth);
    binaryRecall += recallAt(native.searchBinary(query, matrix, bits, options).indices, truth);
  }

  const index = new VectorIndex({ dimensions: dims, kernels: native, initialCapacity: rows });
  index.setMany(
    Array.from({ length: rows }, (_, i) => `memory-${i}`),
    matrix,
  );
  const indexMs = time(60, (i) => index.search(queries[i % QUERIES] as Float32Array, { k: K }));
  const indexExactMs = time(30, (i) =>
    index.search(queries[i % QUERIES] as Float32Array, { k: K, mode: 'exact' }),
  );

  results.push({
    rows,
    dims,
    boundMs,
    bound1ThreadMs,
    scanThreads,
    exactMs,
    exact1ThreadMs,
    int8Ms,
    binaryMs,
    jsMs,
    indexMs,
    indexExactMs,
    int8Recall10: int8Recall / QUERIES,
    binaryRecall10: binaryRecall / QUERIES,
  });
}

const f = (ms: number) => ms.toFixed(3);
const x = (ratio: number) => `${ratio.toFixed(2)}×`;
console.log(
  `vector-nif benchmark: Node ${process.version}, native ${info.simd}, ${info.threads} threads, top-${K}, medians\n`,
);
console.log(
  '| N × D | threads | bound ms | exact ms (ratio) | 1-thread bound / exact ms (ratio) | int8 ms (speed-up, recall@10) | 1-bit ms (speed-up, recall@10) | JS exact ms (native speed-up) | VectorIndex auto / exact ms |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.rows / 1000}k × ${r.dims} | ${r.scanThreads} | ${f(r.boundMs)} | ${f(r.exactMs)} (${x(r.exactMs / r.boundMs)}) | ` +
      `${f(r.bound1ThreadMs)} / ${f(r.exact1ThreadMs)} (${x(r.exact1ThreadMs / r.bound1ThreadMs)}) | ` +
      `${f(r.int8Ms)} (${x(r.exactMs / r.int8Ms)}, ${r.int8Recall10.toFixed(3)}) | ${f(r.binaryMs)} (${x(r.exactMs / r.binaryMs)}, ${r.binaryRecall10.toFixed(3)}) | ` +
      `${f(r.jsMs)} (${x(r.jsMs / r.exactMs)}) | ${f(r.indexMs)} / ${f(r.indexExactMs)} |`,
  );
}

const main = results.find((r) => r.rows === 100_000 && r.dims === 384) as Row;
const targets = [
  ['exact f32 within 1.5× of the bound', main.exactMs / main.boundMs <= 1.5],
  ['native ≥ 4× the JS fallback', main.jsMs / main.exactMs >= 4],
  ['int8 ≥ 2.5× exact, recall@10 ≥ 0.99', main.exactMs / main.int8Ms >= 2.5 && main.int8Recall10 >= 0.99],
  ['1-bit ≥ 8× exact, recall@10 ≥ 0.95', main.exactMs / main.binaryMs >= 8 && main.binaryRecall10 >= 0.95],
] as const;
console.log('\nTargets at 100k × 384:');
for (const [name, met] of targets) console.log(`- ${met ? 'met' : 'MISSED'}: ${name}`);

const round = (value: number, digits = 4) => Number(value.toFixed(digits));
console.log(
  `BENCH_JSON ${JSON.stringify({
    boundMs: round(main.boundMs),
    exactMs: round(main.exactMs),
    exactRatioToBound: round(main.exactMs / main.boundMs, 3),
    scanThreads: main.scanThreads,
    bound1ThreadMs: round(main.bound1ThreadMs),
    exact1ThreadMs: round(main.exact1ThreadMs),
    exact1ThreadRatioToBound: round(main.exact1ThreadMs / main.bound1ThreadMs, 3),
    jsMs: round(main.jsMs),
    nativeVsJsSpeedup: round(main.jsMs / main.exactMs, 2),
    int8Ms: round(main.int8Ms),
    int8Speedup: round(main.exactMs / main.int8Ms, 2),
    int8Recall10: round(main.int8Recall10, 3),
    binaryMs: round(main.binaryMs),
    binarySpeedup: round(main.exactMs / main.binaryMs, 2),
    binaryRecall10: round(main.binaryRecall10, 3),
    vectorIndexSearchMs: round(main.indexMs),
    simd: info.simd,
    threads: info.threads,
    all: results.map((r) => ({
      n: r.rows,
      d: r.dims,
      boundMs: round(r.boundMs),
      exactMs: round(r.exactMs),
      exactRatioToBound: round(r.exactMs / r.boundMs, 3),
      threads: r.scanThreads,
      bound1ThreadMs: round(r.bound1ThreadMs),
      exact1ThreadMs: round(r.exact1ThreadMs),
      int8Ms: round(r.int8Ms),
      int8Recall10: round(r.int8Recall10, 3),
      binaryMs: round(r.binaryMs),
      binaryRecall10: round(r.binaryRecall10, 3),
      jsMs: round(r.jsMs),
      vectorIndexSearchMs: round(r.indexMs),
      vectorIndexExactMs: round(r.indexExactMs),
    })),
  })}`,
);
