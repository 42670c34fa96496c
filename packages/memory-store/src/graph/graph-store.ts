import { VectorIndex } from '@mimo-mcp/vector-nif';
import { z } from 'zod';
import type { EntityRow, RelationRow, TraversalOptions } from '../driver/graph-driver.js';
import type { StorageDriver } from '../driver/memory-driver.js';
import type { CachedEmbedder } from '../embedding/cached-embedder.js';
import { MemoryStoreError } from '../errors.js';
import { parseOrThrow, resolveNamespace } from '../options.js';
import { reciprocalRankFusion } from '../search/fusion.js';
import { parseKeywordQuery } from '../search/keyword-query.js';

/** An entity: a named node with a type and observations (the official memory server's model). */
export interface Entity {
  /** The namespace it lives in. */
  namespace: string;
  name: string;
  entityType: string;
  observations: string[];
  createdAt: string;
  updatedAt: string;
}

/** A relation as a bi-temporal triple. `validTo` null means current. */
export interface Relation {
  /** The namespace it lives in. */
  namespace: string;
  subject: string;
  predicate: string;
  object: string;
  validFrom: string;
  validTo: string | null;
  source: string | null;
  confidence: number;
}

const NameSchema = z
  .string()
  .min(1, 'an entity name must not be empty')
  .max(256, 'an entity name has at most 256 characters');
const ObservationSchema = z
  .string()
  .min(1, 'an observation must not be empty')
  .max(10_000, 'an observation has at most 10,000 characters');

const EntityInputSchema = z.strictObject({
  name: NameSchema,
  entityType: z.string().min(1).max(128),
  observations: z.array(ObservationSchema).max(1000).default([]),
});

/** Accepts the official `{ from, to, relationType }` shape or `{ subject, predicate, object, … }`. */
const RelationInputSchema = z.union([
  z.strictObject({ from: NameSchema, to: NameSchema, relationType: z.string().min(1).max(128) }),
  z.strictObject({
    subject: NameSchema,
    predicate: z.string().min(1).max(128),
    object: NameSchema,
    validFrom: z.union([z.date(), z.number(), z.iso.datetime({ offset: true })]).optional(),
    source: z.string().max(512).optional(),
    confidence: z.number().min(0).max(1).optional(),
  }),
]);
export type RelationInput = z.input<typeof RelationInputSchema>;

const TimeInput = z
  .union([z.date(), z.number(), z.iso.datetime({ offset: true })])
  .transform((value) => new Date(value).getTime());

const TraversalSchema = z.strictObject({
  namespace: z.string().optional(),
  /** Hops (1 … 6). @default 2 */
  depth: z.int().min(1).max(6).default(2),
  /** @default 'both' */
  direction: z.enum(['out', 'in', 'both']).default('both'),
  predicates: z.array(z.string().min(1)).max(64).optional(),
  /**
   * Read the graph as it was at this time: relations valid then (`validFrom` ≤ asOf < `validTo`), entities
   * that existed then (created by then, or an end of such a relation), each with only the observations it
   * had then. Current relations when omitted.
   */
  asOf: TimeInput.optional(),
});

function notFound(names: readonly string[], asOf: number | undefined): MemoryStoreError {
  const subject =
    names.length === 1
      ? `Entity with name ${JSON.stringify(names[0])}`
      : `Entities ${names.map((name) => JSON.stringify(name)).join(', ')}`;
  return new MemoryStoreError(
    'NOT_FOUND',
    asOf === undefined
      ? `${subject} not found`
      : `${subject} did not exist at ${new Date(asOf).toISOString()}`,
    { data: { names, ...(asOf === undefined ? {} : { asOf }) } },
  );
}

/** What the graph shares with its memory store: the file, the embedder and its caches, the default namespace. */
interface GraphContext {
  driver: StorageDriver;
  embedder: CachedEmbedder;
  defaultNamespace: string;
  assertOpen(): void;
}

/** An entity as the caller sees it; `asOf` leaves out observations added after that time. */
function toEntity(row: EntityRow, asOf?: number): Entity {
  return {
    namespace: row.namespace,
    name: row.name,
    entityType: row.entityType,
    observations:
      asOf === undefined
        ? row.observations
        : row.observations.filter((_observation, i) => (row.observedAt?.[i] ?? row.updatedAt) <= asOf),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function toRelation(row: RelationRow): Relation {
  return {
    namespace: row.namespace,
    subject: row.subject,
    predicate: row.predicate,
    object: row.object,
    validFrom: new Date(row.validFrom).toISOString(),
    validTo: row.validTo === null ? null : new Date(row.validTo).toISOString(),
    source: row.source,
    confidence: row.confidence,
  };
}

function entityText(entity: EntityRow): string {
  return `${entity.name} (${entity.entityType}): ${entity.observations.join('. ')}`;
}

/**
 * The knowledge graph: the operations of the official `@modelcontextprotocol/server-memory` (same names
 * and semantics, so its users can switch), plus bi-temporal relations, single-valued predicates that
 * supersede instead of delete, hybrid node search, and n-hop / shortest-path traversal. Obtain it as
 * `store.graph`.
 */
export class GraphStore {
  readonly #context: GraphContext;
  /** Entity vectors per namespace, rebuilt when the graph changed. */
  readonly #indexes = new Map<string, { index: VectorIndex; token: number; model: string; dirty: boolean }>();

  /** @internal created by the memory store */
  constructor(context: GraphContext) {
    this.#context = context;
  }

  #namespace(value: string | undefined): string {
    return resolveNamespace(value, this.#context.defaultNamespace);
  }

  #touch(namespace: string): void {
    const cached = this.#indexes.get(namespace);
    if (cached) cached.dirty = true;
  }

  /** Creates entities with new names; existing names are left as they are. Returns those created. */
  async createEntities(
    entities: ReadonlyArray<z.input<typeof EntityInputSchema>>,
    options: { namespace?: string } = {},
  ): Promise<Entity[]> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(z.array(EntityInputSchema).max(10_000), entities, 'entities');
    const created = await this.#context.driver.graph.createEntities(namespace, parsed, Date.now());
    this.#touch(namespace);
    return created.map((row) => toEntity(row));
  }

  /**
   * Creates relations between existing entities (both ends must exist: `NOT_FOUND` names the missing ones).
   * Current relations that already exist are skipped. For a predicate declared single-valued, a new object
   * closes the previous triple's validity instead of deleting it.
   */
  async createRelations(
    relations: readonly RelationInput[],
    options: { namespace?: string } = {},
  ): Promise<Relation[]> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(z.array(RelationInputSchema).max(10_000), relations, 'relations');
    const rows = await this.#context.driver.graph.createRelations(
      namespace,
      parsed.map((relation) =>
        'from' in relation
          ? { subject: relation.from, predicate: relation.relationType, object: relation.to }
          : {
              subject: relation.subject,
              predicate: relation.predicate,
              object: relation.object,
              ...(relation.validFrom === undefined
                ? {}
                : { validFrom: new Date(relation.validFrom).getTime() }),
              ...(relation.source === undefined ? {} : { source: relation.source }),
              ...(relation.confidence === undefined ? {} : { confidence: relation.confidence }),
            },
      ),
      Date.now(),
    );
    return rows.map(toRelation);
  }

  /** Adds observations not already present. `NOT_FOUND` if an entity does not exist (nothing is written). */
  async addObservations(
    items: ReadonlyArray<{ entityName: string; contents: string[] }>,
    options: { namespace?: string } = {},
  ): Promise<Array<{ entityName: string; addedObservations: string[] }>> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(
      z
        .array(z.strictObject({ entityName: NameSchema, contents: z.array(ObservationSchema).max(1000) }))
        .max(10_000),
      items,
      'observations',
    );
    const added = await this.#context.driver.graph.addObservations(namespace, parsed, Date.now());
    this.#touch(namespace);
    return added;
  }

  /** Deletes entities and every relation touching them. Returns the names that existed. */
  async deleteEntities(names: readonly string[], options: { namespace?: string } = {}): Promise<string[]> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(z.array(NameSchema).max(10_000), names, 'entity names');
    const deleted = await this.#context.driver.graph.deleteEntities(namespace, parsed);
    this.#touch(namespace);
    return deleted;
  }

  /** Removes the given observations (missing entities or observations are ignored, as upstream does). */
  async deleteObservations(
    items: ReadonlyArray<{ entityName: string; observations: string[] }>,
    options: { namespace?: string } = {},
  ): Promise<void> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(
      z
        .array(z.strictObject({ entityName: NameSchema, observations: z.array(z.string()).max(1000) }))
        .max(10_000),
      items,
      'observations',
    );
    await this.#context.driver.graph.deleteObservations(namespace, parsed, Date.now());
    this.#touch(namespace);
  }

  /** Deletes current relations; accepts the official `{ from, to, relationType }` shape. Returns how many. */
  async deleteRelations(
    relations: readonly RelationInput[],
    options: { namespace?: string } = {},
  ): Promise<number> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(z.array(RelationInputSchema).max(10_000), relations, 'relations');
    return this.#context.driver.graph.deleteRelations(
      namespace,
      parsed.map((relation) =>
        'from' in relation
          ? { subject: relation.from, predicate: relation.relationType, object: relation.to }
          : { subject: relation.subject, predicate: relation.predicate, object: relation.object },
      ),
    );
  }

  /** Declares whether a predicate is single-valued (a new object supersedes the old one). */
  async declarePredicate(
    predicate: string,
    options: { singleValued: boolean; namespace?: string },
  ): Promise<void> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    parseOrThrow(z.string().min(1).max(128), predicate, 'predicate');
    await this.#context.driver.graph.setPredicate(namespace, predicate, options.singleValued);
  }

  /**
   * A page of the graph: entities by name and the relations leaving them; with `asOf`, the graph as it was
   * then (relations valid then, entities that existed then with the observations they had).
   */
  async readGraph(
    options: { namespace?: string; cursor?: string; limit?: number; asOf?: Date | number | string } = {},
  ): Promise<{ entities: Entity[]; relations: Relation[]; nextCursor: string | undefined }> {
    this.#context.assertOpen();
    const parsed = parseOrThrow(
      z.strictObject({
        namespace: z.string().optional(),
        cursor: z.string().optional(),
        limit: z.int().min(1).max(1000).default(100),
        asOf: TimeInput.optional(),
      }),
      options,
      'read options',
    );
    const page = await this.#context.driver.graph.readGraph(
      this.#namespace(parsed.namespace),
      { limit: parsed.limit, cursor: parsed.cursor },
      parsed.asOf,
    );
    return {
      entities: page.entities.map((row) => toEntity(row, parsed.asOf)),
      relations: page.relations.map(toRelation),
      nextCursor: page.nextCursor,
    };
  }

  /** The named entities and the relations among them (official `open_nodes`). */
  async openNodes(
    names: readonly string[],
    options: { namespace?: string } = {},
  ): Promise<{ entities: Entity[]; relations: Relation[] }> {
    this.#context.assertOpen();
    const namespace = this.#namespace(options.namespace);
    const parsed = parseOrThrow(z.array(NameSchema).max(10_000), names, 'entity names');
    const entities = await this.#context.driver.graph.getEntities(namespace, parsed);
    const relations = await this.#context.driver.graph.relationsOf(
      namespace,
      entities.map((entity) => entity.name),
      { between: true, asOf: undefined },
    );
    return { entities: entities.map((row) => toEntity(row)), relations: relations.map(toRelation) };
  }

  async #entityIndex(namespace: string): Promise<VectorIndex> {
    const token = await this.#context.driver.changeToken();
    const model = this.#context.embedder.id;
    const cached = this.#indexes.get(namespace);
    if (cached && !cached.dirty && cached.token === token && cached.model === model) return cached.index;
    const index = new VectorIndex({ dimensions: this.#context.embedder.dimensions });
    const batch: EntityRow[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const vectors = await this.#context.embedder.embedTexts(batch.map(entityText));
      batch.forEach((entity, i) => {
        index.set(entity.name, vectors[i] as Float32Array);
      });
      batch.length = 0;
    };
    for await (const entity of this.#context.driver.graph.iterateEntities(namespace)) {
      batch.push(entity);
      if (batch.length >= 256) await flush();
    }
    await flush();
    this.#indexes.set(namespace, { index, token, model, dirty: false });
    return index;
  }

  /**
   * Finds entities by hybrid search over names, types and observations (FTS5 BM25 and vectors fused by
   * reciprocal rank; the official server only does substring matching), with the relations among them.
   * `namespace: '*'` searches every namespace (each entity and relation names its own).
   */
  async searchNodes(
    query: string,
    options: { namespace?: string; limit?: number } = {},
  ): Promise<{ entities: Entity[]; relations: Relation[] }> {
    this.#context.assertOpen();
    const namespaces =
      options.namespace === '*'
        ? await this.#context.driver.namespaces()
        : [this.#namespace(options.namespace)];
    const text = parseOrThrow(z.string().trim().min(1).max(10_000), query, 'query');
    const limit = parseOrThrow(z.int().min(1).max(1000).default(10), options.limit, 'limit');
    let queryVector: Promise<Float32Array> | undefined;
    const embedQuery = () => {
      queryVector ??= this.#context.embedder.embedTexts([text]).then(([vector]) => vector as Float32Array);
      return queryVector;
    };
    const found: Array<{ namespace: string; name: string; rrf: number }> = [];
    for (const namespace of namespaces) {
      const keyword = await this.#context.driver.graph.searchEntities(namespace, parseKeywordQuery(text), 50);
      let vector: string[] = [];
      const index = await this.#entityIndex(namespace);
      if (index.size > 0) {
        vector = index.search(await embedQuery(), { k: 50, minScore: 0.05 }).map((hit) => hit.id);
      }
      for (const [name, { rrf }] of reciprocalRankFusion([keyword.map((k) => k.name), vector]))
        found.push({ namespace, name, rrf });
    }
    const top = found
      .sort(
        (a, b) =>
          b.rrf - a.rrf || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.namespace < b.namespace ? -1 : 1),
      )
      .slice(0, limit);
    const entities: Entity[] = [];
    const relations: Relation[] = [];
    for (const namespace of namespaces) {
      const names = top.filter((hit) => hit.namespace === namespace).map((hit) => hit.name);
      if (names.length === 0) continue;
      const rows = await this.#context.driver.graph.getEntities(namespace, names);
      const between = await this.#context.driver.graph.relationsOf(namespace, names, {
        between: true,
        asOf: undefined,
      });
      entities.push(...rows.map((row) => toEntity(row)));
      relations.push(...between.map(toRelation));
    }
    const rank = new Map(top.map((hit, i) => [`${hit.namespace}\u0000${hit.name}`, i]));
    entities.sort(
      (a, b) =>
        (rank.get(`${a.namespace}\u0000${a.name}`) as number) -
        (rank.get(`${b.namespace}\u0000${b.name}`) as number),
    );
    return { entities, relations };
  }

  /**
   * Entities within `depth` hops of `name` (breadth-first, each at its shortest distance), and the relations
   * among all of them. Relations can be restricted by predicate and direction; `asOf` reads the graph as it
   * was at that time (`NOT_FOUND` if `name` did not exist yet).
   */
  async neighbors(
    name: string,
    options: z.input<typeof TraversalSchema> = {},
  ): Promise<{ center: Entity; entities: Array<Entity & { depth: number }>; relations: Relation[] }> {
    this.#context.assertOpen();
    const parsed = parseOrThrow(TraversalSchema, options, 'traversal options');
    const namespace = this.#namespace(parsed.namespace);
    const [center] = await this.#context.driver.graph.getEntities(
      namespace,
      [parseOrThrow(NameSchema, name, 'entity name')],
      parsed.asOf,
    );
    if (!center) throw notFound([name], parsed.asOf);
    const traversal: TraversalOptions = {
      maxDepth: parsed.depth,
      direction: parsed.direction,
      asOf: parsed.asOf,
      ...(parsed.predicates ? { predicates: parsed.predicates } : {}),
    };
    const reached = await this.#context.driver.graph.neighborhood(namespace, name, traversal);
    const depthByName = new Map(reached.map((entry) => [entry.name, entry.depth]));
    const rows = await this.#context.driver.graph.getEntities(
      namespace,
      [...depthByName.keys()],
      parsed.asOf,
    );
    const relations = await this.#context.driver.graph.relationsOf(namespace, [name, ...depthByName.keys()], {
      between: true,
      asOf: parsed.asOf,
    });
    return {
      center: toEntity(center, parsed.asOf),
      entities: rows
        .map((row) => ({ ...toEntity(row, parsed.asOf), depth: depthByName.get(row.name) as number }))
        .sort((a, b) => a.depth - b.depth || (a.name < b.name ? -1 : 1)),
      relations: relations
        .filter((relation) => !parsed.predicates || parsed.predicates.includes(relation.predicate))
        .map(toRelation),
    };
  }

  /** A shortest chain of relations from `from` to `to` (null when none within `maxDepth`). */
  async shortestPath(
    from: string,
    to: string,
    options: Omit<z.input<typeof TraversalSchema>, 'depth'> & { maxDepth?: number } = {},
  ): Promise<{ path: string[] | null; relations: Relation[] }> {
    this.#context.assertOpen();
    const { maxDepth, ...rest } = options;
    const parsed = parseOrThrow(
      TraversalSchema,
      { ...rest, depth: maxDepth ?? 6 },
      'path options (maxDepth is 1 … 6)',
    );
    const namespace = this.#namespace(parsed.namespace);
    const ends = await this.#context.driver.graph.getEntities(namespace, [from, to], parsed.asOf);
    const missing = [...new Set([from, to])].filter((name) => !ends.some((entity) => entity.name === name));
    if (missing.length > 0) throw notFound(missing, parsed.asOf);
    const path = await this.#context.driver.graph.shortestPath(namespace, from, to, {
      maxDepth: parsed.depth,
      direction: parsed.direction,
      asOf: parsed.asOf,
      ...(parsed.predicates ? { predicates: parsed.predicates } : {}),
    });
    if (!path) return { path: null, relations: [] };
    const all = await this.#context.driver.graph.relationsOf(namespace, path, {
      between: true,
      asOf: parsed.asOf,
    });
    const steps = new Set(path.slice(1).map((name, i) => `${path[i]}\u0000${name}`));
    const relations = all.filter(
      (relation) =>
        steps.has(`${relation.subject}\u0000${relation.object}`) ||
        steps.has(`${relation.object}\u0000${relation.subject}`),
    );
    return { path, relations: relations.map(toRelation) };
  }
}
