// Filter SQL: a memory filter over alias `m`, relation validity and entity existence at a time.
import type { MemoryFilter } from '../memory-driver.js';
import { json } from './rows.js';

/** The SQL condition and parameters of a {@link MemoryFilter} over alias `m`. */
export function filterSql(filter: MemoryFilter): { sql: string; params: Record<string, unknown> } {
  const parts = ['m.namespace = @namespace', '(m.expires_at IS NULL OR m.expires_at > @now)'];
  const params: Record<string, unknown> = { namespace: filter.namespace, now: filter.now };
  if (filter.kinds && filter.kinds.length > 0) {
    parts.push('m.kind IN (SELECT value FROM json_each(@kinds))');
    params.kinds = json(filter.kinds);
  }
  if (filter.createdAfter !== undefined) {
    parts.push('m.created_at > @createdAfter');
    params.createdAfter = filter.createdAfter;
  }
  if (filter.createdBefore !== undefined) {
    parts.push('m.created_at < @createdBefore');
    params.createdBefore = filter.createdBefore;
  }
  if (filter.minImportance !== undefined) {
    parts.push('m.importance >= @minImportance');
    params.minImportance = filter.minImportance;
  }
  if (filter.maxImportance !== undefined) {
    parts.push('m.importance <= @maxImportance');
    params.maxImportance = filter.maxImportance;
  }
  if (filter.tagsAny && filter.tagsAny.length > 0) {
    parts.push(
      'EXISTS (SELECT 1 FROM memory_tags t WHERE t.namespace = m.namespace AND t.memory_rowid = m.rowid AND t.tag IN (SELECT value FROM json_each(@tagsAny)))',
    );
    params.tagsAny = json(filter.tagsAny);
  }
  if (filter.tagsAll && filter.tagsAll.length > 0) {
    const unique = [...new Set(filter.tagsAll)];
    parts.push(
      '(SELECT count(*) FROM memory_tags t WHERE t.namespace = m.namespace AND t.memory_rowid = m.rowid AND t.tag IN (SELECT value FROM json_each(@tagsAll))) = @tagsAllCount',
    );
    params.tagsAll = json(unique);
    params.tagsAllCount = unique.length;
  }
  if (filter.ids) {
    parts.push('m.id IN (SELECT value FROM json_each(@ids))');
    params.ids = json(filter.ids);
  }
  return { sql: parts.join(' AND '), params };
}

/** Relation validity: current ones, or those valid at `asOf`. */
export function validitySql(asOf: number | undefined, alias = 'r'): string {
  return asOf === undefined
    ? `${alias}.valid_to IS NULL`
    : `${alias}.valid_from <= @asOf AND (${alias}.valid_to IS NULL OR ${alias}.valid_to > @asOf)`;
}

/**
 * Entities that existed at `asOf`: created by then, or an end of a relation valid then (a relation recorded
 * later with a back-dated `validFrom` vouches for both ends).
 */
export function existedSql(asOf: number | undefined, alias = 'e'): string {
  return asOf === undefined
    ? '1'
    : `(${alias}.created_at <= @asOf OR EXISTS (SELECT 1 FROM relations r WHERE r.namespace = ${alias}.namespace ` +
        `AND (r.subject = ${alias}.name OR r.object = ${alias}.name) AND ${validitySql(asOf)}))`;
}
