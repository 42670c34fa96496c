import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTopLevelId, TopLevelIdScanner } from './top-level-id.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const idArbitrary = fc.oneof(fc.string({ unit: 'binary' }), fc.maxSafeInteger(), fc.maxSafeNat());
/** A JSON object without a top-level `id`, whose nested values may hold any number of `id`s. */
const withoutId = fc
  .dictionary(
    fc.string().filter((key) => key !== 'id' && key !== '__proto__'),
    fc.oneof(fc.jsonValue(), fc.record({ id: idArbitrary }), fc.array(fc.record({ id: idArbitrary }))),
    { maxKeys: 6 },
  )
  .map((object) => object as Record<string, unknown>);

describe('readTopLevelId', () => {
  it('should read the top-level id and skip ids nested in params', () => {
    expect(readTopLevelId(bytes('{"jsonrpc":"2.0","id":7,"method":"x"}'))).toBe(7);
    expect(readTopLevelId(bytes(' {"params":{"id":9,"a":[{"id":10}]} , "id" : "a1"'))).toBe('a1');
    expect(readTopLevelId(bytes('\ufeff{"\\u0069d":-3'))).toBeUndefined(); // the number may go on
    expect(readTopLevelId(bytes('\ufeff{"\\u0069d":-3,'))).toBe(-3);
    expect(readTopLevelId(bytes('{"params":{"s":"\\"}\\"","id":1},"method":"x"'))).toBeUndefined();
    expect(readTopLevelId(bytes('{"id":null,"method":"x"}'))).toBeUndefined();
    expect(readTopLevelId(bytes('{"id":1.5,"method":"x"}'))).toBeUndefined();
    expect(readTopLevelId(bytes('{"id":{"x":1},"method":"x"}'))).toBeUndefined();
    expect(readTopLevelId(bytes('{"id":"unterminated'))).toBeUndefined();
    expect(readTopLevelId(bytes('[{"id":1}]'))).toBeUndefined();
    expect(readTopLevelId(bytes(''))).toBeUndefined();
  });

  it('should find the id of any object wherever it sits, and never a wrong one in any prefix (property)', () => {
    fc.assert(
      fc.property(withoutId, idArbitrary, fc.nat(), fc.boolean(), (object, id, position, spaced) => {
        const entries = Object.entries(object);
        entries.splice(position % (entries.length + 1), 0, ['id', id]);
        const text = JSON.stringify(Object.fromEntries(entries), null, spaced ? 1 : undefined);
        const whole = bytes(text);
        expect(readTopLevelId(whole)).toBe(id);
        for (let cut = 0; cut < whole.length; cut += Math.max(1, Math.floor(whole.length / 40))) {
          const found = readTopLevelId(whole.subarray(0, cut));
          if (found !== undefined) expect(found).toBe(id);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('should find the same id however the bytes are cut into pieces (property)', () => {
    fc.assert(
      fc.property(
        withoutId,
        idArbitrary,
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 20 }),
        (object, id, position, cuts) => {
          const entries = Object.entries(object);
          entries.splice(position % (entries.length + 1), 0, ['id', id]);
          const whole = bytes(JSON.stringify(Object.fromEntries(entries)));
          const scanner = new TopLevelIdScanner();
          let from = 0;
          for (const cut of [...cuts.map((c) => c % (whole.length + 1))].sort((a, b) => a - b)) {
            scanner.push(whole.subarray(from, Math.max(from, cut)));
            from = Math.max(from, cut);
          }
          scanner.push(whole.subarray(from));
          expect(scanner.id).toBe(id);
          expect(scanner.done).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('should find no id in an object that has none at its top level, whatever its nested ids (property)', () => {
    fc.assert(
      fc.property(withoutId, (object) => {
        const whole = bytes(JSON.stringify(object));
        for (let cut = 0; cut <= whole.length; cut++)
          expect(readTopLevelId(whole.subarray(0, cut))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('should never throw on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (random) => {
        const found = readTopLevelId(random);
        expect(found === undefined || typeof found === 'string' || Number.isSafeInteger(found)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
