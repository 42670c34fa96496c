import { MimoError } from '@mimo-mcp/core';

export type ResourceMonitorErrorCode =
  /** An option, metric or threshold definition is invalid (the message names it and the rule). */
  | 'INVALID_ARGUMENT'
  /** A metric or threshold by that name is already registered. */
  | 'DUPLICATE_NAME';

/**
 * The error of `@mimo-mcp/resource-monitor`. Messages name the offending option or metric and the rule.
 *
 * @example
 * catch (error) { if (ResourceMonitorError.isInstance(error) && error.code === 'DUPLICATE_NAME') … }
 */
export class ResourceMonitorError extends MimoError<ResourceMonitorErrorCode> {
  static override readonly marker = Symbol.for('mimo.error.ResourceMonitorError');
  override readonly name = 'ResourceMonitorError';
}
