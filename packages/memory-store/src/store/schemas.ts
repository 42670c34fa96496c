// The zod schemas of the store's inputs: memories, patches, filters, search, list and prune options.
import { z } from 'zod';
import { NamespaceSchema } from '../options.js';

const TimeSchema = z
  .union([z.date(), z.number(), z.iso.datetime({ offset: true })])
  .transform((value) => new Date(value).getTime());

const TagSchema = z
  .string()
  .trim()
  .min(1, 'tags must not be empty')
  .max(64, 'a tag has at most 64 characters')
  .transform((tag) => tag.toLowerCase());

const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (value) => JSON.stringify(value).length <= 16_384,
    'metadata must serialise to at most 16 KiB of JSON',
  );

const KindSchema = z.string().trim().min(1).max(64);
const TagsSchema = z.array(TagSchema).max(32, 'at most 32 tags');
const ImportanceSchema = z.number().min(0).max(1);

/** What a new memory is made of. */
export const MemoryInputSchema = z.strictObject({
  /** The text to remember (at most `limits.maxContentBytes` UTF-8 bytes). */
  content: z.string(),
  /** Namespace (defaults to the store's). */
  namespace: NamespaceSchema.optional(),
  /** A free label: note, fact, decision, episode, skill-call… @default 'note' */
  kind: KindSchema.default('note'),
  tags: TagsSchema.default([]),
  /** 0 … 1. @default 0.5 */
  importance: ImportanceSchema.default(0.5),
  metadata: MetadataSchema.default({}),
  /** When the memory expires (it is hidden at once and removed by `prune()`). */
  expiresAt: TimeSchema.optional(),
  /** Alternatively, a lifetime in milliseconds from now. */
  ttlMs: z.int().positive().optional(),
  /** A precomputed embedding from the active embedder (skips embedding). */
  vector: z.union([z.instanceof(Float32Array), z.array(z.number())]).optional(),
});
export type MemoryInput = z.input<typeof MemoryInputSchema>;

/**
 * A change to a memory: only the fields given change. Built from the field schemas without their
 * defaults (a `.partial()` of {@link MemoryInputSchema} would still fill in `kind`, `tags` and
 * `metadata`, wiping them). `expiresAt: null` removes the expiry.
 */
export const MemoryPatchSchema = z
  .strictObject({
    content: z.string(),
    kind: KindSchema,
    tags: TagsSchema,
    importance: ImportanceSchema,
    metadata: MetadataSchema,
    expiresAt: TimeSchema.nullable(),
  })
  .partial();
export type MemoryPatchInput = z.input<typeof MemoryPatchSchema>;

/** The fields {@link MemoryStore.update} can change. */
export const MEMORY_PATCH_FIELDS = Object.keys(MemoryPatchSchema.shape) as ReadonlyArray<
  keyof MemoryPatchInput
>;

/** Filters shared by list, count, delete and search. */
export const FilterSchema = z.strictObject({
  namespace: NamespaceSchema.optional(),
  kinds: z.array(z.string().min(1)).max(64).optional(),
  /** Memories with at least one of these tags. */
  tagsAny: z.array(TagSchema).max(64).optional(),
  /** Memories with every one of these tags. */
  tagsAll: z.array(TagSchema).max(64).optional(),
  createdAfter: TimeSchema.optional(),
  createdBefore: TimeSchema.optional(),
  minImportance: z.number().min(0).max(1).optional(),
  maxImportance: z.number().min(0).max(1).optional(),
});
export type MemoryFilterInput = z.input<typeof FilterSchema>;

export const SearchSchema = FilterSchema.extend({
  /** A namespace, or `'*'` for every namespace. @default the store's */
  namespace: z.union([z.literal('*'), NamespaceSchema]).optional(),
  query: z.string().trim().min(1, 'query must not be empty').max(10_000),
  /** `hybrid` fuses keyword (BM25) and vector ranks; `vector` or `keyword` use one list. @default 'hybrid' */
  mode: z.enum(['hybrid', 'vector', 'keyword']).default('hybrid'),
  /** Most hits returned (1 … 100). @default options.search.defaultMaxResults */
  maxResults: z.int().min(1).max(100).optional(),
  /** Budget of content characters over all hits (about 4 characters per token). @default options.search.defaultMaxChars */
  maxChars: z.int().min(100).max(1_000_000).optional(),
  /** Weight of importance in the final score, 0 … 1. @default 0 */
  importanceWeight: z.number().min(0).max(1).default(0),
  /** Weight of recency (half-life `recencyHalfLifeMs`), 0 … 1. @default 0 */
  recencyWeight: z.number().min(0).max(1).default(0),
  recencyHalfLifeMs: z.number().positive().optional(),
  /** Vector hits below this cosine similarity are ignored. @default 0 */
  minSimilarity: z.number().min(-1).max(1).default(0),
});
export type SearchOptions = z.input<typeof SearchSchema> & {
  /** Aborts the search: it rejects with `ABORTED`, the signal's reason as `cause`. */
  signal?: AbortSignal;
};

/** Options of {@link MemoryStore.list}: a filter and a page. */
export const ListSchema = FilterSchema.extend({
  limit: z.int().min(1).max(1000).default(50),
  cursor: z.string().optional(),
});

/** A prune policy: `maxImportance` and `olderThanMs` go together. */
export const PruneSchema = z.strictObject({
  maxImportance: z.number().min(0).max(1).optional(),
  olderThanMs: z.number().positive().optional(),
  unaccessedOnly: z.boolean().optional(),
  namespace: NamespaceSchema.optional(),
});
