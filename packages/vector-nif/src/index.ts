import type { BackendInfo } from './backend.js';
import type { Metric, QuantizedSearchOptions, SearchHits, TopKOptions } from './kernels.js';
import { selectedBackend } from './selected.js';

export type { BackendInfo } from './backend.js';
export { VectorError, type VectorErrorCode } from './errors.js';
export {
  Kernels,
  type Metric,
  type QuantizedSearchOptions,
  type SearchHits,
  type TopKOptions,
} from './kernels.js';
export { getKernels } from './selected.js';
export {
  AUTO_EXACT_MAX_FLOATS,
  type SearchMode,
  type VectorHit,
  VectorIndex,
  type VectorIndexOptions,
  type VectorIndexStats,
  type VectorSearchOptions,
} from './vector-index.js';

/**
 * The backend in use and why: `backend.name` is `"native"` or `"js"`, `backend.reason` says why (forced by
 * `MIMO_VECTOR_BACKEND`, addon loaded, or why it could not load), `backend.simd` the SIMD level. Printing
 * it shows all three. Resolved when the module is first imported; with `MIMO_VECTOR_BACKEND=native` and no
 * loadable addon, that import throws `NATIVE_UNAVAILABLE` naming why.
 */
export const backend: BackendInfo = selectedBackend().info;

const kernels = selectedBackend().kernels;

/** Dot product of two equal-length vectors. @throws DIMENSION_MISMATCH, EMPTY_VECTOR, NON_FINITE */
export function dot(a: Float32Array, b: Float32Array): number {
  return kernels.dot(a, b);
}

/** Cosine similarity in [-1, 1]; 0 when either vector is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  return kernels.cosine(a, b);
}

/** Squared Euclidean distance. */
export function squaredL2(a: Float32Array, b: Float32Array): number {
  return kernels.squaredL2(a, b);
}

/** Scales `vector` to unit length in place; returns its original norm. */
export function normalize(vector: Float32Array): number {
  return kernels.normalize(vector);
}

/** Scales each `dims`-long row of `matrix` to unit length in place, in one call. */
export function normalizeRows(matrix: Float32Array, dims: number): void {
  kernels.normalizeRows(matrix, dims);
}

/** Scores of `query` against every row of the row-major `matrix`. */
export function scores(
  query: Float32Array,
  matrix: Float32Array,
  options: { dims: number; metric?: Metric },
): Float64Array {
  return kernels.scores(query, matrix, options);
}

/** Exact top-k by partial selection, optionally restricted by `allow` / `mask` and `minScore`. */
export function topK(query: Float32Array, matrix: Float32Array, options: TopKOptions): SearchHits {
  return kernels.topK(query, matrix, options);
}

/** {@link topK} off the event loop. */
export function topKAsync(
  query: Float32Array,
  matrix: Float32Array,
  options: TopKOptions,
): Promise<SearchHits> {
  return kernels.topKAsync(query, matrix, options);
}

/** Symmetric per-vector int8 quantisation. */
export function quantizeInt8(
  vectors: Float32Array,
  dims: number,
): { codes: Int8Array; scales: Float32Array } {
  return kernels.quantizeInt8(vectors, dims);
}

/** 1-bit sign quantisation. */
export function quantizeBinary(vectors: Float32Array, dims: number): Uint8Array {
  return kernels.quantizeBinary(vectors, dims);
}

/** int8 candidate scan plus exact re-rank. */
export function searchInt8(
  query: Float32Array,
  matrix: Float32Array,
  codes: Int8Array,
  scales: Float32Array,
  options: QuantizedSearchOptions,
): SearchHits {
  return kernels.searchInt8(query, matrix, codes, scales, options);
}

/** 1-bit candidate scan plus exact re-rank. */
export function searchBinary(
  query: Float32Array,
  matrix: Float32Array,
  bits: Uint8Array,
  options: QuantizedSearchOptions,
): SearchHits {
  return kernels.searchBinary(query, matrix, bits, options);
}
