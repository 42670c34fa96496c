import { AUTO_EXACT_MAX_FLOATS } from '@mimo-mcp/vector-nif';
import { describe, expect, it } from 'vitest';
import { WRITER_THREAD_MIN_ROWS } from '../src/driver/sqlite/sqlite-driver.js';
import { type MemoryStore, openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

const DIMS = 384;

/** A 384-d vector from its first coordinates (the rest are 0). */
function vector(...head: number[]): Float32Array<ArrayBuffer> {
  const out = new Float32Array(DIMS);
  out.set(head);
  return out;
}

/** The unit vector e0, and vectors whose cosine with it is known. */
const ORIGINAL = vector(1);
const CASES = {
  identical: vector(1),
  // (19, 6, 1, 1, 1) has length 20: its cosine with e0 is exactly 19/20, every value exact in float32.
  atThreshold: vector(19, 6, 1, 1, 1),
  justAbove: vector(0.9501, Math.sqrt(1 - 0.9501 ** 2)),
  justBelow: vector(0.9499, Math.sqrt(1 - 0.9499 ** 2)),
} as const;
const REPORTED = ['identical', 'atThreshold', 'justAbove'] as const;
const reported = (name: string) => (REPORTED as readonly string[]).includes(name);

/** Deterministic vectors far from e0 and from each other (cosine with e0 about 0 ± 0.15). */
function filler(seed: number): Float32Array<ArrayBuffer> {
  const out = new Float32Array(DIMS);
  let state = seed * 2654435761 + 1;
  for (let i = 1; i < DIMS; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out[i] = state / 2147483648 - 0.5;
  }
  return out;
}

async function open(merge = false): Promise<MemoryStore> {
  return openMemoryStore({ path: tempDb(), dedup: { mergeNearDuplicates: merge } });
}

describe('near duplicates at the 0.95 boundary (issue #11: cosine 0.99999994 was stored twice)', () => {
  it('should report identical, exactly-0.95 and just-above vectors through create, and not just-below', async () => {
    for (const [name, value] of Object.entries(CASES)) {
      const store = await open();
      const { id } = await store.create({ content: 'the original', vector: ORIGINAL });
      const result = await store.create({ content: `a copy: ${name}`, vector: value });
      expect(result.status, name).toBe('created');
      expect(result.nearDuplicate?.id, name).toBe(reported(name) ? id : undefined);
      await store.close();
    }
  });

  it('should merge them instead of storing them twice when merging is on (create and merge option)', async () => {
    const store = await open(true);
    const { id } = await store.create({ content: 'the original', vector: ORIGINAL, tags: ['a'] });
    for (const name of REPORTED) {
      expect(
        await store.create({ content: `a copy: ${name}`, vector: CASES[name], tags: [name] }),
      ).toMatchObject({
        id,
        status: 'merged',
      });
    }
    expect((await store.create({ content: 'below', vector: CASES.justBelow })).status).toBe('created');
    expect(await store.count()).toBe(2);
    expect((await store.get(id))?.tags).toEqual(['a', 'identical', 'atthreshold', 'justabove']);
    await store.close();

    const perCall = await open(false);
    const first = await perCall.create({ content: 'the original', vector: ORIGINAL });
    expect(
      await perCall.create(
        { content: 'at the threshold', vector: CASES.atThreshold },
        { nearDuplicates: 'merge' },
      ),
    ).toMatchObject({ id: first.id, status: 'merged' });
    expect(await perCall.count()).toBe(1);
    await perCall.close();
  });

  // Below the writer-thread size the batch is written on the calling thread, above it on the writer thread.
  for (const size of [3, WRITER_THREAD_MIN_ROWS + 72]) {
    it(`should find near duplicates inside one createMany of ${size} (the batch was never compared with itself)`, async () => {
      for (const [name, value] of Object.entries(CASES)) {
        const batch = [
          { content: 'the original', vector: ORIGINAL },
          { content: `a copy: ${name}`, vector: value },
          ...Array.from({ length: size - 2 }, (_, i) => ({ content: `filler ${i}`, vector: filler(i + 1) })),
        ];
        const store = await open();
        const results = await store.createMany(batch);
        expect(results[1]?.status, name).toBe('created');
        expect(results[1]?.nearDuplicate?.id, name).toBe(reported(name) ? results[0]?.id : undefined);
        expect(results.filter((result) => result.nearDuplicate)).toHaveLength(reported(name) ? 1 : 0);
        await store.close();

        const merging = await open(true);
        const merged = await merging.createMany(batch);
        expect(merged[1]?.status, name).toBe(reported(name) ? 'merged' : 'created');
        expect(await merging.count(), name).toBe(reported(name) ? size - 1 : size);
        await merging.close();
      }
    });
  }

  it('should name the stored memory when the near duplicate in the batch was itself an exact duplicate', async () => {
    const store = await open();
    const { id } = await store.create({ content: 'stored before', vector: ORIGINAL });
    const [again, near] = await store.createMany([
      { content: 'stored before', vector: ORIGINAL },
      { content: 'stored before, nearly', vector: CASES.atThreshold },
    ]);
    expect(again).toEqual({ id, status: 'duplicate' });
    expect(near?.nearDuplicate?.id).toBe(id);
    await store.close();
  });

  it('should find them in a namespace large enough for the 1-bit prefilter', async () => {
    const store = await open();
    const count = Math.ceil(AUTO_EXACT_MAX_FLOATS / DIMS) + 100;
    const { id } = await store.create({ content: 'the original', vector: ORIGINAL });
    for (let start = 0; start < count; start += 1000) {
      const size = Math.min(1000, count - start);
      await store.createMany(
        Array.from({ length: size }, (_, i) => ({
          content: `filler ${start + i}`,
          vector: filler(start + i + 1),
        })),
        { nearDuplicates: 'skip' },
      );
    }
    for (const [name, value] of Object.entries(CASES)) {
      const result = await store.create({ content: `a copy: ${name}`, vector: value });
      expect(result.nearDuplicate?.id, name).toBe(reported(name) ? id : undefined);
      // Later cases compare with the original alone, not with this copy.
      await store.delete(result.id);
    }
    await store.close();
  });
});
