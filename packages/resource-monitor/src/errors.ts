export type ResourceMonitorErrorCode =
  /** An option, metric or threshold definition is invalid (the message names it and the rule). */
  | 'INVALID_ARGUMENT'
  /** A metric or threshold by that name is already registered. */
  | 'DUPLICATE_NAME';

const MARKER = Symbol.for('mimo.error.ResourceMonitorError');

/**
 * The error of `@mimo-mcp/resource-monitor`. Messages name the offending option or metric and the rule.
 *
 * @example
 * catch (error) { if (ResourceMonitorError.isInstance(error) && error.code === 'DUPLICATE_NAME') … }
 */
export class ResourceMonitorError extends Error {
  override readonly name = 'ResourceMonitorError';
  readonly code: ResourceMonitorErrorCode;
  readonly data: Record<string, unknown> | undefined;

  constructor(
    code: ResourceMonitorErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options?.data;
    Object.defineProperty(this, MARKER, { value: true });
  }

  /** True for a `ResourceMonitorError` from any copy of this package. */
  static isInstance(value: unknown): value is ResourceMonitorError {
    return typeof value === 'object' && value !== null && MARKER in value;
  }
}
