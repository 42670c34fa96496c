import { describe, expect, it } from 'vitest';
import { MimoError } from './mimo-error.js';

type ThingCode = 'INVALID_ARGUMENT' | 'CLOSED';

class ThingError extends MimoError<ThingCode> {
  static override readonly marker = Symbol.for('mimo.error.test.ThingError');
  override readonly name = 'ThingError';
}

class OtherError extends MimoError<'CLOSED'> {
  static override readonly marker = Symbol.for('mimo.error.test.OtherError');
  override readonly name = 'OtherError';
}

describe('MimoError', () => {
  it('should carry code, message, data and cause', () => {
    const cause = new Error('disk full');
    const error = new ThingError('INVALID_ARGUMENT', 'bad limit', { cause, data: { limit: 3 } });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ThingError', code: 'INVALID_ARGUMENT', message: 'bad limit' });
    expect(error.data).toEqual({ limit: 3 });
    expect(error.cause).toBe(cause);
    expect(String(error)).toBe('ThingError: bad limit');
  });

  it('should have no cause property when none is given', () => {
    const error = new ThingError('CLOSED', 'closed');
    expect('cause' in error).toBe(false);
    expect(error.data).toBeUndefined();
  });

  it('should recognise its own class only, and every Mimo error as a MimoError', () => {
    const thing = new ThingError('CLOSED', 'closed');
    const other = new OtherError('CLOSED', 'closed');
    expect(ThingError.isInstance(thing)).toBe(true);
    expect(ThingError.isInstance(other)).toBe(false);
    expect(OtherError.isInstance(thing)).toBe(false);
    expect(MimoError.isInstance(thing)).toBe(true);
    expect(MimoError.isInstance(other)).toBe(true);
    expect(ThingError.isInstance(new Error('plain'))).toBe(false);
    expect(ThingError.isInstance(null)).toBe(false);
    expect(ThingError.isInstance('ThingError')).toBe(false);
  });

  it('should recognise an error made by another copy of the package (the marker is a registered symbol)', () => {
    // A second install of the package defines its own class with the same registered marker.
    class ThingErrorCopy extends MimoError<ThingCode> {
      static override readonly marker = Symbol.for('mimo.error.test.ThingError');
      override readonly name = 'ThingError';
    }
    const fromCopy = new ThingErrorCopy('CLOSED', 'closed');
    expect(fromCopy).not.toBeInstanceOf(ThingError);
    expect(ThingError.isInstance(fromCopy)).toBe(true);
    expect(ThingErrorCopy.isInstance(new ThingError('CLOSED', 'closed'))).toBe(true);
  });

  it('should keep the marker out of enumeration and JSON', () => {
    const error = new ThingError('CLOSED', 'closed', { data: { id: 1 } });
    expect(Object.getOwnPropertySymbols(error)).toHaveLength(2);
    expect(Object.keys(error).sort()).toEqual(['code', 'data', 'name']);
  });
});
