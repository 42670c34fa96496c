import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getKernels, type Kernels, VectorError } from '../src/index.js';
import { clusteredVectors, randomVectors, recallAt, referenceTopK } from './helpers/data.js';
import { skipNative } from './helpers/native.js';

const backends: Array<['native' | 'js', boolean]> = [
  ['native', skipNative],
  ['js', false],
];
const js = getKernels('js');
// The native kernels are loaded in `beforeAll` of the suites that use them, never at import: without the
// addon those suites skip (or, where the addon is required, fail) and the JS half still runs.
let native: Kernels;
const loadNativeKernels = () => {
  native = getKernels('native');
};

const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));

describe.each(backends)('kernel conformance: %s backend', (name, skip) => {
  let kernels: Kernels;
  beforeAll(() => {
    if (!skip) kernels = getKernels(name);
  });
  beforeEach((context) => {
    context.skip(skip, 'the native addon is not built or does not load');
  });

  it('should compute dot, cosine and squared L2 like an f64 reference for many lengths', () => {
    for (const n of [1, 3, 8, 15, 16, 17, 31, 33, 100, 384, 768, 1001]) {
      const a = randomVectors(1, n, n);
      const b = randomVectors(1, n, n + 1);
      const [reference] = [referenceTopK(a, b, n, 1, 'dot').scores[0] as number];
      close(kernels.dot(a, b), reference);
      close(kernels.cosine(a, b), referenceTopK(a, b, n, 1, 'cosine').scores[0] as number);
      close(kernels.squaredL2(a, b), referenceTopK(a, b, n, 1, 'l2').scores[0] as number);
    }
  });

  it('should give cosine 1, 0, -1 and 0 for identical, orthogonal, opposite and zero vectors', () => {
    const x = new Float32Array([1, 0, 0]);
    close(kernels.cosine(x, new Float32Array([3, 0, 0])), 1);
    expect(kernels.cosine(x, new Float32Array([0, 2, 0]))).toBe(0);
    close(kernels.cosine(x, new Float32Array([-1, 0, 0])), -1);
    expect(kernels.cosine(x, new Float32Array([0, 0, 0]))).toBe(0);
  });

  it('should normalise in place and return the original norm, leaving a zero vector alone', () => {
    const v = new Float32Array([3, 4]);
    close(kernels.normalize(v), 5);
    close(v[0] as number, 0.6);
    close(v[1] as number, 0.8);
    const zero = new Float32Array([0, 0, 0]);
    expect(kernels.normalize(zero)).toBe(0);
    expect([...zero]).toEqual([0, 0, 0]);
  });

  it('should normalise every row of a matrix exactly as normalize does row by row', () => {
    const dims = 37;
    const matrix = randomVectors(50, dims, 5);
    matrix.fill(0, 3 * dims, 4 * dims);
    const expected = matrix.slice();
    for (let row = 0; row < 50; row++) kernels.normalize(expected.subarray(row * dims, (row + 1) * dims));
    kernels.normalizeRows(matrix, dims);
    expect(Buffer.from(matrix.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    expect(() => kernels.normalizeRows(new Float32Array(5), 2)).toThrow(/not a multiple of dims 2/);
    expect(() => kernels.normalizeRows(Float32Array.from([1, Number.NaN]), 2)).toThrow(VectorError);
  });

  it('should score every row and find the exact top-k for every metric, on data without ties', () => {
    const dims = 48;
    const matrix = randomVectors(700, dims, 11);
    const query = randomVectors(1, dims, 12);
    for (const metric of ['dot', 'cosine', 'l2'] as const) {
      const expected = referenceTopK(query, matrix, dims, 15, metric);
      for (const threads of [0, 1, 2]) {
        const result = kernels.topK(query, matrix, { dims, k: 15, metric, threads });
        expect(Array.from(result.indices), `${metric}/${threads}`).toEqual(expected.indices);
        result.scores.forEach((score, i) => {
          close(score, expected.scores[i] as number);
        });
      }
      const all = kernels.scores(query, matrix, { dims, metric });
      expect(all).toHaveLength(700);
      close(all[expected.indices[0] as number] as number, expected.scores[0] as number);
    }
  });

  it('should restrict the scan with an allow-list or a mask, and apply minScore / maxDistance', () => {
    const dims = 16;
    const matrix = randomVectors(100, dims, 5);
    const query = matrix.slice(0, dims);
    const allow = Uint32Array.from([10, 20, 30, 40]);
    const allowed = kernels.topK(query, matrix, { dims, k: 10, allow });
    expect([...allowed.indices].sort((a, b) => a - b)).toEqual([10, 20, 30, 40]);
    const mask = new Uint8Array(13);
    for (const row of [0, 7, 8, 99]) mask[row >> 3] = (mask[row >> 3] as number) | (1 << (row & 7));
    const masked = kernels.topK(query, matrix, { dims, k: 10, mask });
    expect([...masked.indices].sort((a, b) => a - b)).toEqual([0, 7, 8, 99]);
    expect(masked.indices[0]).toBe(0);
    const strong = kernels.topK(query, matrix, { dims, k: 100, minScore: 1 });
    expect([...strong.scores].every((s) => s >= 1)).toBe(true);
    const near = kernels.topK(query, matrix, { dims, k: 100, metric: 'l2', maxDistance: 1e-9 });
    expect([...near.indices]).toEqual([0]);
  });

  it('should return every row when k exceeds the row count', () => {
    const result = kernels.topK(new Float32Array([1, 0]), new Float32Array([1, 0, 0, 1]), { dims: 2, k: 50 });
    expect([...result.indices]).toEqual([0, 1]);
  });

  it('should find the exact neighbours with int8 (recall@10 ≥ 0.99) and 1-bit (≥ 0.95) search on clustered data', () => {
    const dims = 128;
    const rows = 6000;
    const matrix = clusteredVectors(rows, dims, 60, 3);
    const { codes, scales } = kernels.quantizeInt8(matrix, dims);
    const bits = kernels.quantizeBinary(matrix, dims);
    let int8Recall = 0;
    let binaryRecall = 0;
    const probes = 40;
    for (let p = 0; p < probes; p++) {
      const query = clusteredVectors(1, dims, 60, 3 + 1000 * (p + 1)).slice(0, dims);
      // Queries near the data: a stored vector plus a little noise.
      const base = matrix.subarray(((p * 131) % rows) * dims, (((p * 131) % rows) + 1) * dims);
      for (let d = 0; d < dims; d++) query[d] = (base[d] as number) + 0.05 * (query[d] as number);
      const truth = kernels.topK(query, matrix, { dims, k: 10 }).indices;
      int8Recall += recallAt(
        kernels.searchInt8(query, matrix, codes, scales, { dims, k: 10 }).indices,
        truth,
      );
      binaryRecall += recallAt(kernels.searchBinary(query, matrix, bits, { dims, k: 10 }).indices, truth);
    }
    expect(int8Recall / probes).toBeGreaterThanOrEqual(0.99);
    expect(binaryRecall / probes).toBeGreaterThanOrEqual(0.95);
  });

  it('should give the same results from the async variants, off the event loop', async () => {
    const dims = 64;
    const matrix = clusteredVectors(20_000, dims, 50, 9);
    const query = matrix.slice(5 * dims, 6 * dims);
    const { codes, scales } = kernels.quantizeInt8(matrix, dims);
    const bits = kernels.quantizeBinary(matrix, dims);
    // Count event-loop turns while the searches run: a blocking search would allow none. On a loaded machine
    // the searches may finish before this thread is scheduled again, so try a few rounds: a blocking
    // implementation never turns the loop in any of them.
    const run = async () => {
      let ticks = 0;
      let running = true;
      const spin = () => {
        if (!running) return;
        ticks++;
        setImmediate(spin);
      };
      setImmediate(spin);
      const results = await Promise.all([
        kernels.topKAsync(query, matrix, { dims, k: 10 }),
        kernels.searchInt8Async(query, matrix, codes, scales, { dims, k: 10 }),
        kernels.searchBinaryAsync(query, matrix, bits, { dims, k: 10 }),
      ]);
      running = false;
      return { results, ticks };
    };
    const first = await run();
    const [exact, int8, binary] = first.results;
    expect([...exact.indices]).toEqual([...kernels.topK(query, matrix, { dims, k: 10 }).indices]);
    expect([...int8.indices]).toEqual([
      ...kernels.searchInt8(query, matrix, codes, scales, { dims, k: 10 }).indices,
    ]);
    expect([...binary.indices]).toEqual([
      ...kernels.searchBinary(query, matrix, bits, { dims, k: 10 }).indices,
    ]);
    let ticks = first.ticks;
    for (let round = 1; round < 20 && ticks === 0; round++) ticks = (await run()).ticks;
    expect(ticks).toBeGreaterThan(0);
  });
});

describe.skipIf(skipNative)('cross-backend identity', () => {
  beforeAll(loadNativeKernels);

  it('should quantise to identical int8 codes, scales and bits', () => {
    const dims = 77;
    const vectors = randomVectors(300, dims, 21);
    // Include values that round exactly at .5 after scaling, and an all-zero row.
    vectors.fill(0, 0, dims);
    vectors.set([0.5, -0.5, 1, -1, 0.25], dims);
    const a = native.quantizeInt8(vectors, dims);
    const b = js.quantizeInt8(vectors, dims);
    expect(Buffer.from(a.codes.buffer).equals(Buffer.from(b.codes.buffer))).toBe(true);
    expect([...a.scales]).toEqual([...b.scales]);
    expect(
      Buffer.from(native.quantizeBinary(vectors, dims)).equals(Buffer.from(js.quantizeBinary(vectors, dims))),
    ).toBe(true);
    const a2 = vectors.slice();
    const b2 = vectors.slice();
    native.normalizeRows(a2, dims);
    js.normalizeRows(b2, dims);
    expect(Buffer.from(a2.buffer).equals(Buffer.from(b2.buffer))).toBe(true);
  });

  it('should return the same top-k ids, and scores within 1e-5, for every search kind', () => {
    const dims = 96;
    const matrix = clusteredVectors(5000, dims, 40, 17);
    const { codes, scales } = native.quantizeInt8(matrix, dims);
    const bits = native.quantizeBinary(matrix, dims);
    for (let p = 0; p < 10; p++) {
      const query = matrix.slice(p * 97 * dims, (p * 97 + 1) * dims);
      const pairs: Array<
        [{ indices: Uint32Array; scores: Float64Array }, { indices: Uint32Array; scores: Float64Array }]
      > = [
        [native.topK(query, matrix, { dims, k: 10 }), js.topK(query, matrix, { dims, k: 10 })],
        [
          native.topK(query, matrix, { dims, k: 10, metric: 'l2' }),
          js.topK(query, matrix, { dims, k: 10, metric: 'l2' }),
        ],
        [
          native.searchInt8(query, matrix, codes, scales, { dims, k: 10 }),
          js.searchInt8(query, matrix, codes, scales, { dims, k: 10 }),
        ],
        [
          native.searchBinary(query, matrix, bits, { dims, k: 10 }),
          js.searchBinary(query, matrix, bits, { dims, k: 10 }),
        ],
      ];
      for (const [a, b] of pairs) {
        expect([...a.indices]).toEqual([...b.indices]);
        a.scores.forEach((score, i) => {
          close(score, b.scores[i] as number);
        });
      }
    }
  });

  const bad: Array<[string, (k: Kernels) => unknown]> = [
    ['dot of different lengths', (k) => k.dot(new Float32Array(3), new Float32Array(4))],
    ['dot of empty vectors', (k) => k.dot(new Float32Array(0), new Float32Array(0))],
    ['dot with NaN', (k) => k.dot(new Float32Array([1, Number.NaN]), new Float32Array(2))],
    [
      'cosine with Infinity',
      (k) => k.cosine(new Float32Array(2), new Float32Array([0, Number.POSITIVE_INFINITY])),
    ],
    [
      'dot of a Float64Array',
      (k) => k.dot(new Float64Array(2) as unknown as Float32Array, new Float32Array(2)),
    ],
    ['dot of a plain array', (k) => k.dot([1, 2] as unknown as Float32Array, new Float32Array(2))],
    ['normalize of an empty vector', (k) => k.normalize(new Float32Array(0))],
    ['topK with k = 0', (k) => k.topK(new Float32Array(2), new Float32Array(4), { dims: 2, k: 0 })],
    ['topK with fractional k', (k) => k.topK(new Float32Array(2), new Float32Array(4), { dims: 2, k: 1.5 })],
    ['topK with a wrong query length', (k) => k.topK(new Float32Array(3), new Float32Array(4), { dims: 2 })],
    ['topK with a ragged matrix', (k) => k.topK(new Float32Array(2), new Float32Array(5), { dims: 2 })],
    [
      'topK with an out-of-range allow entry',
      (k) => k.topK(new Float32Array(2), new Float32Array(4), { dims: 2, allow: Uint32Array.from([2]) }),
    ],
    [
      'topK with a short mask',
      (k) => k.topK(new Float32Array(2), new Float32Array(40), { dims: 2, mask: new Uint8Array(1) }),
    ],
    [
      'topK with a NaN query',
      (k) => k.topK(new Float32Array([Number.NaN, 0]), new Float32Array(4), { dims: 2 }),
    ],
    [
      'topK with an unknown metric',
      (k) => k.topK(new Float32Array(2), new Float32Array(4), { dims: 2, metric: 'manhattan' as 'dot' }),
    ],
    [
      'topK with maxDistance on dot',
      (k) => k.topK(new Float32Array(2), new Float32Array(4), { dims: 2, maxDistance: 1 }),
    ],
    ['quantizeInt8 with a ragged input', (k) => k.quantizeInt8(new Float32Array(5), 2)],
    [
      'searchInt8 with wrong code count',
      (k) =>
        k.searchInt8(new Float32Array(2), new Float32Array(4), new Int8Array(3), new Float32Array(2), {
          dims: 2,
        }),
    ],
    [
      'searchBinary with wrong bit count',
      (k) => k.searchBinary(new Float32Array(2), new Float32Array(4), new Uint8Array(3), { dims: 2 }),
    ],
  ];

  it.each(bad)('should throw the same VectorError from both backends for %s', (_case, call) => {
    const outcome = (kernels: Kernels) => {
      try {
        call(kernels);
        return 'no error';
      } catch (error) {
        expect(VectorError.isInstance(error)).toBe(true);
        return `${(error as VectorError).code}: ${(error as VectorError).message}`;
      }
    };
    const fromNative = outcome(native);
    expect(fromNative).not.toBe('no error');
    expect(outcome(js)).toBe(fromNative);
  });
});

describe.skipIf(skipNative)('native addon called directly (no JS validation in front)', () => {
  beforeAll(loadNativeKernels);

  it('should throw coded errors for bad input instead of crashing', () => {
    const raw = native.raw as unknown as Record<string, (...args: unknown[]) => unknown>;
    const attempts: Array<[string, unknown[], string]> = [
      ['dot', [new Float32Array(2)], 'INVALID_ARGUMENT'],
      ['dot', [new Float32Array(2), new Float32Array(3)], 'DIMENSION_MISMATCH'],
      ['dot', [new Float32Array(0), new Float32Array(0)], 'EMPTY_VECTOR'],
      ['dot', [new Float32Array([Number.NaN]), new Float32Array(1)], 'NON_FINITE'],
      ['dot', ['x', new Float32Array(1)], 'INVALID_ARGUMENT'],
      [
        'topK',
        [new Float32Array(2), new Float32Array(4), 2, 0, null, null, null, null, 0],
        'INVALID_ARGUMENT',
      ],
      [
        'topK',
        [new Float32Array(2), new Float32Array(4), 2, 1, Uint32Array.from([7]), null, null, null, 0],
        'INVALID_ARGUMENT',
      ],
      [
        'topK',
        [new Float32Array(2), new Float32Array(5), 2, 1, null, null, null, null, 0],
        'DIMENSION_MISMATCH',
      ],
      [
        'searchInt8',
        [
          new Float32Array(2),
          new Float32Array(4),
          2,
          1,
          null,
          null,
          null,
          null,
          new Int8Array(1),
          new Float32Array(2),
          5,
        ],
        'DIMENSION_MISMATCH',
      ],
    ];
    for (const [fn, args, code] of attempts) {
      let caught: unknown;
      try {
        raw[fn]?.(...args);
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string })?.code, `${fn}(${args.length} args)`).toBe(code);
    }
  });

  it('should refuse an output that overlaps its input', () => {
    const shared = new ArrayBuffer(64);
    const vectors = new Float32Array(shared, 0, 8);
    const codes = new Int8Array(shared, 16, 8);
    expect(() => native.raw.quantizeInt8(vectors, 4, codes, new Float32Array(2))).toThrow(
      /must not share memory/,
    );
  });

  it('should reject an async search with a coded error', async () => {
    await expect(
      native.raw.topKAsync(new Float32Array(2), new Float32Array(5), 2, 1, null, null, null, null, 0),
    ).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });
});
