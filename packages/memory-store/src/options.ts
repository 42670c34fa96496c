import { formatIssues } from '@mimo-mcp/core';
import { z } from 'zod';
import type { StorageDriver } from './driver/memory-driver.js';
import type { Embedder } from './embedding/embedder.js';
import { MemoryStoreError } from './errors.js';

/** Namespaces: 1–128 characters of letters, digits and `_ . : @ / -`. */
export const NamespaceSchema = z
  .string()
  .min(1, 'a namespace must not be empty')
  .max(128, 'a namespace has at most 128 characters')
  .regex(/^[\p{L}\p{N}_.:@/-]+$/u, 'a namespace may contain letters, digits and _ . : @ / - only');

function isEmbedder(value: unknown): value is Embedder {
  const candidate = value as Embedder;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    typeof candidate.embed === 'function'
  );
}

function isDriver(value: unknown): value is StorageDriver {
  const candidate = value as StorageDriver;
  return (
    typeof candidate === 'object' && candidate !== null && typeof candidate.insertMemories === 'function'
  );
}

const DAY_MS = 86_400_000;

/** Options of {@link openMemoryStore}, validated at the boundary; unknown keys are rejected. */
export const MemoryStoreOptionsSchema = z
  .strictObject({
    /** SQLite file (created if missing) or `:memory:`. Required unless `driver` is given. */
    path: z.string().min(1).optional(),
    /** A storage driver to use instead of opening `path` (e.g. a future PostgreSQL driver). */
    driver: z.custom<StorageDriver>(isDriver, 'driver must implement StorageDriver').optional(),
    /** Namespace used when an operation does not name one. @default 'default' */
    namespace: NamespaceSchema.default('default'),
    /** @default the local hashed n-gram embedder (384 dimensions, no download, no key) */
    embedder: z.custom<Embedder>(isEmbedder, 'embedder must have an id, dimensions and embed()').optional(),
    /** `full` syncs every commit (durable across power loss); `normal` only at checkpoints. @default 'full' */
    synchronous: z.enum(['full', 'normal']).default('full'),
    /** @default 5000 */
    busyTimeoutMs: z.int().min(0).max(600_000).default(5000),
    /**
     * Insert large batches (128+ memories) on a writer thread with its own connection, while the calling
     * thread updates the vector index: about twice the bulk-load rate on two cores. Files only. @default true
     */
    writerThread: z.boolean().default(true),
    limits: z
      .strictObject({
        /** @default 100_000 (UTF-8 bytes) */
        maxContentBytes: z.int().min(1).max(10_000_000).default(100_000),
        /** @default 1_000_000 */
        maxMemoriesPerNamespace: z.int().min(1).default(1_000_000),
        /** Most memories in one createMany call. @default 10_000 */
        maxBatchSize: z.int().min(1).max(1_000_000).default(10_000),
        /** @default 4096 */
        maxDimensions: z.int().min(1).max(4096).default(4096),
      })
      .prefault({}),
    dedup: z
      .strictObject({
        /** Cosine similarity from which a new memory is reported as a near duplicate. @default 0.95 */
        nearDuplicateThreshold: z.number().min(0).max(1).default(0.95),
        /** Merge a near duplicate into the existing memory instead of storing it. @default false */
        mergeNearDuplicates: z.boolean().default(false),
      })
      .prefault({}),
    search: z
      .strictObject({
        /** Candidates taken from each of the keyword and vector lists before fusion. @default 50 */
        candidates: z.int().min(1).max(1000).default(50),
        /** @default 10 */
        defaultMaxResults: z.int().min(1).max(100).default(10),
        /** @default 8000 */
        defaultMaxChars: z.int().min(100).max(1_000_000).default(8000),
        /** Half-life of the recency weight. @default 30 days */
        recencyHalfLifeMs: z
          .number()
          .positive()
          .default(30 * DAY_MS),
      })
      .prefault({}),
    /**
     * Embedding the memories stored without a vector (the embedder failed) in the background: after a
     * failed embedding (then again with doubling delays while it keeps failing), at open when some are
     * pending, and at once when an embedding succeeds again. It never blocks a write, and `close()` stops it.
     */
    backfill: z
      .strictObject({
        /** @default true */
        auto: z.boolean().default(true),
        /** Delay of the first retry; it doubles after each failed attempt. @default 1000 */
        initialDelayMs: z.int().min(1).max(3_600_000).default(1000),
        /** @default 300_000 (5 minutes) */
        maxDelayMs: z.int().min(1).max(86_400_000).default(300_000),
        /** Failed attempts in a row before it stops (the next failed write or `backfill()` starts it again). @default 20 */
        maxAttempts: z.int().min(1).max(10_000).default(20),
        /** Memories embedded per request. @default 64 */
        batchSize: z.int().min(1).max(10_000).default(64),
      })
      .prefault({}),
    /** How often recorded reads are written in one batch. @default 1000 */
    accessFlushIntervalMs: z.int().min(10).max(3_600_000).default(1000),
    /** Entries of the in-memory embedding cache. @default 10_000 */
    embeddingCacheSize: z.int().min(0).max(10_000_000).default(10_000),
  })
  .refine((options) => options.path !== undefined || options.driver !== undefined, {
    message: 'either path (a SQLite file or ":memory:") or driver is required',
  });

export type MemoryStoreOptions = z.input<typeof MemoryStoreOptionsSchema>;
export type ResolvedOptions = z.output<typeof MemoryStoreOptionsSchema>;

/** Formats zod issues as `path: message` (core's one formatter, with this package's wording). */
export function describeIssues(error: z.ZodError): string {
  return formatIssues(error, { root: '(options)', max: 6 });
}

/** Parses with a schema, turning failures into `INVALID_ARGUMENT` naming every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new MemoryStoreError('INVALID_ARGUMENT', `Invalid ${what}: ${describeIssues(result.error)}`);
  return result.data;
}

/** The namespace a call is scoped to: the one given (validated) or the store's default. */
export function resolveNamespace(value: string | undefined, defaultNamespace: string): string {
  return value === undefined ? defaultNamespace : parseOrThrow(NamespaceSchema, value, 'namespace');
}
