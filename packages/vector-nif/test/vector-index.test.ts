import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getKernels, type Kernels, VectorError, VectorIndex } from '../src/index.js';
import { clusteredVectors, recallAt } from './helpers/data.js';
import { skipNative } from './helpers/native.js';

const backends: Array<['native' | 'js', boolean]> = [
  ['native', skipNative],
  ['js', false],
];

function unit(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  const norm = Math.hypot(...values);
  return v.map((x) => x / norm);
}

describe.each(backends)('VectorIndex on the %s backend', (name, skip) => {
  // Loaded before the tests, never at import: without the addon the native suite skips (or, where the
  // addon is required, fails) and the JS suite still runs.
  let kernels: Kernels;
  beforeAll(() => {
    if (!skip) kernels = getKernels(name);
  });
  beforeEach((context) => {
    context.skip(skip, 'the native addon is not built or does not load');
  });

  it('should add, get (normalised), update, remove and search', () => {
    const index = new VectorIndex({ dimensions: 3, kernels });
    index.add('a', [1, 0, 0]);
    index.add('b', new Float32Array([0, 2, 0]));
    index.add('c', [1, 1, 0]);
    expect(index.size).toBe(3);
    expect([...(index.get('b') as Float32Array)]).toEqual([0, 1, 0]);
    expect(() => index.add('a', [0, 0, 1])).toThrow(/already in the index/);
    const hits = index.search([1, 0.1, 0], { k: 2 });
    expect(hits.map((h) => h.id)).toEqual(['a', 'c']);
    expect(hits[0]?.score).toBeCloseTo(0.995, 2);
    index.update('a', [0, 0, 1]);
    expect(index.search([0, 0, 1], { k: 1 })[0]?.id).toBe('a');
    expect(index.remove('b')).toBe(true);
    expect(index.remove('b')).toBe(false);
    expect(index.has('b')).toBe(false);
    expect(index.ids().sort()).toEqual(['a', 'c']);
    expect(() => index.update('missing', [1, 0, 0])).toThrow(/not in the index/);
  });

  it('should apply id allow-lists, predicates and minScore before ranking', () => {
    const index = new VectorIndex({ dimensions: 2, kernels });
    index.set('x', [1, 0]);
    index.set('y', [0.9, 0.1]);
    index.set('z', [0, 1]);
    expect(index.search([1, 0], { k: 3, ids: ['z', 'y', 'nope'] }).map((h) => h.id)).toEqual(['y', 'z']);
    expect(index.search([1, 0], { k: 3, filter: (id) => id !== 'x' }).map((h) => h.id)).toEqual(['y', 'z']);
    expect(index.search([1, 0], { k: 3, minScore: 0.5 }).map((h) => h.id)).toEqual(['x', 'y']);
    expect(index.search([1, 0], { ids: [] })).toEqual([]);
    expect(index.search([1, 0], { filter: () => false })).toEqual([]);
    expect(new VectorIndex({ dimensions: 2, kernels }).search([1, 0])).toEqual([]);
  });

  it('should find the same neighbours in exact, int8 and binary modes on clustered data', () => {
    const dims = 64;
    const rows = 3000;
    const data = clusteredVectors(rows, dims, 30, 5);
    const index = new VectorIndex({ dimensions: dims, kernels, initialCapacity: 16 });
    index.setMany(
      Array.from({ length: rows }, (_, i) => `m${i}`),
      data,
    );
    expect(index.stats()).toMatchObject({ size: rows, capacity: 4096, backend: kernels.name });
    let int8 = 0;
    let binary = 0;
    for (let p = 0; p < 20; p++) {
      const query = data.subarray(p * 101 * dims, (p * 101 + 1) * dims);
      const exact = index.search(query, { k: 10, mode: 'exact' }).map((h) => h.id);
      expect(exact[0]).toBe(`m${p * 101}`);
      const toRows = (ids: string[]) => ids.map((id) => Number(id.slice(1)));
      int8 += recallAt(toRows(index.search(query, { k: 10, mode: 'int8' }).map((h) => h.id)), toRows(exact));
      binary += recallAt(
        toRows(index.search(query, { k: 10, mode: 'binary' }).map((h) => h.id)),
        toRows(exact),
      );
    }
    expect(int8 / 20).toBeGreaterThanOrEqual(0.99);
    expect(binary / 20).toBeGreaterThanOrEqual(0.95);
  });

  it('should give the same hits from searchAsync', async () => {
    const data = clusteredVectors(2000, 32, 10, 8);
    const index = new VectorIndex({ dimensions: 32, kernels });
    index.setMany(
      Array.from({ length: 2000 }, (_, i) => String(i)),
      data,
    );
    const query = data.subarray(0, 32);
    for (const mode of ['exact', 'int8', 'binary'] as const) {
      expect(await index.searchAsync(query, { k: 5, mode })).toEqual(index.search(query, { k: 5, mode }));
    }
  });

  it('should round-trip through serialize/deserialize, and refuse corrupt or newer buffers', () => {
    const index = new VectorIndex({ dimensions: 5, kernels });
    index.set('α', [1, 2, 3, 4, 5]);
    index.set('b', [5, 4, 3, 2, 1]);
    index.set('c', [0, 0, 1, 0, 0]);
    index.remove('b');
    const buffer = index.serialize();
    const copy = VectorIndex.deserialize(buffer, { kernels });
    expect(copy.ids()).toEqual(index.ids());
    expect([...(copy.get('α') as Float32Array)]).toEqual([...(index.get('α') as Float32Array)]);
    expect(copy.search([1, 2, 3, 4, 5], { k: 2, mode: 'int8' })).toEqual(
      index.search([1, 2, 3, 4, 5], { k: 2, mode: 'int8' }),
    );
    const flipped = Buffer.from(buffer);
    flipped[30] = (flipped[30] as number) ^ 0xff;
    expect(() => VectorIndex.deserialize(flipped, { kernels })).toThrow(/checksum does not match/);
    expect(() => VectorIndex.deserialize(buffer.subarray(0, 10), { kernels })).toThrow(/only 10 bytes/);
    expect(() => VectorIndex.deserialize(Buffer.alloc(40), { kernels })).toThrow(/signature/);
    const newer = Buffer.from(buffer);
    newer.writeUInt16LE(9, 4);
    expect(() => VectorIndex.deserialize(newer, { kernels })).toThrow(/format version 9, newer/);
  });

  it('should validate input with precise errors and change nothing on a failed setMany', () => {
    const index = new VectorIndex({ dimensions: 3, kernels });
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return VectorError.isInstance(error) ? error.code : 'not a VectorError';
      }
      return 'no error';
    };
    expect(code(() => index.add('x', [1, 2]))).toBe('DIMENSION_MISMATCH');
    expect(code(() => index.add('x', []))).toBe('EMPTY_VECTOR');
    expect(code(() => index.add('x', [1, Number.NaN, 2]))).toBe('NON_FINITE');
    expect(code(() => index.add('', [1, 2, 3]))).toBe('INVALID_ARGUMENT');
    expect(code(() => index.search([1, 2, 3], { k: 0 }))).toBe('INVALID_ARGUMENT');
    expect(code(() => index.search([1, 2, 3], { mode: 'fast' as 'exact' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => new VectorIndex({ dimensions: 0, kernels }))).toBe('INVALID_ARGUMENT');
    index.set('keep', [1, 0, 0]);
    expect(code(() => index.setMany(['a', 'b'], new Float32Array([1, 2, 3, 4, 5, Number.NaN])))).toBe(
      'NON_FINITE',
    );
    expect(code(() => index.setMany(['a', 'a'], new Float32Array(6)))).toBe('INVALID_ARGUMENT');
    expect(index.ids()).toEqual(['keep']);
  });

  it('should stay consistent with a simple model under random add/set/remove sequences (property)', () => {
    const dims = 4;
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        id: fc.integer({ min: 0, max: 15 }),
        seed: fc.integer({ min: 1, max: 1000 }),
      }),
      fc.record({ kind: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 15 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const index = new VectorIndex({ dimensions: dims, kernels, initialCapacity: 2 });
        const model = new Map<string, number[]>();
        for (const step of ops) {
          const id = `v${step.id}`;
          if (step.kind === 'set') {
            const vector = [1, step.seed % 7, step.seed % 5, step.seed % 3].map((x) => x + 0.5);
            index.set(id, vector);
            model.set(id, vector);
          } else {
            expect(index.remove(id)).toBe(model.delete(id));
          }
        }
        expect(index.size).toBe(model.size);
        expect(index.ids().sort()).toEqual([...model.keys()].sort());
        for (const [id, vector] of model) {
          const stored = index.get(id) as Float32Array;
          const norm = Math.hypot(...vector);
          vector.forEach((x, i) => {
            expect(stored[i]).toBeCloseTo(x / norm, 5);
          });
          // Every stored vector is its own nearest neighbour in every mode (quantised copies moved with it).
          for (const mode of ['exact', 'int8', 'binary'] as const) {
            const best = index.search(vector, { k: model.size, mode });
            expect(best.find((hit) => hit.id === id)?.score).toBeCloseTo(1, 4);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('VectorIndex across backends', () => {
  it.skipIf(skipNative)('should rank identically on the native and JS backends', () => {
    const data = clusteredVectors(4000, 48, 25, 13);
    const ids = Array.from({ length: 4000 }, (_, i) => `id-${i}`);
    const native = new VectorIndex({ dimensions: 48, kernels: getKernels('native') });
    const js = new VectorIndex({ dimensions: 48, kernels: getKernels('js') });
    native.setMany(ids, data);
    js.setMany(ids, data);
    expect(Buffer.compare(native.serialize(), js.serialize())).toBe(0);
    for (let p = 0; p < 10; p++) {
      const query = data.subarray(p * 333 * 48, (p * 333 + 1) * 48);
      for (const mode of ['exact', 'int8', 'binary'] as const) {
        expect(native.search(query, { k: 10, mode }).map((h) => h.id)).toEqual(
          js.search(query, { k: 10, mode }).map((h) => h.id),
        );
      }
    }
  });

  it('should use unit vectors: an unnormalised index keeps raw values', () => {
    const raw = new VectorIndex({ dimensions: 2, normalize: false, kernels: getKernels('js') });
    raw.set('a', [3, 4]);
    expect([...(raw.get('a') as Float32Array)]).toEqual([3, 4]);
    expect(unit([3, 4])[0]).toBeCloseTo(0.6);
  });
});
