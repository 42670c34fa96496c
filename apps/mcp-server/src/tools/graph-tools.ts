import type { MemoryStore } from '@mimo-mcp/memory-store';
import { type DefinedTool, defineTool } from '@mimo-mcp/protocol-parser/server';
import { z } from 'zod';
import { namespaceHint, SearchNamespace } from './memory-tools.js';

const Namespace = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe(
    'Namespace (default: the active one, project:<repository or directory> unless configured; every result names it)',
  );
const EntityIn = z.object({
  name: z.string().min(1).describe('The name of the entity'),
  entityType: z.string().min(1).describe('The type of the entity'),
  observations: z.array(z.string()).describe('Observations about the entity'),
});
const RelationIn = z.object({
  from: z.string().min(1).describe('The entity the relation starts at'),
  to: z.string().min(1).describe('The entity the relation ends at'),
  relationType: z.string().min(1).describe('The relation, in active voice'),
});
const EntityOut = z.object({
  name: z.string(),
  entityType: z.string(),
  observations: z.array(z.string()),
  namespace: z.string().optional().describe('Set when searching every namespace'),
});
const RelationOut = z.object({
  from: z.string(),
  to: z.string(),
  relationType: z.string(),
  namespace: z.string().optional().describe('Set when searching every namespace'),
});
/** Every result names the namespace it read or wrote; empty reads say where else data is. */
const Scope = { namespace: z.string(), hint: z.string().optional() };
const GraphOut = z.object({ entities: z.array(EntityOut), relations: z.array(RelationOut), ...Scope });

type Entity = { namespace: string; name: string; entityType: string; observations: string[] };
type Relation = { namespace: string; subject: string; predicate: string; object: string };
const entity = (e: Entity) => ({ name: e.name, entityType: e.entityType, observations: e.observations });
const relation = (r: Relation) => ({ from: r.subject, to: r.object, relationType: r.predicate });
const scoped = (namespace: string | undefined) => (namespace ? { namespace } : {});

/**
 * The official `@modelcontextprotocol/server-memory` tools, same names and argument shapes (so its users can
 * switch), plus `graph_traverse`.
 */
export function graphTools(store: MemoryStore): DefinedTool[] {
  const graph = store.graph;
  const active = (namespace: string | undefined) => namespace ?? store.namespace;
  /** `namespace`, and a hint when nothing was found there but other namespaces hold data. */
  const where = async (namespace: string | undefined, empty: boolean) => {
    const hint = empty ? await namespaceHint(store, active(namespace)) : undefined;
    return { namespace: active(namespace), ...(hint ? { hint } : {}) };
  };
  const write = {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  } as const;
  const destroy = {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  } as const;
  const read = { readOnlyHint: true, openWorldHint: false } as const;
  return [
    defineTool({
      name: 'create_entities',
      title: 'Create entities',
      description:
        'Create multiple new entities in the knowledge graph (existing names are left as they are)',
      input: z.strictObject({ entities: z.array(EntityIn), namespace: Namespace }),
      output: z.object({ entities: z.array(EntityOut), namespace: z.string() }),
      annotations: write,
      run: async ({ entities, namespace }) => ({
        entities: (await graph.createEntities(entities, scoped(namespace))).map(entity),
        namespace: active(namespace),
      }),
    }),
    defineTool({
      name: 'create_relations',
      title: 'Create relations',
      description:
        'Create multiple new relations between entities in the knowledge graph. Relations should be in active voice',
      input: z.strictObject({ relations: z.array(RelationIn), namespace: Namespace }),
      output: z.object({ relations: z.array(RelationOut), namespace: z.string() }),
      annotations: write,
      run: async ({ relations, namespace }) => ({
        relations: (await graph.createRelations(relations, scoped(namespace))).map(relation),
        namespace: active(namespace),
      }),
    }),
    defineTool({
      name: 'add_observations',
      title: 'Add observations',
      description: 'Add new observations to existing entities in the knowledge graph',
      input: z.strictObject({
        observations: z.array(z.object({ entityName: z.string().min(1), contents: z.array(z.string()) })),
        namespace: Namespace,
      }),
      output: z.object({
        results: z.array(z.object({ entityName: z.string(), addedObservations: z.array(z.string()) })),
        namespace: z.string(),
      }),
      annotations: write,
      run: async ({ observations, namespace }) => ({
        results: await graph.addObservations(observations, scoped(namespace)),
        namespace: active(namespace),
      }),
    }),
    defineTool({
      name: 'delete_entities',
      title: 'Delete entities',
      description: 'Delete multiple entities and their associated relations from the knowledge graph',
      input: z.strictObject({ entityNames: z.array(z.string().min(1)), namespace: Namespace }),
      output: z.object({ deleted: z.array(z.string()), namespace: z.string() }),
      annotations: destroy,
      run: async ({ entityNames, namespace }) => ({
        deleted: await graph.deleteEntities(entityNames, scoped(namespace)),
        namespace: active(namespace),
      }),
    }),
    defineTool({
      name: 'delete_observations',
      title: 'Delete observations',
      description: 'Delete specific observations from entities in the knowledge graph',
      input: z.strictObject({
        deletions: z.array(z.object({ entityName: z.string().min(1), observations: z.array(z.string()) })),
        namespace: Namespace,
      }),
      output: z.object({ success: z.boolean(), namespace: z.string() }),
      annotations: destroy,
      run: async ({ deletions, namespace }) => {
        await graph.deleteObservations(deletions, scoped(namespace));
        return { success: true, namespace: active(namespace) };
      },
    }),
    defineTool({
      name: 'delete_relations',
      title: 'Delete relations',
      description: 'Delete multiple relations from the knowledge graph',
      input: z.strictObject({ relations: z.array(RelationIn), namespace: Namespace }),
      output: z.object({ deleted: z.number(), namespace: z.string() }),
      annotations: destroy,
      run: async ({ relations, namespace }) => ({
        deleted: await graph.deleteRelations(relations, scoped(namespace)),
        namespace: active(namespace),
      }),
    }),
    defineTool({
      name: 'read_graph',
      title: 'Read the graph',
      description: 'Read the knowledge graph, one page at a time (pass nextCursor to continue)',
      input: z.strictObject({
        cursor: z.string().optional(),
        limit: z.int().min(1).max(1000).optional().describe('entities per page, default 100'),
        namespace: Namespace,
      }),
      output: GraphOut.extend({ nextCursor: z.string().optional() }),
      annotations: read,
      run: async ({ cursor, limit, namespace }) => {
        const page = await graph.readGraph({
          ...scoped(namespace),
          ...(cursor ? { cursor } : {}),
          ...(limit ? { limit } : {}),
        });
        return {
          entities: page.entities.map(entity),
          relations: page.relations.map(relation),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          ...(await where(namespace, page.entities.length === 0 && !cursor)),
        };
      },
    }),
    defineTool({
      name: 'search_nodes',
      title: 'Search nodes',
      description: 'Search for entities by meaning and keywords in names, types and observations',
      input: z.strictObject({
        query: z.string().min(1),
        limit: z.int().min(1).max(100).optional(),
        namespace: SearchNamespace,
      }),
      output: GraphOut,
      annotations: read,
      run: async ({ query, limit, namespace }) => {
        const result = await graph.searchNodes(query, { ...scoped(namespace), ...(limit ? { limit } : {}) });
        // Searching every namespace, each entity and relation says where it is.
        const all = namespace === '*';
        return {
          entities: result.entities.map((e) => ({
            ...entity(e),
            ...(all ? { namespace: e.namespace } : {}),
          })),
          relations: result.relations.map((r) => ({
            ...relation(r),
            ...(all ? { namespace: r.namespace } : {}),
          })),
          ...(await where(namespace, result.entities.length === 0)),
        };
      },
    }),
    defineTool({
      name: 'open_nodes',
      title: 'Open nodes',
      description: 'Open specific entities in the knowledge graph by their names',
      input: z.strictObject({ names: z.array(z.string().min(1)), namespace: Namespace }),
      output: GraphOut,
      annotations: read,
      run: async ({ names, namespace }) => {
        const result = await graph.openNodes(names, scoped(namespace));
        return {
          entities: result.entities.map(entity),
          relations: result.relations.map(relation),
          ...(await where(namespace, result.entities.length === 0)),
        };
      },
    }),
    defineTool({
      name: 'graph_traverse',
      title: 'Traverse the graph',
      description:
        'Explore around an entity: its neighbourhood up to `depth` hops, or (with `to`) a shortest path between two entities. `asOf` reads the graph as it was at that time: relations valid then, and only the entities and observations that existed then.',
      input: z.strictObject({
        from: z.string().min(1),
        to: z.string().min(1).optional(),
        depth: z
          .int()
          .min(1)
          .max(6)
          .optional()
          .describe('hops, default 2 (max depth of a path search, default 6)'),
        direction: z.enum(['out', 'in', 'both']).optional(),
        predicates: z.array(z.string().min(1)).max(64).optional(),
        asOf: z.string().optional().describe('ISO time'),
        namespace: Namespace,
      }),
      output: z.object({
        entities: z.array(EntityOut.extend({ depth: z.number().optional() })),
        relations: z.array(RelationOut),
        path: z.array(z.string()).nullable().optional(),
        namespace: z.string(),
      }),
      annotations: read,
      run: async ({ from, to, depth, direction, predicates, asOf, namespace }) => {
        const common = {
          ...scoped(namespace),
          ...(direction ? { direction } : {}),
          ...(predicates ? { predicates } : {}),
          ...(asOf ? { asOf } : {}),
        };
        if (to) {
          const found = await graph.shortestPath(from, to, {
            ...common,
            ...(depth ? { maxDepth: depth } : {}),
          });
          return {
            entities: [],
            relations: found.relations.map(relation),
            path: found.path,
            namespace: active(namespace),
          };
        }
        const around = await graph.neighbors(from, { ...common, ...(depth ? { depth } : {}) });
        return {
          entities: [
            { ...entity(around.center), depth: 0 },
            ...around.entities
              .filter((e) => e.name !== around.center.name)
              .map((e) => ({ ...entity(e), depth: e.depth })),
          ],
          relations: around.relations.map(relation),
          namespace: active(namespace),
        };
      },
    }),
  ];
}
