import { describe, expect, it } from 'vitest';
import { MimoError } from './mimo-error.js';
import { type OptionKeys, rejectUnknownOptions } from './options.js';

class ThingError extends MimoError<'INVALID_ARGUMENT'> {
  static override readonly marker = Symbol.for('mimo.error.test.OptionsThingError');
  override readonly name = 'ThingError';
}

interface ThingOptions {
  requestTimeoutMs?: number;
  tokens?: string[];
}
const KEYS = { requestTimeoutMs: true, tokens: true } satisfies OptionKeys<ThingOptions>;

/** The error `rejectUnknownOptions` throws for `options` (undefined when it accepts them). */
function rejection(options: object, factory = 'createThing'): unknown {
  return (() => {
    try {
      return rejectUnknownOptions(factory, options, KEYS, ThingError);
    } catch (error) {
      return error;
    }
  })();
}

describe('rejectUnknownOptions', () => {
  it('should accept known options and an empty object', () => {
    expect(rejection({})).toBeUndefined();
    expect(rejection({ tokens: [] })).toBeUndefined();
  });

  it("should throw the package's own INVALID_ARGUMENT naming the key, the likely misspelling and the accepted keys", () => {
    const error = rejection({ tokenz: ['a'], extra: 1 });
    expect(ThingError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'createThing: unknown option "tokenz" (did you mean "tokens"?); accepted options: requestTimeoutMs, tokens',
      data: { option: 'tokenz', unknown: ['tokenz', 'extra'] },
    });
  });

  it('should suggest a key that differs only in case, and none when nothing is close', () => {
    const near = rejection({ requestTimeoutMS: 1 }, 'f');
    expect((near as Error).message).toMatch(
      /unknown option "requestTimeoutMS" \(did you mean "requestTimeoutMs"\?\)/,
    );
    const far = rejection({ somethingElse: 1 }, 'f');
    expect((far as Error).message).toBe(
      'f: unknown option "somethingElse"; accepted options: requestTimeoutMs, tokens',
    );
  });
});
