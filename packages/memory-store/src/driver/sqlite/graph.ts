// The knowledge graph over SQLite.
import { MemoryStoreError } from '../../errors.js';
import { type KeywordTerm, quoteFtsTerm } from '../../search/keyword-query.js';
import type { EntityRow, GraphDriver, NewRelation, RelationRow, TraversalOptions } from '../graph-driver.js';
import type { SqliteConnection } from './connection.js';
import { existedSql, validitySql } from './filters.js';
import {
  decodeCursor,
  type EntitySqlRow,
  encodeCursor,
  json,
  observationTimes,
  type RelationSqlRow,
  toEntity,
  toRelation,
} from './rows.js';

/** The SQLite knowledge graph: entities (with FTS), relations valid over time, recursive-CTE traversals. */
export class SqliteGraph implements GraphDriver {
  readonly #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  #statement(sql: string) {
    return this.#connection.statement(sql);
  }

  #ftsText(entity: { name: string; entityType: string; observations: string[] }): [string, string, string] {
    return [entity.name, entity.entityType, entity.observations.join('\n')];
  }

  /** Inserts or replaces one entity and its FTS entry (inside the caller's transaction). */
  putEntity(
    entity: {
      namespace: string;
      name: string;
      entityType: string;
      observations: string[];
      observedAt?: number[];
      createdAt: number;
      updatedAt: number;
    },
    exists: boolean,
  ): void {
    const observedAt = json(observationTimes(entity));
    if (exists) {
      const old = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
        entity.namespace,
        entity.name,
      ) as EntitySqlRow;
      this.#statement(
        "INSERT INTO entities_fts (entities_fts, rowid, name, entity_type, observations) VALUES ('delete', ?, ?, ?, ?)",
      ).run(old.rowid, ...this.#ftsText(toEntity(old)));
      this.#statement(
        'UPDATE entities SET entity_type = ?, observations = ?, observed_at = ?, updated_at = ? WHERE rowid = ?',
      ).run(entity.entityType, json(entity.observations), observedAt, entity.updatedAt, old.rowid);
      this.#statement(
        'INSERT INTO entities_fts (rowid, name, entity_type, observations) VALUES (?, ?, ?, ?)',
      ).run(old.rowid, ...this.#ftsText(entity));
      return;
    }
    const info = this.#statement(
      'INSERT INTO entities (namespace, name, entity_type, observations, observed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(
      entity.namespace,
      entity.name,
      entity.entityType,
      json(entity.observations),
      observedAt,
      entity.createdAt,
      entity.updatedAt,
    );
    this.#statement(
      'INSERT INTO entities_fts (rowid, name, entity_type, observations) VALUES (?, ?, ?, ?)',
    ).run(info.lastInsertRowid, ...this.#ftsText(entity));
  }

  createEntities(
    namespace: string,
    entities: ReadonlyArray<{ name: string; entityType: string; observations: string[] }>,
    now: number,
  ): EntityRow[] {
    return this.#connection.write('Creating entities', () => {
      const created: EntityRow[] = [];
      const exists = this.#statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?');
      for (const entity of entities) {
        if (exists.get(namespace, entity.name)) continue;
        const observations = [...new Set(entity.observations)];
        const row = {
          namespace,
          name: entity.name,
          entityType: entity.entityType,
          observations,
          observedAt: observations.map(() => now),
          createdAt: now,
          updatedAt: now,
        };
        this.putEntity(row, false);
        created.push(row);
      }
      return created;
    });
  }

  getEntities(namespace: string, names: readonly string[], asOf?: number): EntityRow[] {
    if (names.length === 0) return [];
    return (
      this.#statement(
        `SELECT * FROM entities e WHERE e.namespace = @namespace AND e.name IN (SELECT value FROM json_each(@names)) AND ${existedSql(asOf)} ORDER BY e.name`,
      ).all({ namespace, names: json(names), ...(asOf === undefined ? {} : { asOf }) }) as EntitySqlRow[]
    ).map(toEntity);
  }

  #requireEntity(namespace: string, name: string): EntityRow {
    const row = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
      namespace,
      name,
    ) as EntitySqlRow | undefined;
    if (!row)
      throw new MemoryStoreError('NOT_FOUND', `Entity with name ${JSON.stringify(name)} not found`, {
        data: { name },
      });
    return toEntity(row);
  }

  addObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; contents: string[] }>,
    now: number,
  ) {
    return this.#connection.write('Adding observations', () =>
      items.map((item) => {
        const entity = this.#requireEntity(namespace, item.entityName);
        const present = new Set(entity.observations);
        const added = [...new Set(item.contents)].filter((observation) => !present.has(observation));
        if (added.length > 0) {
          this.putEntity(
            {
              ...entity,
              observations: [...entity.observations, ...added],
              observedAt: [...observationTimes(entity), ...added.map(() => now)],
              updatedAt: now,
            },
            true,
          );
        }
        return { entityName: item.entityName, addedObservations: added };
      }),
    );
  }

  deleteObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; observations: string[] }>,
    now: number,
  ): void {
    this.#connection.write('Deleting observations', () => {
      for (const item of items) {
        const row = this.#statement('SELECT * FROM entities WHERE namespace = ? AND name = ?').get(
          namespace,
          item.entityName,
        ) as EntitySqlRow | undefined;
        if (!row) continue;
        const entity = toEntity(row);
        const remove = new Set(item.observations);
        const times = observationTimes(entity);
        const keep = entity.observations.map((observation) => !remove.has(observation));
        if (keep.includes(false)) {
          this.putEntity(
            {
              ...entity,
              observations: entity.observations.filter((_observation, i) => keep[i]),
              observedAt: times.filter((_time, i) => keep[i]),
              updatedAt: now,
            },
            true,
          );
        }
      }
    });
  }

  deleteEntities(namespace: string, names: readonly string[]): string[] {
    if (names.length === 0) return [];
    return this.#connection.write('Deleting entities', () => {
      const rows = this.#statement(
        'SELECT * FROM entities WHERE namespace = ? AND name IN (SELECT value FROM json_each(?))',
      ).all(namespace, json(names)) as EntitySqlRow[];
      for (const row of rows) {
        this.#statement(
          "INSERT INTO entities_fts (entities_fts, rowid, name, entity_type, observations) VALUES ('delete', ?, ?, ?, ?)",
        ).run(row.rowid, ...this.#ftsText(toEntity(row)));
        // Relations touching the entity go with it (ON DELETE CASCADE).
        this.#statement('DELETE FROM entities WHERE rowid = ?').run(row.rowid);
      }
      return rows.map((row) => row.name);
    });
  }

  createRelations(namespace: string, relations: readonly NewRelation[], now: number): RelationRow[] {
    return this.#connection.write('Creating relations', () => {
      const known = this.#statement('SELECT 1 FROM entities WHERE namespace = ? AND name = ?');
      const missing = new Set<string>();
      for (const relation of relations) {
        if (!known.get(namespace, relation.subject)) missing.add(relation.subject);
        if (!known.get(namespace, relation.object)) missing.add(relation.object);
      }
      if (missing.size > 0) {
        throw new MemoryStoreError(
          'NOT_FOUND',
          `Relations refer to entities that do not exist: ${[...missing].map((n) => JSON.stringify(n)).join(', ')}; create them first`,
          { data: { names: [...missing] } },
        );
      }
      const single = new Set(this.singleValuedPredicates(namespace));
      const current = this.#statement(
        'SELECT 1 FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
      );
      const close = this.#statement(
        'UPDATE relations SET valid_to = max(valid_from, ?) WHERE namespace = ? AND subject = ? AND predicate = ? AND object != ? AND valid_to IS NULL',
      );
      const insert = this.#statement(
        'INSERT INTO relations (namespace, subject, predicate, object, valid_from, valid_to, source, confidence, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)',
      );
      const created: RelationRow[] = [];
      for (const relation of relations) {
        if (current.get(namespace, relation.subject, relation.predicate, relation.object)) continue;
        const validFrom = relation.validFrom ?? now;
        if (single.has(relation.predicate))
          close.run(validFrom, namespace, relation.subject, relation.predicate, relation.object);
        const row: RelationRow = {
          namespace,
          subject: relation.subject,
          predicate: relation.predicate,
          object: relation.object,
          validFrom,
          validTo: null,
          source: relation.source ?? null,
          confidence: relation.confidence ?? 1,
          createdAt: now,
        };
        insert.run(
          namespace,
          row.subject,
          row.predicate,
          row.object,
          row.validFrom,
          row.source,
          row.confidence,
          now,
        );
        created.push(row);
      }
      return created;
    });
  }

  deleteRelations(
    namespace: string,
    relations: ReadonlyArray<{ subject: string; predicate: string; object: string }>,
  ): number {
    return this.#connection.write('Deleting relations', () => {
      const remove = this.#statement(
        'DELETE FROM relations WHERE namespace = ? AND subject = ? AND predicate = ? AND object = ? AND valid_to IS NULL',
      );
      let count = 0;
      for (const relation of relations)
        count += remove.run(namespace, relation.subject, relation.predicate, relation.object).changes;
      return count;
    });
  }

  setPredicate(namespace: string, predicate: string, singleValued: boolean): void {
    this.#statement(
      'INSERT INTO predicates (namespace, name, single_valued) VALUES (?, ?, ?) ON CONFLICT (namespace, name) DO UPDATE SET single_valued = excluded.single_valued',
    ).run(namespace, predicate, singleValued ? 1 : 0);
  }

  singleValuedPredicates(namespace: string): string[] {
    return (
      this.#statement(
        'SELECT name FROM predicates WHERE namespace = ? AND single_valued = 1 ORDER BY name',
      ).all(namespace) as Array<{
        name: string;
      }>
    ).map((row) => row.name);
  }

  readGraph(
    namespace: string,
    page: { limit: number; cursor?: string | undefined },
    asOf: number | undefined,
  ) {
    const after = page.cursor
      ? decodeCursor(
          page.cursor,
          (value): value is { n: string } => typeof (value as { n?: unknown })?.n === 'string',
        ).n
      : '';
    const rows = (
      this.#statement(
        `SELECT * FROM entities e WHERE e.namespace = @namespace AND e.name > @after AND ${existedSql(asOf)} ORDER BY e.name LIMIT @limit`,
      ).all({
        namespace,
        after,
        limit: page.limit + 1,
        ...(asOf === undefined ? {} : { asOf }),
      }) as EntitySqlRow[]
    ).map(toEntity);
    const more = rows.length > page.limit;
    if (more) rows.pop();
    const relations = this.relationsOf(
      namespace,
      rows.map((row) => row.name),
      { between: false, asOf },
    ).filter((relation) => rows.some((row) => row.name === relation.subject));
    const last = rows.at(-1);
    return {
      entities: rows,
      relations,
      nextCursor: more && last ? encodeCursor({ n: last.name }) : undefined,
    };
  }

  relationsOf(
    namespace: string,
    names: readonly string[],
    options: { between: boolean; asOf: number | undefined },
  ): RelationRow[] {
    if (names.length === 0) return [];
    const join = options.between ? 'AND' : 'OR';
    return (
      this.#statement(
        `SELECT * FROM relations r WHERE r.namespace = @namespace AND ${validitySql(options.asOf)} AND ` +
          `(r.subject IN (SELECT value FROM json_each(@names)) ${join} r.object IN (SELECT value FROM json_each(@names))) ORDER BY r.id`,
      ).all({
        namespace,
        names: json(names),
        ...(options.asOf === undefined ? {} : { asOf: options.asOf }),
      }) as RelationSqlRow[]
    ).map(toRelation);
  }

  searchEntities(
    namespace: string,
    terms: readonly KeywordTerm[],
    limit: number,
  ): Array<{ name: string; bm25: number }> {
    if (terms.length === 0) return [];
    return this.#statement(
      'SELECT e.name AS name, bm25(entities_fts, 3.0, 1.0, 1.0) AS bm25 FROM entities_fts JOIN entities e ON e.rowid = entities_fts.rowid ' +
        'WHERE entities_fts MATCH ? AND e.namespace = ? ORDER BY bm25 LIMIT ?',
    ).all(terms.map(quoteFtsTerm).join(' OR '), namespace, limit) as Array<{ name: string; bm25: number }>;
  }

  #edgeParams(
    namespace: string,
    options: TraversalOptions,
  ): { clause: string; params: Record<string, unknown> } {
    const params: Record<string, unknown> = { namespace, maxDepth: options.maxDepth };
    let clause = validitySql(options.asOf);
    if (options.asOf !== undefined) params.asOf = options.asOf;
    if (options.predicates && options.predicates.length > 0) {
      clause += ' AND r.predicate IN (SELECT value FROM json_each(@predicates))';
      params.predicates = json(options.predicates);
    }
    return { clause, params };
  }

  /**
   * Breadth-first reachability as a recursive CTE over (entity, depth) pairs: `UNION` keeps each pair once,
   * so the work is bounded by entities × depth, cycles included, with no path strings to compare.
   */
  #reachSql(direction: TraversalOptions['direction'], clause: string): string {
    const steps: string[] = [];
    if (direction !== 'in') {
      steps.push(
        `SELECT r.object, reach.depth + 1 FROM reach JOIN relations r ON r.namespace = @namespace AND r.subject = reach.name ` +
          `WHERE reach.depth < @maxDepth AND ${clause}`,
      );
    }
    if (direction !== 'out') {
      steps.push(
        `SELECT r.subject, reach.depth + 1 FROM reach JOIN relations r ON r.namespace = @namespace AND r.object = reach.name ` +
          `WHERE reach.depth < @maxDepth AND ${clause}`,
      );
    }
    return `reach(name, depth) AS (SELECT @start, 0 UNION ${steps.join(' UNION ')})`;
  }

  neighborhood(
    namespace: string,
    start: string,
    options: TraversalOptions,
  ): Array<{ name: string; depth: number }> {
    const { clause, params } = this.#edgeParams(namespace, options);
    return this.#statement(
      `WITH RECURSIVE ${this.#reachSql(options.direction, clause)} ` +
        'SELECT name, min(depth) AS depth FROM reach WHERE name != @start GROUP BY name ORDER BY depth, name',
    ).all({ ...params, start }) as Array<{ name: string; depth: number }>;
  }

  /**
   * Shortest path in two recursive CTEs: first the BFS distance of every reachable entity (as in
   * `neighborhood`); then paths that only step from depth d to an entity at distance d + 1, carried as a
   * JSON array whose membership test compares whole names (`json_each.value = next`, never a substring).
   * Following only the BFS layers keeps the second walk on shortest paths, and `LIMIT 1` stops it at the
   * first one found.
   */
  shortestPath(namespace: string, from: string, to: string, options: TraversalOptions): string[] | undefined {
    if (from === to) return [from];
    const { clause, params } = this.#edgeParams(namespace, options);
    const steps: string[] = [];
    const step = (nextColumn: 'object' | 'subject', joinColumn: 'subject' | 'object') =>
      `SELECT r.${nextColumn}, walk.depth + 1, json_insert(walk.path, '$[#]', r.${nextColumn}) FROM walk ` +
      `JOIN relations r ON r.namespace = @namespace AND r.${joinColumn} = walk.name ` +
      `JOIN distance d ON d.name = r.${nextColumn} AND d.depth = walk.depth + 1 ` +
      `WHERE walk.name != @to AND ${clause} AND NOT EXISTS (SELECT 1 FROM json_each(walk.path) WHERE json_each.value = r.${nextColumn})`;
    if (options.direction !== 'in') steps.push(step('object', 'subject'));
    if (options.direction !== 'out') steps.push(step('subject', 'object'));
    const row = this.#statement(
      `WITH RECURSIVE ${this.#reachSql(options.direction, clause)}, ` +
        'distance(name, depth) AS (SELECT name, min(depth) FROM reach GROUP BY name), ' +
        `walk(name, depth, path) AS (SELECT @start, 0, json_array(@start) UNION ALL ${steps.join(' UNION ALL ')} ORDER BY 2) ` +
        'SELECT path FROM walk WHERE name = @to LIMIT 1',
    ).get({ ...params, start: from, to }) as { path: string } | undefined;
    return row ? (JSON.parse(row.path) as string[]) : undefined;
  }

  entityCount(namespace: string): number {
    return (
      this.#statement('SELECT count(*) AS n FROM entities WHERE namespace = ?').get(namespace) as {
        n: number;
      }
    ).n;
  }

  *iterateEntities(namespace: string): IterableIterator<EntityRow> {
    let after = '';
    for (;;) {
      const rows = (
        this.#statement(
          'SELECT * FROM entities WHERE namespace = ? AND name > ? ORDER BY name LIMIT 500',
        ).all(namespace, after) as EntitySqlRow[]
      ).map(toEntity);
      if (rows.length === 0) return;
      after = (rows.at(-1) as EntityRow).name;
      yield* rows;
    }
  }
}
