/**
 * True for a non-null object that is not an array: a JSON object, an options bag.
 *
 * @example
 * if (isRecord(params) && typeof params.name === 'string') …
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
