import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from './hash.js';

/** The definition: SHA-256 of the NFC text, trimmed, with whitespace runs collapsed to one space. */
const reference = (content: string) =>
  hash('sha256', content.normalize('NFC').trim().replace(/\s+/g, ' '), 'hex');

const word = fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom(...'abcXYZ09!~-_.é\u0301') });
const spacing = fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', '');

describe('contentHash', () => {
  it('should equal the normalising definition for any text, fast path or not (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          fc.array(fc.tuple(word, spacing), { maxLength: 12 }).map((parts) => parts.flat().join('')),
        ),
        (content) => {
          expect(contentHash(content)).toBe(reference(content));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('should make the same words typed twice the same key', () => {
    expect(contentHash('  deploy   on\tFridays \n')).toBe(contentHash('deploy on Fridays'));
    // Composed and decomposed é are one character after NFC.
    expect(contentHash('caf\u00e9')).toBe(contentHash('cafe\u0301'));
    expect(contentHash('deploy on Fridays')).not.toBe(contentHash('deploy on fridays'));
  });
});
