// The filter builder: a caller's namespace and filter options as the driver's `MemoryFilter`, used by
// list, count, deleteWhere and search alike.
import type { z } from 'zod';
import type { MemoryFilter } from '../driver/memory-driver.js';
import { parseOrThrow, resolveNamespace } from '../options.js';
import { FilterSchema, type MemoryFilterInput } from './schemas.js';

/** Validates filter options and builds the driver filter, in the given or the default namespace. */
export function parseFilter(input: MemoryFilterInput | undefined, defaultNamespace: string): MemoryFilter {
  const parsed = parseOrThrow(FilterSchema, input ?? {}, 'filter');
  return toMemoryFilter(parsed, resolveNamespace(parsed.namespace, defaultNamespace));
}

/** The driver filter of filter options already validated (a search's, parsed once for every namespace). */
export function toMemoryFilter(
  parsed: Omit<z.output<typeof FilterSchema>, 'namespace'>,
  namespace: string,
): MemoryFilter {
  const filter: MemoryFilter = { namespace, now: Date.now() };
  if (parsed.kinds) filter.kinds = parsed.kinds;
  if (parsed.tagsAny) filter.tagsAny = parsed.tagsAny;
  if (parsed.tagsAll) filter.tagsAll = parsed.tagsAll;
  if (parsed.createdAfter !== undefined) filter.createdAfter = parsed.createdAfter;
  if (parsed.createdBefore !== undefined) filter.createdBefore = parsed.createdBefore;
  if (parsed.minImportance !== undefined) filter.minImportance = parsed.minImportance;
  if (parsed.maxImportance !== undefined) filter.maxImportance = parsed.maxImportance;
  return filter;
}

/** Whether a filter restricts anything besides its namespace (and the expiry every read applies). */
export function filterRestricts(filter: MemoryFilter): boolean {
  return (
    filter.kinds !== undefined ||
    filter.tagsAny !== undefined ||
    filter.tagsAll !== undefined ||
    filter.createdAfter !== undefined ||
    filter.createdBefore !== undefined ||
    filter.minImportance !== undefined ||
    filter.maxImportance !== undefined
  );
}
