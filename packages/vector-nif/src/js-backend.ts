/**
 * The pure-JS backend: exactly the semantics of the native addon (same quantisation, bit for bit, same
 * ordering and tie-breaks), optimised for V8: unrolled loops with independent accumulators, offsets into
 * one matrix instead of per-row subarrays, typed-array top-k with no per-row allocation. Its async
 * variants scan in slices and yield to the event loop between them.
 */
import type { MetricCode, RawBackend, RawHits } from './raw-backend.js';

const fround = Math.fround;

function dotAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const x = aOffset + i;
    const y = bOffset + i;
    s0 += (a[x] as number) * (b[y] as number);
    s1 += (a[x + 1] as number) * (b[y + 1] as number);
    s2 += (a[x + 2] as number) * (b[y + 2] as number);
    s3 += (a[x + 3] as number) * (b[y + 3] as number);
    s4 += (a[x + 4] as number) * (b[y + 4] as number);
    s5 += (a[x + 5] as number) * (b[y + 5] as number);
    s6 += (a[x + 6] as number) * (b[y + 6] as number);
    s7 += (a[x + 7] as number) * (b[y + 7] as number);
  }
  for (; i < n; i++) s0 += (a[aOffset + i] as number) * (b[bOffset + i] as number);
  return s0 + s1 + (s2 + s3) + (s4 + s5 + (s6 + s7));
}

function squaredL2At(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d0 = (a[aOffset + i] as number) - (b[bOffset + i] as number);
    const d1 = (a[aOffset + i + 1] as number) - (b[bOffset + i + 1] as number);
    const d2 = (a[aOffset + i + 2] as number) - (b[bOffset + i + 2] as number);
    const d3 = (a[aOffset + i + 3] as number) - (b[bOffset + i + 3] as number);
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = (a[aOffset + i] as number) - (b[bOffset + i] as number);
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

function cosineAt(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, n: number): number {
  let ab0 = 0;
  let ab1 = 0;
  let aa0 = 0;
  let aa1 = 0;
  let bb0 = 0;
  let bb1 = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const x0 = a[aOffset + i] as number;
    const y0 = b[bOffset + i] as number;
    const x1 = a[aOffset + i + 1] as number;
    const y1 = b[bOffset + i + 1] as number;
    ab0 += x0 * y0;
    aa0 += x0 * x0;
    bb0 += y0 * y0;
    ab1 += x1 * y1;
    aa1 += x1 * x1;
    bb1 += y1 * y1;
  }
  if (i < n) {
    const x = a[aOffset + i] as number;
    const y = b[bOffset + i] as number;
    ab0 += x * y;
    aa0 += x * x;
    bb0 += y * y;
  }
  const denominator = Math.sqrt(aa0 + aa1) * Math.sqrt(bb0 + bb1);
  return denominator === 0 ? 0 : (ab0 + ab1) / denominator;
}

/** Exact int8 dot product; codes are clamped to [-127, 127] like the native kernel. */
function int8DotAt(query: Int8Array, codes: Int8Array, offset: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = codes[offset + i] as number;
    const c1 = codes[offset + i + 1] as number;
    const c2 = codes[offset + i + 2] as number;
    const c3 = codes[offset + i + 3] as number;
    s0 += (query[i] as number) * Math.max(c0, -127);
    s1 += (query[i + 1] as number) * Math.max(c1, -127);
    s2 += (query[i + 2] as number) * Math.max(c2, -127);
    s3 += (query[i + 3] as number) * Math.max(c3, -127);
  }
  for (; i < n; i++) {
    const c = codes[offset + i] as number;
    s0 += (query[i] as number) * Math.max(c, -127);
  }
  return s0 + s1 + s2 + s3;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + (POPCOUNT[i >> 1] as number);

function hammingAt(query: Uint8Array, bits: Uint8Array, offset: number, bytes: number): number {
  let total = 0;
  for (let i = 0; i < bytes; i++)
    total += POPCOUNT[((query[i] as number) ^ (bits[offset + i] as number)) & 255] as number;
  return total;
}

/**
 * Bounded top-k: a binary min-heap (root = worst kept) over typed arrays. Order: higher score first, then
 * lower index. NaN scores are never kept. Identical to the native `TopK`.
 */
class TopK {
  readonly k: number;
  size = 0;
  readonly indices: Uint32Array;
  readonly scores: Float64Array;

  constructor(k: number) {
    this.k = k;
    this.indices = new Uint32Array(k);
    this.scores = new Float64Array(k);
  }

  /** True if (scoreA, indexA) ranks strictly better than (scoreB, indexB). */
  static better(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
    return scoreA > scoreB || (scoreA === scoreB && indexA < indexB);
  }

  push(index: number, score: number): void {
    if (Number.isNaN(score)) return;
    if (this.size < this.k) {
      let i = this.size++;
      this.indices[i] = index;
      this.scores[i] = score;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (
          !TopK.better(
            this.scores[parent] as number,
            this.indices[parent] as number,
            this.scores[i] as number,
            this.indices[i] as number,
          )
        )
          break;
        this.#swap(i, parent);
        i = parent;
      }
      return;
    }
    if (!TopK.better(score, index, this.scores[0] as number, this.indices[0] as number)) return;
    this.indices[0] = index;
    this.scores[0] = score;
    let i = 0;
    const n = this.size;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (
        left < n &&
        TopK.better(
          this.scores[worst] as number,
          this.indices[worst] as number,
          this.scores[left] as number,
          this.indices[left] as number,
        )
      )
        worst = left;
      if (
        right < n &&
        TopK.better(
          this.scores[worst] as number,
          this.indices[worst] as number,
          this.scores[right] as number,
          this.indices[right] as number,
        )
      )
        worst = right;
      if (worst === i) break;
      this.#swap(i, worst);
      i = worst;
    }
  }

  #swap(i: number, j: number): void {
    const index = this.indices[i] as number;
    const score = this.scores[i] as number;
    this.indices[i] = this.indices[j] as number;
    this.scores[i] = this.scores[j] as number;
    this.indices[j] = index;
    this.scores[j] = score;
  }

  sorted(negate = false): RawHits {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) =>
      TopK.better(
        this.scores[a] as number,
        this.indices[a] as number,
        this.scores[b] as number,
        this.indices[b] as number,
      )
        ? -1
        : 1,
    );
    const indices = new Uint32Array(this.size);
    const scores = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) {
      const from = order[i] as number;
      indices[i] = this.indices[from] as number;
      scores[i] = negate ? -(this.scores[from] as number) : (this.scores[from] as number);
    }
    return { indices, scores };
  }
}

/** Visits selected work items `start..end`: rows (all, or masked) or entries of the allow-list. */
function scanRange(
  rows: number,
  allow: Uint32Array | null,
  mask: Uint8Array | null,
  start: number,
  end: number,
  visit: (row: number) => void,
): void {
  if (allow) {
    for (let i = start; i < end; i++) visit(allow[i] as number);
  } else if (mask) {
    for (let row = start; row < end; row++) if (((mask[row >> 3] as number) >> (row & 7)) & 1) visit(row);
  } else {
    for (let row = start; row < end; row++) visit(row);
  }
  void rows;
}

function workItems(rows: number, allow: Uint32Array | null): number {
  return allow ? allow.length : rows;
}

/** Work items per slice in async scans: about a million floats, a few milliseconds of work. */
function sliceItems(floatsPerItem: number): number {
  return Math.max(256, Math.floor((1 << 20) / Math.max(1, floatsPerItem)));
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function exactKey(
  metric: MetricCode,
  query: Float32Array,
  matrix: Float32Array,
  dims: number,
): (row: number) => number {
  if (metric === 0) return (row) => dotAt(query, 0, matrix, row * dims, dims);
  if (metric === 1) return (row) => cosineAt(query, 0, matrix, row * dims, dims);
  return (row) => -squaredL2At(query, 0, matrix, row * dims, dims);
}

interface ScanSpec {
  rows: number;
  allow: Uint32Array | null;
  mask: Uint8Array | null;
  k: number;
  minKey: number;
  floatsPerItem: number;
  key: (row: number) => number;
}

function runScan(spec: ScanSpec): TopK {
  const top = new TopK(spec.k);
  const { key, minKey } = spec;
  scanRange(spec.rows, spec.allow, spec.mask, 0, workItems(spec.rows, spec.allow), (row) => {
    const value = key(row);
    if (value >= minKey) top.push(row, value);
  });
  return top;
}

async function runScanAsync(spec: ScanSpec): Promise<TopK> {
  const top = new TopK(spec.k);
  const { key, minKey } = spec;
  const items = workItems(spec.rows, spec.allow);
  const step = sliceItems(spec.floatsPerItem);
  for (let start = 0; start < items; start += step) {
    scanRange(spec.rows, spec.allow, spec.mask, start, Math.min(items, start + step), (row) => {
      const value = key(row);
      if (value >= minKey) top.push(row, value);
    });
    if (start + step < items) await yieldToEventLoop();
  }
  return top;
}

/** Symmetric int8 quantisation of one row, reproducing the Rust f32 arithmetic bit for bit. */
function quantizeRowInt8(
  vectors: Float32Array,
  offset: number,
  dims: number,
  codes: Int8Array,
  codesOffset: number,
): number {
  let max = 0;
  for (let i = 0; i < dims; i++) {
    const magnitude = Math.abs(vectors[offset + i] as number);
    if (magnitude > max) max = magnitude;
  }
  if (max === 0 || !Number.isFinite(max)) {
    codes.fill(0, codesOffset, codesOffset + dims);
    return 0;
  }
  const inverse = fround(127 / max);
  for (let i = 0; i < dims; i++) {
    const scaled = fround((vectors[offset + i] as number) * inverse);
    const rounded = Math.min(Math.round(Math.abs(scaled)), 127);
    codes[codesOffset + i] = scaled < 0 ? -rounded : rounded;
  }
  return fround(max / 127);
}

function quantizeRowBinary(
  vectors: Float32Array,
  offset: number,
  dims: number,
  bits: Uint8Array,
  bitsOffset: number,
): void {
  const bytes = (dims + 7) >> 3;
  bits.fill(0, bitsOffset, bitsOffset + bytes);
  for (let i = 0; i < dims; i++) {
    if ((vectors[offset + i] as number) > 0)
      bits[bitsOffset + (i >> 3)] = (bits[bitsOffset + (i >> 3)] as number) | (1 << (i & 7));
  }
}

function rerank(
  query: Float32Array,
  matrix: Float32Array,
  dims: number,
  candidates: RawHits,
  k: number,
  minScore: number,
): RawHits {
  const top = new TopK(k);
  for (const row of candidates.indices) {
    const score = dotAt(query, 0, matrix, row * dims, dims);
    if (score >= minScore) top.push(row, score);
  }
  return top.sorted();
}

function int8Spec(
  query: Float32Array,
  dims: number,
  rows: number,
  allow: Uint32Array | null,
  mask: Uint8Array | null,
  codes: Int8Array,
  scales: Float32Array,
  pool: number,
): ScanSpec {
  const queryCodes = new Int8Array(dims);
  quantizeRowInt8(query, 0, dims, queryCodes, 0);
  return {
    rows,
    allow,
    mask,
    k: pool,
    minKey: Number.NEGATIVE_INFINITY,
    floatsPerItem: dims / 4,
    key: (row) => (scales[row] as number) * int8DotAt(queryCodes, codes, row * dims, dims),
  };
}

function binarySpec(
  query: Float32Array,
  dims: number,
  rows: number,
  allow: Uint32Array | null,
  mask: Uint8Array | null,
  bits: Uint8Array,
  pool: number,
): ScanSpec {
  const bytes = (dims + 7) >> 3;
  const queryBits = new Uint8Array(bytes);
  quantizeRowBinary(query, 0, dims, queryBits, 0);
  return {
    rows,
    allow,
    mask,
    k: pool,
    minKey: Number.NEGATIVE_INFINITY,
    floatsPerItem: bytes / 4,
    key: (row) => -hammingAt(queryBits, bits, row * bytes, bytes),
  };
}

/** Sequential f64 sum of squares, exactly like the native addon, so both store identical unit vectors. */
function normalizeAt(vector: Float32Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i++) sum += (vector[i] as number) * (vector[i] as number);
  const norm = Math.sqrt(sum);
  if (norm > 0) {
    const inverse = fround(1 / norm);
    for (let i = start; i < start + length; i++) vector[i] = (vector[i] as number) * inverse;
  }
  return norm;
}

const NO_MIN = Number.NEGATIVE_INFINITY;

/** The JS implementation of {@link RawBackend}. */
export const jsBackend: RawBackend = {
  dot: (a, b) => dotAt(a, 0, b, 0, a.length),
  cosine: (a, b) => cosineAt(a, 0, b, 0, a.length),
  squaredL2: (a, b) => squaredL2At(a, 0, b, 0, a.length),
  normalize: (vector) => normalizeAt(vector, 0, vector.length),
  normalizeRows(matrix, dims) {
    for (let start = 0; start < matrix.length; start += dims) normalizeAt(matrix, start, dims);
  },
  scores(query, matrix, dims, metric) {
    const rows = matrix.length / dims;
    const out = new Float64Array(rows);
    const key = exactKey(metric, query, matrix, dims);
    for (let row = 0; row < rows; row++) out[row] = metric === 2 ? -key(row) : key(row);
    return out;
  },
  topK(query, matrix, dims, k, allow, mask, minScore, _threads, metric) {
    const top = runScan({
      rows: matrix.length / dims,
      allow,
      mask,
      k,
      minKey: minScore ?? NO_MIN,
      floatsPerItem: dims,
      key: exactKey(metric, query, matrix, dims),
    });
    return top.sorted(metric === 2);
  },
  async topKAsync(query, matrix, dims, k, allow, mask, minScore, _threads, metric) {
    const top = await runScanAsync({
      rows: matrix.length / dims,
      allow,
      mask,
      k,
      minKey: minScore ?? NO_MIN,
      floatsPerItem: dims,
      key: exactKey(metric, query, matrix, dims),
    });
    return top.sorted(metric === 2);
  },
  quantizeInt8(vectors, dims, codes, scales) {
    for (let row = 0; row < scales.length; row++)
      scales[row] = quantizeRowInt8(vectors, row * dims, dims, codes, row * dims);
  },
  quantizeBinary(vectors, dims, bits) {
    const bytes = (dims + 7) >> 3;
    const rows = vectors.length / dims;
    for (let row = 0; row < rows; row++) quantizeRowBinary(vectors, row * dims, dims, bits, row * bytes);
  },
  searchInt8(query, matrix, dims, k, allow, mask, minScore, _threads, codes, scales, pool) {
    const candidates = runScan(
      int8Spec(query, dims, matrix.length / dims, allow, mask, codes, scales, pool),
    ).sorted();
    return rerank(query, matrix, dims, candidates, k, minScore ?? NO_MIN);
  },
  async searchInt8Async(query, matrix, dims, k, allow, mask, minScore, _threads, codes, scales, pool) {
    const top = await runScanAsync(
      int8Spec(query, dims, matrix.length / dims, allow, mask, codes, scales, pool),
    );
    return rerank(query, matrix, dims, top.sorted(), k, minScore ?? NO_MIN);
  },
  searchBinary(query, matrix, dims, k, allow, mask, minScore, _threads, bits, pool) {
    const candidates = runScan(
      binarySpec(query, dims, matrix.length / dims, allow, mask, bits, pool),
    ).sorted();
    return rerank(query, matrix, dims, candidates, k, minScore ?? NO_MIN);
  },
  async searchBinaryAsync(query, matrix, dims, k, allow, mask, minScore, _threads, bits, pool) {
    const top = await runScanAsync(binarySpec(query, dims, matrix.length / dims, allow, mask, bits, pool));
    return rerank(query, matrix, dims, top.sorted(), k, minScore ?? NO_MIN);
  },
  readBandwidth(data) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i + 4 <= data.length; i += 4) {
      s0 += data[i] as number;
      s1 += data[i + 1] as number;
      s2 += data[i + 2] as number;
      s3 += data[i + 3] as number;
    }
    for (; i < data.length; i++) s0 += data[i] as number;
    return s0 + s1 + s2 + s3;
  },
  info: () => ({ simd: 'none (JavaScript)', version: 'js', threads: 1, parallelThresholdFloats: 0 }),
};
