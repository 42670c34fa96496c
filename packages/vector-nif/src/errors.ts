import { MimoError } from '@mimo-mcp/core';

/** Codes of {@link VectorError}. */
export type VectorErrorCode =
  /** Two vectors, or a vector and a matrix, disagree on the number of dimensions. */
  | 'DIMENSION_MISMATCH'
  /** A vector has no elements. */
  | 'EMPTY_VECTOR'
  /** A vector holds NaN or ±Infinity. */
  | 'NON_FINITE'
  /** An argument is of the wrong type or out of range (k, dims, ids, options, a corrupt buffer). */
  | 'INVALID_ARGUMENT'
  /** The native addon is required (`MIMO_VECTOR_BACKEND=native`) but cannot be loaded. */
  | 'NATIVE_UNAVAILABLE'
  /** An unexpected failure inside the native addon (a bug); the process keeps running. */
  | 'INTERNAL';

/**
 * The error of this package. Both backends throw the same code and message for the same bad input.
 *
 * @example
 * try { dot(a, b); } catch (error) { if (VectorError.isInstance(error) && error.code === 'DIMENSION_MISMATCH') … }
 */
export class VectorError extends MimoError<VectorErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.VectorError');
  override readonly name = 'VectorError';
}
