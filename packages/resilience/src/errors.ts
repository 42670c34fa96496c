import { MimoError } from '@mimo-mcp/core';

/** Codes of {@link ResilienceError}. */
export type ResilienceErrorCode =
  /** The circuit breaker is open (or half-open with its one trial call already running). */
  | 'BREAKER_OPEN'
  /** The bulkhead has no free slot and no free queue place. */
  | 'BULKHEAD_FULL'
  /** The operation did not finish within the timeout. */
  | 'TIMEOUT'
  /** The caller's signal aborted the operation (or a wait before it). */
  | 'ABORTED'
  /** An option or argument is invalid. */
  | 'INVALID_ARGUMENT';

/**
 * The error raised by the policies themselves (never by the operations they run, whose errors pass
 * through unchanged). `data` carries what a caller needs to react, e.g. `retryAfterMs` for `BREAKER_OPEN`.
 *
 * @example
 * if (ResilienceError.isInstance(error) && error.code === 'BREAKER_OPEN') wait(error.data?.retryAfterMs);
 */
export class ResilienceError extends MimoError<ResilienceErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.ResilienceError');
  override readonly name = 'ResilienceError';
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number ≥ `min` (and an integer when asked). */
export function assertNumber(name: string, value: number, min: number, integer = false): void {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new ResilienceError(
      'INVALID_ARGUMENT',
      `${name} must be ${integer ? 'an integer' : 'a finite number'} ≥ ${min}, got ${String(value)}`,
    );
  }
}
