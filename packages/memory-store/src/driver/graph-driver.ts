import type { KeywordTerm } from '../search/keyword-query.js';
import type { MaybePromise } from './memory-driver.js';

export interface EntityRow {
  namespace: string;
  name: string;
  entityType: string;
  observations: string[];
  /**
   * When each observation was added, parallel to `observations` (reads `asOf` a time leave out later
   * ones). A driver that does not track it omits it; `updatedAt` then stands for every observation.
   */
  observedAt?: number[];
  createdAt: number;
  updatedAt: number;
}

export interface RelationRow {
  namespace: string;
  subject: string;
  predicate: string;
  object: string;
  validFrom: number;
  validTo: number | null;
  source: string | null;
  confidence: number;
  createdAt: number;
}

export interface NewRelation {
  subject: string;
  predicate: string;
  object: string;
  validFrom?: number;
  source?: string | null;
  confidence?: number;
}

export interface GraphDriver {
  /** Creates entities whose names are new; returns the ones created (existing names are skipped). */
  createEntities(
    namespace: string,
    entities: ReadonlyArray<{ name: string; entityType: string; observations: string[] }>,
    now: number,
  ): MaybePromise<EntityRow[]>;
  /**
   * The named entities, by name. With `asOf`, only those that existed then: created by then, or an end of
   * a relation valid then.
   */
  getEntities(namespace: string, names: readonly string[], asOf?: number): MaybePromise<EntityRow[]>;
  /** Appends observations not already present; returns what was added per entity. NOT_FOUND if an entity is missing. */
  addObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; contents: string[] }>,
    now: number,
  ): MaybePromise<Array<{ entityName: string; addedObservations: string[] }>>;
  deleteObservations(
    namespace: string,
    items: ReadonlyArray<{ entityName: string; observations: string[] }>,
    now: number,
  ): MaybePromise<void>;
  /** Deletes entities and every relation touching them; returns the names deleted. */
  deleteEntities(namespace: string, names: readonly string[]): MaybePromise<string[]>;
  /**
   * Creates relations (current ones that already exist are skipped). Both ends must exist (NOT_FOUND names
   * them). For a single-valued predicate, a current triple with the same subject and another object is
   * closed (valid_to = validFrom) instead of deleted.
   */
  createRelations(
    namespace: string,
    relations: readonly NewRelation[],
    now: number,
  ): MaybePromise<RelationRow[]>;
  /** Deletes the current relations matching each (subject, predicate, object); returns how many. */
  deleteRelations(
    namespace: string,
    relations: ReadonlyArray<{ subject: string; predicate: string; object: string }>,
  ): MaybePromise<number>;
  /** Declares a predicate single-valued (or not). */
  setPredicate(namespace: string, predicate: string, singleValued: boolean): MaybePromise<void>;
  singleValuedPredicates(namespace: string): MaybePromise<string[]>;
  /** A page of entities by name, and the relations among the page's entities and others (current, or valid at `asOf`, with only the entities that existed then). */
  readGraph(
    namespace: string,
    page: { limit: number; cursor?: string | undefined },
    asOf: number | undefined,
  ): MaybePromise<{ entities: EntityRow[]; relations: RelationRow[]; nextCursor: string | undefined }>;
  /** Relations touching any of these entities (both ends in the set when `between`), valid as of `asOf` (current when undefined). */
  relationsOf(
    namespace: string,
    names: readonly string[],
    options: { between: boolean; asOf: number | undefined },
  ): MaybePromise<RelationRow[]>;
  /** Keyword search over entity names, types and observations. */
  searchEntities(
    namespace: string,
    terms: readonly KeywordTerm[],
    limit: number,
  ): MaybePromise<Array<{ name: string; bm25: number }>>;
  /** Entities reachable within `maxDepth` hops, with their shortest distance (recursive CTE). */
  neighborhood(
    namespace: string,
    start: string,
    options: TraversalOptions,
  ): MaybePromise<Array<{ name: string; depth: number }>>;
  /** A shortest path from `from` to `to` as entity names, or undefined (recursive CTE, exact cycle check). */
  shortestPath(
    namespace: string,
    from: string,
    to: string,
    options: TraversalOptions,
  ): MaybePromise<string[] | undefined>;
  entityCount(namespace: string): MaybePromise<number>;
  /** All entities of a namespace, for (re)embedding. */
  iterateEntities(namespace: string): Iterable<EntityRow> | AsyncIterable<EntityRow>;
}

export interface TraversalOptions {
  maxDepth: number;
  /** `out` follows subject → object, `in` object → subject, `both` either. */
  direction: 'out' | 'in' | 'both';
  predicates?: readonly string[];
  /** Only relations valid at this time (current when undefined). */
  asOf?: number | undefined;
}
