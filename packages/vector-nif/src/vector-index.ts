import { crc32 } from 'node:zlib';
import { VectorError } from './errors.js';
import { assertFinite, type Kernels, type SearchHits } from './kernels.js';
import { selectedBackend } from './selected.js';

/** How `VectorIndex.search` scans. `auto` picks exact for small indexes and int8 + re-rank for large ones. */
export type SearchMode = 'auto' | 'exact' | 'int8' | 'binary';

export interface VectorIndexOptions {
  /** Elements per vector (1 … 65,536). */
  dimensions: number;
  /**
   * Store unit vectors, so that the dot product is the cosine similarity (recommended; quantised search
   * ranks by dot product). @default true
   */
  normalize?: boolean;
  /** Rows to allocate up front; the index grows by doubling. @default 1024 */
  initialCapacity?: number;
  /** Which kernels to use. @default the package's selected backend */
  kernels?: Kernels;
}

export interface VectorSearchOptions {
  /** Hits wanted. @default 10 */
  k?: number;
  /** @default 'auto' */
  mode?: SearchMode;
  /** Drop hits scoring below this (cosine, if the index normalises). */
  minScore?: number;
  /** Only these ids take part. */
  ids?: Iterable<string>;
  /** Only ids for which this returns true take part (called once per row). */
  filter?: (id: string) => boolean;
  /** Candidates re-ranked exactly in quantised modes. @default max(4·k, 40) int8, max(20·k, 200) 1-bit */
  pool?: number;
  /** Native scan threads (0 = automatic). @default 0 */
  threads?: number;
}

export interface VectorHit {
  id: string;
  score: number;
}

export interface VectorIndexStats {
  size: number;
  dimensions: number;
  capacity: number;
  normalized: boolean;
  backend: 'native' | 'js';
  /** Bytes held by the float matrix, the int8 copy (codes + scales) and the 1-bit copy. */
  bytes: { float32: number; int8: number; binary: number };
}

/** Rows × dims below which `auto` mode scans exactly (int8 + re-rank wins above it on the benchmark). */
export const AUTO_EXACT_MAX_FLOATS = 1_000_000;

const MAGIC = 0x5849564d; // 'MVIX' little-endian

interface SearchPlan {
  q: Float32Array;
  k: number;
  mode: Exclude<SearchMode, 'auto'>;
  allow: Uint32Array | undefined;
  mask: Uint8Array | undefined;
  minScore: number | undefined;
  pool: number | undefined;
  threads: number;
}
const FORMAT_VERSION = 1;

/**
 * A growable, contiguous vector store for search: an f32 matrix plus its int8 and 1-bit copies, kept in
 * step on every change, with a map between row and external id. Removal is a swap-remove (the last row
 * moves into the hole), so rows stay dense and no compaction is ever needed. Serialises to a `Buffer`
 * (with a CRC-32) for persistence.
 *
 * @example
 * const index = new VectorIndex({ dimensions: 384 });
 * index.set('memory-1', embedding);
 * index.search(queryEmbedding, { k: 5, minScore: 0.3 }); // [{ id: 'memory-1', score: 0.82 }, …]
 */
export class VectorIndex {
  readonly dimensions: number;
  readonly normalized: boolean;
  readonly #kernels: Kernels;
  #capacity: number;
  #size = 0;
  #matrix: Float32Array;
  #codes: Int8Array;
  #scales: Float32Array;
  #bits: Uint8Array;
  readonly #bytesPerRow: number;
  #ids: string[] = [];
  readonly #rows = new Map<string, number>();

  constructor(options: VectorIndexOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new VectorError('INVALID_ARGUMENT', 'VectorIndex options with { dimensions } are required');
    }
    const { dimensions } = options;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65_536) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `dimensions must be an integer in [1, 65536], got ${String(dimensions)}`,
      );
    }
    const capacity = options.initialCapacity ?? 1024;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `initialCapacity must be a positive integer, got ${String(capacity)}`,
      );
    }
    this.dimensions = dimensions;
    this.normalized = options.normalize ?? true;
    this.#kernels = options.kernels ?? selectedBackend().kernels;
    this.#capacity = capacity;
    this.#bytesPerRow = Math.ceil(dimensions / 8);
    this.#matrix = new Float32Array(capacity * dimensions);
    this.#codes = new Int8Array(capacity * dimensions);
    this.#scales = new Float32Array(capacity);
    this.#bits = new Uint8Array(capacity * this.#bytesPerRow);
  }

  /** Number of vectors. */
  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    return this.#rows.has(id);
  }

  /** The stored vector (normalised if the index normalises), as a copy; undefined if absent. */
  get(id: string): Float32Array | undefined {
    const row = this.#rows.get(id);
    if (row === undefined) return undefined;
    const d = this.dimensions;
    return this.#matrix.slice(row * d, (row + 1) * d);
  }

  /** All ids, in row order. */
  ids(): string[] {
    return this.#ids.slice(0, this.#size);
  }

  /** Adds a vector under a new id. @throws INVALID_ARGUMENT if the id exists; DIMENSION_MISMATCH; NON_FINITE; EMPTY_VECTOR */
  add(id: string, vector: Float32Array | readonly number[]): void {
    this.#checkId(id);
    if (this.#rows.has(id)) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `id ${JSON.stringify(id)} is already in the index; use set() to replace it`,
      );
    }
    this.set(id, vector);
  }

  /** Adds or replaces the vector of `id`. */
  set(id: string, vector: Float32Array | readonly number[]): void {
    this.#checkId(id);
    const values = this.#checkVector(vector, 'vector');
    let row = this.#rows.get(id);
    if (row === undefined) {
      this.#ensureCapacity(this.#size + 1);
      row = this.#size++;
      this.#rows.set(id, row);
      this.#ids[row] = id;
    }
    this.#writeRows(row, values, 1);
  }

  /** Replaces the vector of an existing id. @throws INVALID_ARGUMENT if the id is absent. */
  update(id: string, vector: Float32Array | readonly number[]): void {
    if (!this.#rows.has(id))
      throw new VectorError('INVALID_ARGUMENT', `id ${JSON.stringify(id)} is not in the index`);
    this.set(id, vector);
  }

  /**
   * Adds or replaces many vectors at once (`vectors` holds `ids.length` rows), quantising them in one pass.
   * All or nothing: on a validation error nothing changes.
   */
  setMany(ids: readonly string[], vectors: Float32Array): void {
    if (!Array.isArray(ids)) throw new VectorError('INVALID_ARGUMENT', 'ids must be an array of strings');
    for (const id of ids) this.#checkId(id);
    if (new Set(ids).size !== ids.length)
      throw new VectorError('INVALID_ARGUMENT', 'ids must not repeat within one call');
    const d = this.dimensions;
    if (!(vectors instanceof Float32Array) || vectors.length !== ids.length * d) {
      throw new VectorError(
        'DIMENSION_MISMATCH',
        `vectors must be a Float32Array of ${ids.length} × ${d} = ${ids.length * d} values, got ${vectors?.length}`,
      );
    }
    assertFinite(vectors, 'vectors');
    let fresh = 0;
    for (const id of ids) if (!this.#rows.has(id)) fresh++;
    this.#ensureCapacity(this.#size + fresh);
    // New ids take consecutive rows at the end, so their rows can be written in one block.
    const start = this.#size;
    if (fresh === ids.length) {
      // All new (a bulk load): one block copy, one native pass.
      this.#matrix.set(vectors, start * d);
      for (let i = 0; i < ids.length; i++) {
        this.#rows.set(ids[i] as string, start + i);
        this.#ids[start + i] = ids[i] as string;
      }
      this.#size = start + ids.length;
      this.#refreshRows(start, ids.length);
      return;
    }
    let next = start;
    const copy = new Float32Array(vectors);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const existing = this.#rows.get(id);
      if (existing !== undefined) {
        this.#writeRows(existing, copy.subarray(i * d, (i + 1) * d), 1);
      } else {
        this.#rows.set(id, next);
        this.#ids[next] = id;
        this.#matrix.set(copy.subarray(i * d, (i + 1) * d), next * d);
        next++;
      }
    }
    this.#size = next;
    if (next > start) this.#refreshRows(start, next - start);
  }

  /** Removes `id`; the last row moves into its place. Returns whether it was present. */
  remove(id: string): boolean {
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    const last = this.#size - 1;
    if (row !== last) {
      const d = this.dimensions;
      const b = this.#bytesPerRow;
      this.#matrix.copyWithin(row * d, last * d, (last + 1) * d);
      this.#codes.copyWithin(row * d, last * d, (last + 1) * d);
      this.#bits.copyWithin(row * b, last * b, (last + 1) * b);
      this.#scales[row] = this.#scales[last] as number;
      const moved = this.#ids[last] as string;
      this.#ids[row] = moved;
      this.#rows.set(moved, row);
    }
    this.#rows.delete(id);
    this.#ids.length = last;
    this.#size = last;
    return true;
  }

  /** Removes every vector (keeps the allocated capacity). */
  clear(): void {
    this.#rows.clear();
    this.#ids = [];
    this.#size = 0;
  }

  /** The `k` nearest ids to `query`, best first. Filters apply before ranking. */
  search(query: Float32Array | readonly number[], options: VectorSearchOptions = {}): VectorHit[] {
    const plan = this.#plan(query, options);
    if (!plan) return [];
    return this.#hits(this.#run(plan, false) as SearchHits);
  }

  /** {@link search} off the event loop (native: libuv thread pool; JS: sliced scan). */
  async searchAsync(
    query: Float32Array | readonly number[],
    options: VectorSearchOptions = {},
  ): Promise<VectorHit[]> {
    const plan = this.#plan(query, options);
    if (!plan) return [];
    return this.#hits(await (this.#run(plan, true) as Promise<SearchHits>));
  }

  stats(): VectorIndexStats {
    const n = this.#size;
    return {
      size: n,
      dimensions: this.dimensions,
      capacity: this.#capacity,
      normalized: this.normalized,
      backend: this.#kernels.name,
      bytes: {
        float32: n * this.dimensions * 4,
        int8: n * this.dimensions + n * 4,
        binary: n * this.#bytesPerRow,
      },
    };
  }

  /**
   * Serialises the whole index (ids, vectors and their quantised copies) into one `Buffer`, little-endian,
   * ending with a CRC-32 of everything before it.
   */
  serialize(): Buffer {
    const n = this.#size;
    const d = this.dimensions;
    const idBytes = this.#ids.slice(0, n).map((id) => Buffer.from(id, 'utf8'));
    const idsLength = idBytes.reduce((sum, bytes) => sum + 4 + bytes.length, 0);
    const header = 16;
    const aligned = (offset: number) => (offset + 3) & ~3;
    const matrixOffset = aligned(header + idsLength);
    const scalesOffset = matrixOffset + n * d * 4;
    const codesOffset = scalesOffset + n * 4;
    const bitsOffset = codesOffset + n * d;
    const end = bitsOffset + n * this.#bytesPerRow;
    const buffer = Buffer.alloc(end + 4);
    buffer.writeUInt32LE(MAGIC, 0);
    buffer.writeUInt16LE(FORMAT_VERSION, 4);
    buffer.writeUInt16LE(this.normalized ? 1 : 0, 6);
    buffer.writeUInt32LE(d, 8);
    buffer.writeUInt32LE(n, 12);
    let offset = header;
    for (const bytes of idBytes) {
      buffer.writeUInt32LE(bytes.length, offset);
      bytes.copy(buffer, offset + 4);
      offset += 4 + bytes.length;
    }
    const copyBytes = (source: ArrayBufferView, at: number, length: number) =>
      Buffer.from(source.buffer, source.byteOffset, length).copy(buffer, at);
    copyBytes(this.#matrix, matrixOffset, n * d * 4);
    copyBytes(this.#scales, scalesOffset, n * 4);
    copyBytes(this.#codes, codesOffset, n * d);
    copyBytes(this.#bits, bitsOffset, n * this.#bytesPerRow);
    buffer.writeUInt32LE(crc32(buffer.subarray(0, end)), end);
    return buffer;
  }

  /** Rebuilds an index from {@link serialize}'s output. @throws INVALID_ARGUMENT naming what is wrong */
  static deserialize(buffer: Uint8Array, options: { kernels?: Kernels } = {}): VectorIndex {
    const fail = (why: string): never => {
      throw new VectorError('INVALID_ARGUMENT', `Cannot read the vector index buffer: ${why}`);
    };
    if (!(buffer instanceof Uint8Array)) fail('expected a Buffer or Uint8Array');
    const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (view.length < 20) fail(`it is only ${view.length} bytes long`);
    if (view.readUInt32LE(0) !== MAGIC) fail('it does not start with the "MVIX" signature');
    const version = view.readUInt16LE(4);
    if (version > FORMAT_VERSION)
      fail(
        `it has format version ${version}, newer than this package reads (${FORMAT_VERSION}); upgrade @mimo-mcp/vector-nif`,
      );
    const end = view.length - 4;
    if (crc32(view.subarray(0, end)) !== view.readUInt32LE(end))
      fail('its checksum does not match (truncated or corrupted)');
    const normalize = (view.readUInt16LE(6) & 1) === 1;
    const d = view.readUInt32LE(8);
    const n = view.readUInt32LE(12);
    const index = new VectorIndex({
      dimensions: d,
      normalize,
      initialCapacity: Math.max(1, n),
      ...(options.kernels ? { kernels: options.kernels } : {}),
    });
    let offset = 16;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      if (offset + 4 > end) fail('the id table is truncated');
      const length = view.readUInt32LE(offset);
      if (offset + 4 + length > end) fail('the id table is truncated');
      ids.push(view.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    const matrixOffset = (offset + 3) & ~3;
    const bytesPerRow = Math.ceil(d / 8);
    const expectedEnd = matrixOffset + n * d * 4 + n * 4 + n * d + n * bytesPerRow;
    if (expectedEnd !== end) fail(`its length does not match ${n} vectors of ${d} dimensions`);
    const read = <T extends ArrayBufferView>(target: T, at: number, length: number) => {
      Buffer.from(target.buffer, target.byteOffset, length).set(view.subarray(at, at + length));
    };
    read(index.#matrix, matrixOffset, n * d * 4);
    read(index.#scales, matrixOffset + n * d * 4, n * 4);
    read(index.#codes, matrixOffset + n * d * 4 + n * 4, n * d);
    read(index.#bits, matrixOffset + n * d * 4 + n * 4 + n * d, n * bytesPerRow);
    for (let row = 0; row < n; row++) {
      const id = ids[row] as string;
      if (index.#rows.has(id)) fail(`id ${JSON.stringify(id)} appears twice`);
      index.#rows.set(id, row);
      index.#ids[row] = id;
    }
    index.#size = n;
    return index;
  }

  #checkId(id: unknown): asserts id is string {
    if (typeof id !== 'string' || id.length === 0) {
      throw new VectorError('INVALID_ARGUMENT', `id must be a non-empty string, got ${JSON.stringify(id)}`);
    }
  }

  #checkVector(vector: Float32Array | readonly number[], name: string): Float32Array {
    let values: Float32Array;
    if (vector instanceof Float32Array) values = vector;
    else if (Array.isArray(vector)) values = Float32Array.from(vector as number[]);
    else throw new VectorError('INVALID_ARGUMENT', `${name} must be a Float32Array or an array of numbers`);
    if (values.length === 0) throw new VectorError('EMPTY_VECTOR', `${name} must not be empty`);
    if (values.length !== this.dimensions) {
      throw new VectorError(
        'DIMENSION_MISMATCH',
        `${name} has ${values.length} dimensions, the index has ${this.dimensions}`,
      );
    }
    assertFinite(values, name);
    return values;
  }

  #ensureCapacity(rows: number): void {
    if (rows <= this.#capacity) return;
    let capacity = this.#capacity;
    while (capacity < rows) capacity *= 2;
    const d = this.dimensions;
    const grow = <T extends Float32Array | Int8Array | Uint8Array>(
      old: T,
      size: number,
      make: (n: number) => T,
    ): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.#matrix = grow(this.#matrix, capacity * d, (n) => new Float32Array(n));
    this.#codes = grow(this.#codes, capacity * d, (n) => new Int8Array(n));
    this.#scales = grow(this.#scales, capacity, (n) => new Float32Array(n));
    this.#bits = grow(this.#bits, capacity * this.#bytesPerRow, (n) => new Uint8Array(n));
    this.#capacity = capacity;
  }

  #writeRows(row: number, values: Float32Array, count: number): void {
    this.#matrix.set(values, row * this.dimensions);
    this.#refreshRows(row, count);
  }

  /** Normalises (if enabled) and re-quantises rows `start .. start+count`. */
  #refreshRows(start: number, count: number): void {
    const d = this.dimensions;
    const block = this.#matrix.subarray(start * d, (start + count) * d);
    if (this.normalized) this.#kernels.raw.normalizeRows(block, d);
    this.#kernels.raw.quantizeInt8(
      block,
      d,
      this.#codes.subarray(start * d, (start + count) * d),
      this.#scales.subarray(start, start + count),
    );
    this.#kernels.raw.quantizeBinary(
      block,
      d,
      this.#bits.subarray(start * this.#bytesPerRow, (start + count) * this.#bytesPerRow),
    );
  }

  #plan(query: Float32Array | readonly number[], options: VectorSearchOptions): SearchPlan | undefined {
    if (typeof options !== 'object' || options === null)
      throw new VectorError('INVALID_ARGUMENT', 'search options must be an object');
    let q = this.#checkVector(query, 'query');
    if (this.normalized) {
      q = new Float32Array(q);
      this.#kernels.raw.normalize(q);
    }
    const k = options.k ?? 10;
    if (!Number.isInteger(k) || k < 1 || k > 1_000_000) {
      throw new VectorError('INVALID_ARGUMENT', `k must be an integer in [1, 1000000], got ${String(k)}`);
    }
    const mode = options.mode ?? 'auto';
    if (!['auto', 'exact', 'int8', 'binary'].includes(mode)) {
      throw new VectorError(
        'INVALID_ARGUMENT',
        `mode must be "auto", "exact", "int8" or "binary", got ${String(mode)}`,
      );
    }
    const n = this.#size;
    if (n === 0) return undefined;
    let allow: Uint32Array | undefined;
    let mask: Uint8Array | undefined;
    if (options.ids !== undefined) {
      const rows: number[] = [];
      for (const id of options.ids) {
        const row = this.#rows.get(id);
        if (row !== undefined && (!options.filter || options.filter(id))) rows.push(row);
      }
      if (rows.length === 0) return undefined;
      allow = Uint32Array.from(rows);
    } else if (options.filter) {
      mask = new Uint8Array(Math.ceil(n / 8));
      let any = false;
      for (let row = 0; row < n; row++) {
        if (options.filter(this.#ids[row] as string)) {
          mask[row >> 3] = (mask[row >> 3] as number) | (1 << (row & 7));
          any = true;
        }
      }
      if (!any) return undefined;
    }
    const candidates = allow ? allow.length : n;
    const resolved: Exclude<SearchMode, 'auto'> =
      mode === 'auto' ? (candidates * this.dimensions <= AUTO_EXACT_MAX_FLOATS ? 'exact' : 'int8') : mode;
    return {
      q,
      k,
      mode: resolved,
      allow,
      mask,
      minScore: options.minScore,
      pool: options.pool,
      threads: options.threads ?? 0,
    };
  }

  #run(plan: SearchPlan, async: boolean): SearchHits | Promise<SearchHits> {
    const d = this.dimensions;
    const n = this.#size;
    const matrix = this.#matrix.subarray(0, n * d);
    const common = {
      dims: d,
      k: plan.k,
      threads: plan.threads,
      ...(plan.allow ? { allow: plan.allow } : {}),
      ...(plan.mask ? { mask: plan.mask } : {}),
      ...(plan.minScore === undefined ? {} : { minScore: plan.minScore }),
    };
    const kernels = this.#kernels;
    if (plan.mode === 'exact') {
      return async ? kernels.topKAsync(plan.q, matrix, common) : kernels.topK(plan.q, matrix, common);
    }
    const options = plan.pool === undefined ? common : { ...common, pool: plan.pool };
    if (plan.mode === 'int8') {
      const codes = this.#codes.subarray(0, n * d);
      const scales = this.#scales.subarray(0, n);
      return async
        ? kernels.searchInt8Async(plan.q, matrix, codes, scales, options)
        : kernels.searchInt8(plan.q, matrix, codes, scales, options);
    }
    const bits = this.#bits.subarray(0, n * this.#bytesPerRow);
    return async
      ? kernels.searchBinaryAsync(plan.q, matrix, bits, options)
      : kernels.searchBinary(plan.q, matrix, bits, options);
  }

  #hits(result: SearchHits): VectorHit[] {
    const hits: VectorHit[] = new Array(result.indices.length);
    for (let i = 0; i < result.indices.length; i++) {
      hits[i] = { id: this.#ids[result.indices[i] as number] as string, score: result.scores[i] as number };
    }
    return hits;
  }
}
