/**
 * The positional, unvalidated interface both backends implement identically: the native addon (Rust) and
 * the JS fallback. Public functions validate their arguments first, then call one of these.
 */

/** Hits of a search, best first: row indices and their scores (or squared distances for L2). */
export interface RawHits {
  indices: Uint32Array;
  scores: Float64Array;
}

/** 0 = dot product, 1 = cosine similarity, 2 = squared Euclidean distance. */
export type MetricCode = 0 | 1 | 2;

export interface RawBackend {
  dot(a: Float32Array, b: Float32Array): number;
  cosine(a: Float32Array, b: Float32Array): number;
  squaredL2(a: Float32Array, b: Float32Array): number;
  normalize(vector: Float32Array): number;
  /** `normalize` applied to each `dims`-long row of `matrix`, in place. */
  normalizeRows(matrix: Float32Array, dims: number): void;
  scores(query: Float32Array, matrix: Float32Array, dims: number, metric: MetricCode): Float64Array;
  topK(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    metric: MetricCode,
  ): RawHits;
  topKAsync(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    metric: MetricCode,
  ): Promise<RawHits>;
  quantizeInt8(vectors: Float32Array, dims: number, codes: Int8Array, scales: Float32Array): void;
  quantizeBinary(vectors: Float32Array, dims: number, bits: Uint8Array): void;
  searchInt8(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    codes: Int8Array,
    scales: Float32Array,
    pool: number,
  ): RawHits;
  searchInt8Async(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    codes: Int8Array,
    scales: Float32Array,
    pool: number,
  ): Promise<RawHits>;
  searchBinary(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    bits: Uint8Array,
    pool: number,
  ): RawHits;
  searchBinaryAsync(
    query: Float32Array,
    matrix: Float32Array,
    dims: number,
    k: number,
    allow: Uint32Array | null,
    mask: Uint8Array | null,
    minScore: number | null,
    threads: number | null,
    bits: Uint8Array,
    pool: number,
  ): Promise<RawHits>;
  /** Reads every element once (on `threads` threads, native only) and returns a checksum. */
  readBandwidth(data: Float32Array, threads?: number): number;
  info(): { simd: string; version: string; threads: number; parallelThresholdFloats: number };
}
