import type { Memory, MemoryStore } from '@mimo-mcp/memory-store';
import { type DefinedTool, defineTool } from '@mimo-mcp/protocol-parser/server';
import { z } from 'zod';

const Namespace = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe(
    'Namespace (default: the active one, project:<repository or directory> unless configured; every result names it)',
  );
/** For searches: a namespace, or "*" for all of them. */
export const SearchNamespace = z
  .string()
  .min(1)
  .max(128)
  .optional()
  .describe('Namespace to search (default: the active one), or "*" to search every namespace');

/**
 * When a read in one namespace found nothing: which other namespaces hold data, and how to reach them (data
 * written from another directory lands in another namespace, and is otherwise invisible without a word).
 */
export async function namespaceHint(store: MemoryStore, namespace: string): Promise<string | undefined> {
  if (namespace === '*') return undefined;
  const others = (await store.namespaces()).filter((other) => other !== namespace);
  if (others.length === 0) return undefined;
  const listed = `${others.slice(0, 10).join(', ')}${others.length > 10 ? `, and ${others.length - 10} more` : ''}`;
  return `nothing found in namespace ${namespace}; this database also holds ${listed}: pass namespace to read one, or namespace "*" to search them all`;
}

const active = (store: MemoryStore, namespace: string | undefined) => namespace ?? store.namespace;
const Tags = z.array(z.string().min(1).max(64)).max(32);

const MemoryOut = z.object({
  id: z.string(),
  namespace: z.string(),
  content: z.string(),
  kind: z.string(),
  tags: z.array(z.string()),
  importance: z.number(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  accessedAt: z.string().nullable(),
  accessCount: z.number(),
  expiresAt: z.string().nullable(),
  embedding: z.object({
    status: z.string(),
    model: z.string().nullable(),
    dimensions: z.number().nullable(),
  }),
});

const Filter = {
  namespace: Namespace,
  kinds: z.array(z.string().min(1)).max(64).optional().describe('Only these kinds'),
  tagsAny: Tags.optional().describe('At least one of these tags'),
  tagsAll: Tags.optional().describe('Every one of these tags'),
  createdAfter: z.string().optional().describe('ISO time'),
  createdBefore: z.string().optional().describe('ISO time'),
  minImportance: z.number().min(0).max(1).optional(),
};

const memoryOut = (memory: Memory) => memory as unknown as z.input<typeof MemoryOut>;

/** memory_store, memory_search, memory_get, memory_update, memory_delete, memory_list. */
export function memoryTools(store: MemoryStore): DefinedTool[] {
  return [
    defineTool({
      name: 'memory_store',
      title: 'Store a memory',
      description:
        'Remember something for later: a fact, decision, preference, outcome or note. Exact repeats return the existing memory; a near duplicate of one (cosine ≥ the configured threshold, 0.95 by default) is merged into it (tags, importance and metadata combined; status merged) instead of being stored twice.',
      input: z.strictObject({
        content: z.string().min(1).describe('What to remember (plain text, up to 100 KB)'),
        kind: z
          .string()
          .min(1)
          .max(64)
          .optional()
          .describe('A label such as fact, decision, preference, episode (default note)'),
        tags: Tags.optional(),
        importance: z.number().min(0).max(1).optional().describe('0…1, default 0.5'),
        metadata: z.record(z.string(), z.unknown()).optional(),
        ttlSeconds: z.int().positive().optional().describe('Forget after this many seconds'),
        namespace: Namespace,
      }),
      output: z.object({
        id: z.string(),
        status: z.enum(['created', 'duplicate', 'merged']),
        nearDuplicate: z.object({ id: z.string(), similarity: z.number() }).optional(),
        namespace: z.string(),
      }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async ({ ttlSeconds, ...input }, scope) => ({
        ...(await store.create(
          { ...input, ...(ttlSeconds ? { ttlMs: ttlSeconds * 1000 } : {}) },
          { signal: scope.signal, nearDuplicates: 'merge' },
        )),
        namespace: active(store, input.namespace),
      }),
    }),
    defineTool({
      name: 'memory_search',
      title: 'Search memories',
      description:
        'Search memories: recall what was stored earlier, by meaning and keywords (hybrid search; typos and paraphrases are fine). Filters apply before ranking; the answer is bounded by maxResults and maxChars.',
      input: z.strictObject({
        query: z.string().min(1).max(10_000),
        mode: z.enum(['hybrid', 'vector', 'keyword']).optional().describe('default hybrid'),
        maxResults: z.int().min(1).max(100).optional().describe('default 10'),
        maxChars: z
          .int()
          .min(100)
          .max(1_000_000)
          .optional()
          .describe('content budget (≈4 chars per token), default 8000'),
        importanceWeight: z.number().min(0).max(1).optional(),
        recencyWeight: z.number().min(0).max(1).optional(),
        ...Filter,
        namespace: SearchNamespace,
      }),
      output: z.object({
        namespace: z.string(),
        hits: z.array(
          z.object({ memory: MemoryOut, score: z.number(), parts: z.record(z.string(), z.unknown()) }),
        ),
        truncated: z.boolean(),
        warnings: z.array(z.string()),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (input) => {
        const result = await store.search(input);
        const hint = result.hits.length === 0 ? await namespaceHint(store, result.namespace) : undefined;
        return {
          namespace: result.namespace,
          hits: result.hits.map((hit) => ({
            memory: memoryOut(hit.memory),
            score: hit.score,
            parts: { ...hit.parts },
          })),
          truncated: result.truncated,
          warnings: hint ? [...result.warnings, hint] : result.warnings,
        };
      },
    }),
    defineTool({
      name: 'memory_get',
      title: 'Get memories by id',
      description: 'Read memories by their ids.',
      input: z.strictObject({ ids: z.array(z.string().min(1)).min(1).max(100), namespace: Namespace }),
      output: z.object({
        memories: z.array(MemoryOut),
        missing: z.array(z.string()),
        namespace: z.string(),
        hint: z.string().optional(),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async ({ ids, namespace }) => {
        const memories = await store.getMany(ids, namespace ? { namespace } : {});
        const found = new Set(memories.map((memory) => memory.id));
        const hint = memories.length === 0 ? await namespaceHint(store, active(store, namespace)) : undefined;
        return {
          memories: memories.map(memoryOut),
          missing: ids.filter((id) => !found.has(id)),
          namespace: active(store, namespace),
          ...(hint ? { hint } : {}),
        };
      },
    }),
    defineTool({
      name: 'memory_update',
      title: 'Update a memory',
      description:
        'Change a memory: only the fields you give change (content is re-embedded); the others keep their values. Give at least one field besides id.',
      input: z.strictObject({
        id: z.string().min(1),
        content: z.string().min(1).optional(),
        kind: z.string().min(1).max(64).optional(),
        tags: Tags.optional(),
        importance: z.number().min(0).max(1).optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
        namespace: Namespace,
      }),
      output: z.object({ memory: MemoryOut, namespace: z.string() }),
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      run: async ({ id, namespace, ...patch }, scope) => ({
        memory: memoryOut(
          await store.update(id, patch, { signal: scope.signal, ...(namespace ? { namespace } : {}) }),
        ),
        namespace: active(store, namespace),
      }),
    }),
    defineTool({
      name: 'memory_delete',
      title: 'Delete memories',
      description: 'Delete memories by id. Deleted memories cannot be recovered.',
      input: z.strictObject({ ids: z.array(z.string().min(1)).min(1).max(1000), namespace: Namespace }),
      output: z.object({ deleted: z.array(z.string()), namespace: z.string() }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      run: async ({ ids, namespace }) => ({
        deleted: await store.delete(ids, namespace ? { namespace } : {}),
        namespace: active(store, namespace),
      }),
    }),
    defineTool({
      name: 'memory_list',
      title: 'List memories',
      description: 'List memories newest first, with filters and a cursor for the next page.',
      input: z.strictObject({
        limit: z.int().min(1).max(200).optional().describe('default 50'),
        cursor: z.string().optional(),
        ...Filter,
      }),
      output: z.object({
        memories: z.array(MemoryOut),
        nextCursor: z.string().optional(),
        namespace: z.string(),
        hint: z.string().optional(),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      run: async (input) => {
        const page = await store.list(input);
        const namespace = active(store, input.namespace);
        const hint =
          page.memories.length === 0 && !input.cursor ? await namespaceHint(store, namespace) : undefined;
        return {
          memories: page.memories.map(memoryOut),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          namespace,
          ...(hint ? { hint } : {}),
        };
      },
    }),
  ];
}
