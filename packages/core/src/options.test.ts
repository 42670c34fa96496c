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

function thrown(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('rejectUnknownOptions', () => {
  it('should accept known options and an empty object', () => {
    expect(() => rejectUnknownOptions('createThing', {}, KEYS, ThingError)).not.toThrow();
    expect(() => rejectUnknownOptions('createThing', { tokens: [] }, KEYS, ThingError)).not.toThrow();
  });

  it("should throw the package's own INVALID_ARGUMENT naming the key, the likely misspelling and the accepted keys", () => {
    const error = thrown(() =>
      rejectUnknownOptions('createThing', { tokenz: ['a'], extra: 1 }, KEYS, ThingError),
    );
    expect(ThingError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message:
        'createThing: unknown option "tokenz" (did you mean "tokens"?); accepted options: requestTimeoutMs, tokens',
      data: { option: 'tokenz', unknown: ['tokenz', 'extra'] },
    });
  });

  it('should suggest a key that differs only in case, and none when nothing is close', () => {
    const near = thrown(() => rejectUnknownOptions('f', { requestTimeoutMS: 1 }, KEYS, ThingError));
    expect((near as Error).message).toMatch(
      /unknown option "requestTimeoutMS" \(did you mean "requestTimeoutMs"\?\)/,
    );
    const far = thrown(() => rejectUnknownOptions('f', { somethingElse: 1 }, KEYS, ThingError));
    expect((far as Error).message).toBe(
      'f: unknown option "somethingElse"; accepted options: requestTimeoutMs, tokens',
    );
  });
});
