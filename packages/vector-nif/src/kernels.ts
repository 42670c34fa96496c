import { types } from 'node:util';
import { VectorError } from './errors.js';
import type { MetricCode, RawBackend, RawHits } from './raw-backend.js';

/** How vectors are compared. `l2` ranks by ascending squared Euclidean distance. */
export type Metric = 'dot' | 'cosine' | 'l2';

/** Search hits, best first. For `l2`, `scores` holds squared distances (ascending). */
export interface SearchHits {
  indices: Uint32Array;
  scores: Float64Array;
}

export interface TopKOptions {
  /** Elements per vector (the matrix is row-major, rows × dims). */
  dims: number;
  /** Number of hits wanted (1 … 1,000,000); fewer come back if fewer rows qualify. @default 10 */
  k?: number;
  /** @default 'dot' */
  metric?: Metric;
  /** Only these row indices take part (each < rows). */
  allow?: Uint32Array;
  /** Only rows whose bit is set take part (bit i of byte i>>3, LSB first; ⌈rows/8⌉ bytes at least). */
  mask?: Uint8Array;
  /** Drop hits scoring below this (dot, cosine). */
  minScore?: number;
  /** Drop hits farther than this squared distance (l2). */
  maxDistance?: number;
  /** Threads for the native scan: 0 = automatic (by input size), 1 = single. The JS backend ignores it. @default 0 */
  threads?: number;
}

export interface QuantizedSearchOptions extends Omit<TopKOptions, 'metric' | 'maxDistance'> {
  /**
   * Candidates kept by the quantised scan and re-ranked exactly. Larger: better recall, slower.
   * @default max(4·k, 40) for int8, max(20·k, 200) for 1-bit
   */
  pool?: number;
}

const METRICS: Record<Metric, MetricCode> = { dot: 0, cosine: 1, l2: 2 };
const MAX_DIMS = 65_536;
const MAX_K = 1_000_000;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (Array.isArray(value)) return 'Array';
  return typeof value;
}

function requireFloat32(value: unknown, name: string): Float32Array {
  if (!types.isFloat32Array(value)) {
    throw new VectorError('INVALID_ARGUMENT', `${name} must be a Float32Array, got ${typeName(value)}`);
  }
  return value;
}

function requireNonEmpty(vector: Float32Array, name: string): void {
  if (vector.length === 0) throw new VectorError('EMPTY_VECTOR', `${name} must not be empty`);
}

/** Throws `NON_FINITE` naming the first NaN or infinite element. */
export function assertFinite(vector: Float32Array, name: string): void {
  for (let i = 0; i < vector.length; i++) {
    const value = vector[i] as number;
    if (value - value !== 0) {
      throw new VectorError('NON_FINITE', `${name}[${i}] is ${value}, but every value must be finite`);
    }
  }
}

function requireInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new VectorError(
      'INVALID_ARGUMENT',
      `${name} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

function pairOf(a: unknown, b: unknown): [Float32Array, Float32Array] {
  const x = requireFloat32(a, 'a');
  const y = requireFloat32(b, 'b');
  requireNonEmpty(x, 'a');
  requireNonEmpty(y, 'b');
  if (x.length !== y.length) {
    throw new VectorError('DIMENSION_MISMATCH', `a has ${x.length} dimensions but b has ${y.length}`);
  }
  assertFinite(x, 'a');
  assertFinite(y, 'b');
  return [x, y];
}

interface CheckedScan {
  query: Float32Array;
  matrix: Float32Array;
  dims: number;
  rows: number;
  k: number;
  allow: Uint32Array | null;
  mask: Uint8Array | null;
  threads: number;
}

function checkScan(
  query: unknown,
  matrix: unknown,
  options: Omit<TopKOptions, 'metric'> | undefined,
): CheckedScan {
  if (typeof options !== 'object' || options === null) {
    throw new VectorError('INVALID_ARGUMENT', 'options with at least { dims } are required');
  }
  const q = requireFloat32(query, 'query');
  const m = requireFloat32(matrix, 'matrix');
  const dims = requireInteger(options.dims, 'dims', 1, MAX_DIMS);
  const k = requireInteger(options.k ?? 10, 'k', 1, MAX_K);
  const threads = requireInteger(options.threads ?? 0, 'threads', 0, 64);
  requireNonEmpty(q, 'query');
  if (q.length !== dims) {
    throw new VectorError('DIMENSION_MISMATCH', `the query has ${q.length} dimensions, expected ${dims}`);
  }
  if (m.length % dims !== 0) {
    throw new VectorError(
      'DIMENSION_MISMATCH',
      `the matrix length ${m.length} is not a multiple of dims ${dims}`,
    );
  }
  assertFinite(q, 'query');
  const rows = m.length / dims;
  let allow: Uint32Array | null = null;
  let mask: Uint8Array | null = null;
  if (options.allow !== undefined) {
    if (!types.isUint32Array(options.allow)) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `allow must be a Uint32Array, got ${typeName(options.allow)}`,
      );
    }
    for (const row of options.allow) {
      if (row >= rows)
        throw new VectorError(
          'INVALID_ARGUMENT',
          `allow contains row ${row}, but there are only ${rows} rows`,
        );
    }
    allow = options.allow;
  }
  if (options.mask !== undefined) {
    if (!types.isUint8Array(options.mask)) {
      throw new VectorError('INVALID_ARGUMENT', `mask must be a Uint8Array, got ${typeName(options.mask)}`);
    }
    if (options.mask.length < Math.ceil(rows / 8)) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `mask has ${options.mask.length} bytes, ${Math.ceil(rows / 8)} are needed for ${rows} rows`,
      );
    }
    mask = options.mask;
  }
  return { query: q, matrix: m, dims, rows, k, allow, mask, threads };
}

function checkNumber(value: number | undefined, name: string): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new VectorError('INVALID_ARGUMENT', `${name} must be a number, got ${String(value)}`);
  }
  return value;
}

function wrapNative<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toVectorError(error);
  }
}

function toVectorError(error: unknown): VectorError {
  if (VectorError.isInstance(error)) return error;
  const code = (error as { code?: unknown })?.code;
  const known = ['DIMENSION_MISMATCH', 'EMPTY_VECTOR', 'NON_FINITE', 'INVALID_ARGUMENT', 'INTERNAL'];
  return new VectorError(
    typeof code === 'string' && known.includes(code) ? (code as VectorError['code']) : 'INTERNAL',
    (error as Error)?.message ?? String(error),
    { cause: error },
  );
}

/**
 * The vector kernels over one backend, with argument validation shared by both backends (so they throw the
 * same `VectorError` for the same bad input). Get one with `getKernels('native' | 'js')`, or use the
 * module-level functions, which use the selected default backend.
 */
export class Kernels {
  readonly name: 'native' | 'js';
  readonly raw: RawBackend;

  constructor(name: 'native' | 'js', raw: RawBackend) {
    this.name = name;
    this.raw = raw;
  }

  /** Dot product. @throws DIMENSION_MISMATCH, EMPTY_VECTOR, NON_FINITE, INVALID_ARGUMENT */
  dot(a: Float32Array, b: Float32Array): number {
    const [x, y] = pairOf(a, b);
    return wrapNative(() => this.raw.dot(x, y));
  }

  /** Cosine similarity in [-1, 1]; 0 if either vector is all zeros. */
  cosine(a: Float32Array, b: Float32Array): number {
    const [x, y] = pairOf(a, b);
    return wrapNative(() => this.raw.cosine(x, y));
  }

  /** Squared Euclidean distance. */
  squaredL2(a: Float32Array, b: Float32Array): number {
    const [x, y] = pairOf(a, b);
    return wrapNative(() => this.raw.squaredL2(x, y));
  }

  /** Scales `vector` to unit length in place and returns its original norm (a zero vector stays zero). */
  normalize(vector: Float32Array): number {
    const v = requireFloat32(vector, 'vector');
    requireNonEmpty(v, 'vector');
    assertFinite(v, 'vector');
    return wrapNative(() => this.raw.normalize(v));
  }

  /** {@link normalize} applied to each `dims`-long row of `matrix`, in place, in one native call. */
  normalizeRows(matrix: Float32Array, dims: number): void {
    const v = this.#vectors(matrix, dims);
    wrapNative(() => this.raw.normalizeRows(v, dims));
  }

  /** The score (or squared distance for l2) of the query against every row, in row order. */
  scores(
    query: Float32Array,
    matrix: Float32Array,
    options: { dims: number; metric?: Metric },
  ): Float64Array {
    const scan = checkScan(query, matrix, { dims: options?.dims, k: 1 });
    const metric = this.#metric(options.metric);
    return wrapNative(() => this.raw.scores(scan.query, scan.matrix, scan.dims, metric));
  }

  /** Exact top-k of `query` against the rows of `matrix`, by partial selection (no full sort). */
  topK(query: Float32Array, matrix: Float32Array, options: TopKOptions): SearchHits {
    const { scan, metric, minScore } = this.#topKArgs(query, matrix, options);
    return wrapNative(() =>
      this.raw.topK(
        scan.query,
        scan.matrix,
        scan.dims,
        scan.k,
        scan.allow,
        scan.mask,
        minScore,
        scan.threads,
        metric,
      ),
    );
  }

  /**
   * {@link topK} off the event loop: the native backend runs on the libuv thread pool; the JS backend scans in
   * slices and yields between them. Do not write to the arrays until the promise settles.
   */
  async topKAsync(query: Float32Array, matrix: Float32Array, options: TopKOptions): Promise<SearchHits> {
    const { scan, metric, minScore } = this.#topKArgs(query, matrix, options);
    try {
      return await this.raw.topKAsync(
        scan.query,
        scan.matrix,
        scan.dims,
        scan.k,
        scan.allow,
        scan.mask,
        minScore,
        scan.threads,
        metric,
      );
    } catch (error) {
      throw toVectorError(error);
    }
  }

  /**
   * Symmetric int8 quantisation, one scale per vector: `scale = max|v| / 127`, `code = round(v / scale)`.
   * `scales[i] · scales[j] · (codes_i · codes_j)` estimates `v_i · v_j`.
   */
  quantizeInt8(vectors: Float32Array, dims: number): { codes: Int8Array; scales: Float32Array } {
    const v = this.#vectors(vectors, dims);
    const codes = new Int8Array(v.length);
    const scales = new Float32Array(v.length / dims);
    wrapNative(() => this.raw.quantizeInt8(v, dims, codes, scales));
    return { codes, scales };
  }

  /** 1-bit sign quantisation: ⌈dims/8⌉ bytes per vector, bit set where the value is > 0. */
  quantizeBinary(vectors: Float32Array, dims: number): Uint8Array {
    const v = this.#vectors(vectors, dims);
    const bits = new Uint8Array((v.length / dims) * Math.ceil(dims / 8));
    wrapNative(() => this.raw.quantizeBinary(v, dims, bits));
    return bits;
  }

  /** int8 scan for a candidate pool, then exact re-rank by dot product (use unit vectors for cosine). */
  searchInt8(
    query: Float32Array,
    matrix: Float32Array,
    codes: Int8Array,
    scales: Float32Array,
    options: QuantizedSearchOptions,
  ): SearchHits {
    const args = this.#int8Args(query, matrix, codes, scales, options);
    return wrapNative(() => this.raw.searchInt8(...args));
  }

  /** {@link searchInt8} off the event loop. */
  async searchInt8Async(
    query: Float32Array,
    matrix: Float32Array,
    codes: Int8Array,
    scales: Float32Array,
    options: QuantizedSearchOptions,
  ): Promise<SearchHits> {
    const args = this.#int8Args(query, matrix, codes, scales, options);
    try {
      return await this.raw.searchInt8Async(...args);
    } catch (error) {
      throw toVectorError(error);
    }
  }

  /** 1-bit (Hamming) scan for a candidate pool, then exact re-rank by dot product. */
  searchBinary(
    query: Float32Array,
    matrix: Float32Array,
    bits: Uint8Array,
    options: QuantizedSearchOptions,
  ): SearchHits {
    const args = this.#binaryArgs(query, matrix, bits, options);
    return wrapNative(() => this.raw.searchBinary(...args));
  }

  /** {@link searchBinary} off the event loop. */
  async searchBinaryAsync(
    query: Float32Array,
    matrix: Float32Array,
    bits: Uint8Array,
    options: QuantizedSearchOptions,
  ): Promise<SearchHits> {
    const args = this.#binaryArgs(query, matrix, bits, options);
    try {
      return await this.raw.searchBinaryAsync(...args);
    } catch (error) {
      throw toVectorError(error);
    }
  }

  #metric(metric: Metric | undefined): MetricCode {
    const code = METRICS[metric ?? 'dot'];
    if (code === undefined) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `metric must be "dot", "cosine" or "l2", got ${String(metric)}`,
      );
    }
    return code;
  }

  #topKArgs(query: Float32Array, matrix: Float32Array, options: TopKOptions) {
    const scan = checkScan(query, matrix, options);
    const metric = this.#metric(options.metric);
    const minScore = checkNumber(options.minScore, 'minScore');
    const maxDistance = checkNumber(options.maxDistance, 'maxDistance');
    if (metric === 2 && minScore !== null) {
      throw new VectorError('INVALID_ARGUMENT', 'minScore does not apply to metric "l2"; use maxDistance');
    }
    if (metric !== 2 && maxDistance !== null) {
      throw new VectorError('INVALID_ARGUMENT', 'maxDistance only applies to metric "l2"; use minScore');
    }
    // For l2 the backends rank by -distance, so the threshold is -maxDistance.
    return { scan, metric, minScore: metric === 2 ? (maxDistance === null ? null : -maxDistance) : minScore };
  }

  #vectors(vectors: Float32Array, dims: number): Float32Array {
    const v = requireFloat32(vectors, 'vectors');
    requireInteger(dims, 'dims', 1, MAX_DIMS);
    if (v.length % dims !== 0) {
      throw new VectorError(
        'DIMENSION_MISMATCH',
        `vectors length ${v.length} is not a multiple of dims ${dims}`,
      );
    }
    assertFinite(v, 'vectors');
    return v;
  }

  #int8Args(
    query: Float32Array,
    matrix: Float32Array,
    codes: Int8Array,
    scales: Float32Array,
    options: QuantizedSearchOptions,
  ): Parameters<RawBackend['searchInt8']> {
    const scan = checkScan(query, matrix, options);
    if (!types.isInt8Array(codes))
      throw new VectorError('INVALID_ARGUMENT', `codes must be an Int8Array, got ${typeName(codes)}`);
    if (!types.isFloat32Array(scales)) {
      throw new VectorError('INVALID_ARGUMENT', `scales must be a Float32Array, got ${typeName(scales)}`);
    }
    if (codes.length !== scan.rows * scan.dims || scales.length !== scan.rows) {
      throw new VectorError(
        'DIMENSION_MISMATCH',
        `codes (${codes.length}) and scales (${scales.length}) must hold ${scan.rows} rows of ${scan.dims} dimensions`,
      );
    }
    const pool = requireInteger(options.pool ?? Math.max(4 * scan.k, 40), 'pool', 1, MAX_K);
    const minScore = checkNumber(options.minScore, 'minScore');
    return [
      scan.query,
      scan.matrix,
      scan.dims,
      scan.k,
      scan.allow,
      scan.mask,
      minScore,
      scan.threads,
      codes,
      scales,
      pool,
    ];
  }

  #binaryArgs(
    query: Float32Array,
    matrix: Float32Array,
    bits: Uint8Array,
    options: QuantizedSearchOptions,
  ): Parameters<RawBackend['searchBinary']> {
    const scan = checkScan(query, matrix, options);
    if (!types.isUint8Array(bits))
      throw new VectorError('INVALID_ARGUMENT', `bits must be a Uint8Array, got ${typeName(bits)}`);
    if (bits.length !== scan.rows * Math.ceil(scan.dims / 8)) {
      throw new VectorError(
        'DIMENSION_MISMATCH',
        `bits has ${bits.length} bytes, expected ${scan.rows} rows × ${Math.ceil(scan.dims / 8)} bytes`,
      );
    }
    const pool = requireInteger(options.pool ?? Math.max(20 * scan.k, 200), 'pool', 1, MAX_K);
    const minScore = checkNumber(options.minScore, 'minScore');
    return [
      scan.query,
      scan.matrix,
      scan.dims,
      scan.k,
      scan.allow,
      scan.mask,
      minScore,
      scan.threads,
      bits,
      pool,
    ];
  }
}

export type { RawHits };
