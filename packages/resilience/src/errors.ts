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

const MARKER = Symbol.for('mimo.error.ResilienceError');

/**
 * The error raised by the policies themselves (never by the operations they run, whose errors pass
 * through unchanged). `data` carries what a caller needs to react, e.g. `retryAfterMs` for `BREAKER_OPEN`.
 *
 * @example
 * if (ResilienceError.isInstance(error) && error.code === 'BREAKER_OPEN') wait(error.data?.retryAfterMs);
 */
export class ResilienceError extends Error {
  override readonly name = 'ResilienceError';
  readonly code: ResilienceErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(
    code: ResilienceErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for a `ResilienceError` from any copy of this package. */
  static isInstance(value: unknown): value is ResilienceError {
    return typeof value === 'object' && value !== null && MARKER in value;
  }
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
