import { Readable } from 'node:stream';
import { z } from 'zod';
import type { StorageDriver } from '../driver/memory-driver.js';
import type { ExportRecord, ImportCounts } from '../driver/transfer.js';
import { MemoryStoreError } from '../errors.js';
import { describeIssues, NamespaceSchema } from '../options.js';

export interface ExportOptions {
  /** Only this namespace (all when omitted). */
  namespace?: string;
  /** Include each memory's vector (base64 f32) so an import needs no re-embedding. @default true */
  includeVectors?: boolean;
  /** Called every 1,000 records with the count so far. */
  onProgress?: (records: number) => void;
}

export interface ImportOptions {
  /** `auto` reads the first line: a Mimo header, or the official memory server's entity/relation lines. @default 'auto' */
  format?: 'auto' | 'mimo' | 'official';
  /** Namespace for records that have none (official files). @default the store's namespace */
  namespace?: string;
  /** Existing ids and entity names are kept (`skip`) or overwritten (`replace`). @default 'skip' */
  onConflict?: 'skip' | 'replace';
  /** Records per atomic batch. @default 500 */
  batchSize?: number;
  /** Embed imported memories that carry no vector of the active model. @default true */
  embed?: boolean;
  /** Called after every batch with the number of lines read. */
  onProgress?: (lines: number) => void;
  /**
   * The longest line read, in UTF-8 bytes (without its newline); a longer one stops the import with
   * `IMPORT_INVALID` before it is held in memory whole. @default DEFAULT_MAX_LINE_BYTES (8 MiB)
   */
  maxLineBytes?: number;
  signal?: AbortSignal;
}

/**
 * The default longest import line: 8 MiB, room for a memory at the largest default content size with its
 * vector many times over, while a file without newlines cannot make the importer hold it all.
 */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

export interface ImportResult extends ImportCounts {
  format: 'mimo' | 'official';
  lines: number;
  /** Placeholder entities created for relations whose ends were missing (official files). */
  placeholders: number;
  /**
   * The namespaces the records went to, sorted: each record's own (Mimo exports), or the default namespace
   * (official files, which have none).
   */
  namespaces: string[];
  /** Memories embedded after the import. */
  embedded?: number;
}

/** Streams every record as a JSONL line (with its `\n`), header first. */
export async function* exportJsonl(
  driver: StorageDriver,
  options: ExportOptions = {},
): AsyncGenerator<string> {
  let count = 0;
  const records = driver.exportRecords({
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    includeVectors: options.includeVectors ?? true,
  });
  for await (const record of records as AsyncIterable<ExportRecord>) {
    yield `${JSON.stringify(record)}\n`;
    count++;
    if (count % 1000 === 0) options.onProgress?.(count);
  }
  options.onProgress?.(count);
}

const Time = z.number().int();
const MimoRecordSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('header'),
    format: z.literal('mimo-memory'),
    version: z.literal(1),
    exportedAt: z.string(),
  }),
  z.object({
    type: z.literal('memory'),
    id: z.string().min(1).max(128),
    namespace: NamespaceSchema,
    content: z.string().min(1),
    kind: z.string().min(1).max(64),
    tags: z.array(z.string().min(1).max(64)).max(32),
    importance: z.number().min(0).max(1),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: Time,
    updatedAt: Time,
    accessedAt: Time.nullable(),
    accessCount: z.int().min(0),
    expiresAt: Time.nullable(),
    embedding: z
      .object({ model: z.string().min(1), dims: z.int().min(1).max(4096), vector: z.string() })
      .nullable()
      .optional(),
  }),
  z.object({
    type: z.literal('entity'),
    namespace: NamespaceSchema,
    name: z.string().min(1).max(256),
    entityType: z.string().min(1).max(128),
    observations: z.array(z.string()),
    observedAt: z.array(Time).optional(),
    createdAt: Time,
    updatedAt: Time,
  }),
  z.object({
    type: z.literal('relation'),
    namespace: NamespaceSchema,
    subject: z.string().min(1).max(256),
    predicate: z.string().min(1).max(128),
    object: z.string().min(1).max(256),
    validFrom: Time,
    validTo: Time.nullable(),
    source: z.string().nullable(),
    confidence: z.number().min(0).max(1),
    createdAt: Time,
  }),
  z.object({
    type: z.literal('predicate'),
    namespace: NamespaceSchema,
    name: z.string().min(1).max(128),
    singleValued: z.boolean(),
  }),
]);

/** The official `@modelcontextprotocol/server-memory` file: one entity or relation per line. */
const OfficialRecordSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('entity'),
    name: z.string().min(1),
    entityType: z.string().min(1),
    observations: z.array(z.string()).default([]),
  }),
  z.object({
    type: z.literal('relation'),
    from: z.string().min(1),
    to: z.string().min(1),
    relationType: z.string().min(1),
  }),
]);

/**
 * Lines of the source. A synchronous iterable of strings (e.g. an array) is taken as lines, one or more per
 * item; a stream or async iterable is taken as chunks and split on the newline byte wherever it falls
 * (a UTF-8 character never contains that byte, so no character is cut). A line over `maxLineBytes` is
 * refused with `tooLong(lineNumber)` as soon as its length passes the limit: at most the limit is held.
 */
async function* lines(
  source: AsyncIterable<string | Buffer> | Iterable<string>,
  maxLineBytes: number,
  tooLong: (line: number) => Error,
): AsyncGenerator<string> {
  let count = 0;
  if (!(source instanceof Readable) && typeof (source as Iterable<string>)[Symbol.iterator] === 'function') {
    for (const item of source as Iterable<string>) {
      const text = String(item);
      for (const line of (text.endsWith('\n') ? text.slice(0, -1) : text).split(/\r?\n/)) {
        count++;
        if (Buffer.byteLength(line, 'utf8') > maxLineBytes) throw tooLong(count);
        yield line;
      }
    }
    return;
  }
  // The bytes of the line read so far; one more than the limit is kept, for a `\r` before the newline.
  let pieces: Buffer[] = [];
  let pending = 0;
  const take = (piece: Buffer): string => {
    const bytes = Buffer.concat([...pieces, piece], pending + piece.length);
    pieces = [];
    pending = 0;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    if (end > maxLineBytes) throw tooLong(count);
    return bytes.toString('utf8', 0, end);
  };
  for await (const chunk of source as AsyncIterable<string | Buffer>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let newline = buffer.indexOf(0x0a); newline !== -1; newline = buffer.indexOf(0x0a, start)) {
      count++;
      if (pending + newline - start > maxLineBytes + 1) throw tooLong(count);
      yield take(buffer.subarray(start, newline));
      start = newline + 1;
    }
    if (start < buffer.length) {
      pending += buffer.length - start;
      if (pending > maxLineBytes + 1) throw tooLong(count + 1);
      pieces.push(buffer.subarray(start));
    }
  }
  if (pending > 0) {
    count++;
    yield take(Buffer.alloc(0));
  }
}

/**
 * Imports JSONL records in atomic batches. Each line is validated; a bad one (invalid, or longer than
 * `maxLineBytes`) stops the import with `IMPORT_INVALID` naming the line number and the problem. The batches
 * committed before it stay imported (`data.imported` counts them); the records read since the last batch,
 * and every line after the bad one, are not written.
 */
export async function importJsonl(
  driver: StorageDriver,
  source: AsyncIterable<string | Buffer> | Iterable<string>,
  options: ImportOptions & { defaultNamespace: string },
): Promise<ImportResult> {
  const batchSize = options.batchSize ?? 500;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new MemoryStoreError(
      'INVALID_ARGUMENT',
      `maxLineBytes must be a positive integer, got ${String(options.maxLineBytes)}`,
    );
  }
  const onConflict = options.onConflict ?? 'skip';
  let format: 'mimo' | 'official' | undefined =
    options.format === 'auto' || options.format === undefined ? undefined : options.format;
  const result: ImportResult = {
    format: format ?? 'mimo',
    lines: 0,
    memories: 0,
    entities: 0,
    relations: 0,
    predicates: 0,
    skipped: 0,
    placeholders: 0,
    namespaces: [],
  };
  const namespaces = new Set<string>();
  let batch: ExportRecord[] = [];
  const now = Date.now();
  const knownEntities = new Set<string>();
  const pendingRelations: ExportRecord[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    if (format === 'official') {
      // Relations may name entities that the file never defines; create typed placeholders so nothing is lost.
      const placeholders: ExportRecord[] = [];
      for (const record of batch) {
        if (record.type !== 'relation') continue;
        for (const name of [record.subject, record.object]) {
          if (knownEntities.has(name)) continue;
          const [existing] = await driver.graph.getEntities(record.namespace, [name]);
          knownEntities.add(name);
          if (!existing) {
            placeholders.push({
              type: 'entity',
              namespace: record.namespace,
              name,
              entityType: 'unknown',
              observations: [],
              createdAt: now,
              updatedAt: now,
            });
          }
        }
      }
      result.placeholders += placeholders.length;
      batch = [...placeholders, ...batch];
    }
    const counts = await driver.importRecords(batch, onConflict);
    for (const record of batch) if (record.type !== 'header') namespaces.add(record.namespace);
    result.namespaces = [...namespaces].sort();
    result.memories += counts.memories;
    result.entities += counts.entities;
    result.relations += counts.relations;
    result.predicates += counts.predicates;
    result.skipped += counts.skipped;
    batch = [];
    options.onProgress?.(result.lines);
  };

  // What an error reports as imported: the batches committed before the bad line, which stay.
  const invalid = (line: number, problem: string, data: Record<string, unknown> = {}) =>
    new MemoryStoreError('IMPORT_INVALID', `Line ${line} ${problem}`, {
      data: { line, ...data, imported: { ...result } },
    });
  const tooLong = (line: number) =>
    invalid(line, `is longer than the limit of ${maxLineBytes} bytes (maxLineBytes)`, {
      limit: maxLineBytes,
    });

  for await (const line of lines(source, maxLineBytes, tooLong)) {
    result.lines++;
    if (options.signal?.aborted)
      throw new MemoryStoreError('ABORTED', 'import aborted', { cause: options.signal.reason });
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw invalid(result.lines, `is not valid JSON: ${(error as Error).message}`);
    }
    if (format === undefined) {
      format = (value as { type?: unknown })?.type === 'header' ? 'mimo' : 'official';
      result.format = format;
    }
    if (format === 'mimo') {
      const parsed = MimoRecordSchema.safeParse(value);
      if (!parsed.success)
        throw invalid(result.lines, `is not a valid Mimo record: ${describeIssues(parsed.error)}`);
      if (parsed.data.type === 'entity') knownEntities.add(parsed.data.name);
      batch.push(parsed.data as ExportRecord);
    } else {
      const parsed = OfficialRecordSchema.safeParse(value);
      if (!parsed.success) {
        throw invalid(
          result.lines,
          `is not a valid memory.jsonl entity or relation: ${describeIssues(parsed.error)}`,
        );
      }
      const record = parsed.data;
      if (record.type === 'entity') {
        knownEntities.add(record.name);
        batch.push({
          type: 'entity',
          namespace: options.defaultNamespace,
          name: record.name,
          entityType: record.entityType,
          observations: [...new Set(record.observations)],
          createdAt: now,
          updatedAt: now,
        });
      } else {
        // Relations wait until every entity line was read: an official file may define an entity after a
        // relation uses it, and a placeholder created too early would hide its type and observations.
        pendingRelations.push({
          type: 'relation',
          namespace: options.defaultNamespace,
          subject: record.from,
          predicate: record.relationType,
          object: record.to,
          validFrom: now,
          validTo: null,
          source: 'import:memory.jsonl',
          confidence: 1,
          createdAt: now,
        });
      }
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  for (let start = 0; start < pendingRelations.length; start += batchSize) {
    batch = pendingRelations.slice(start, start + batchSize);
    await flush();
  }
  return result;
}
