import { describe, expect, it } from 'vitest';
import { type MemoryStoreError, openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

async function collect(generator: AsyncIterable<string>): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of generator) lines.push(line);
  return lines;
}

describe('JSONL export and import', () => {
  it('should round-trip everything losslessly (memories with vectors, entities, bi-temporal relations, predicates)', async () => {
    const source = await openMemoryStore({ path: tempDb() });
    await source.createMany([
      {
        content: 'exported with tags',
        tags: ['a', 'b'],
        importance: 0.7,
        metadata: { source: 'test', nested: { ok: true } },
      },
      { content: 'exported in another namespace', namespace: 'other', kind: 'fact' },
      { content: 'expiring later', ttlMs: 3_600_000 },
    ]);
    await source.graph.createEntities([
      { name: 'Ada', entityType: 'person', observations: ['wrote the first program'] },
      { name: 'Engine', entityType: 'machine' },
    ]);
    await source.graph.declarePredicate('designed', { singleValued: true });
    await source.graph.createRelations([
      { subject: 'Ada', predicate: 'designed', object: 'Engine', source: 'history', confidence: 0.8 },
    ]);
    const lines = await collect(source.exportJsonl());
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      type: 'header',
      format: 'mimo-memory',
      version: 1,
    });

    const target = await openMemoryStore({ path: tempDb() });
    const result = await target.importJsonl(lines);
    expect(result).toMatchObject({
      format: 'mimo',
      memories: 3,
      entities: 2,
      relations: 1,
      predicates: 1,
      skipped: 0,
    });
    const again = await collect(target.exportJsonl());
    expect(again.slice(1)).toEqual(lines.slice(1));
    expect(
      (await target.search({ query: 'exported with tags', mode: 'vector' })).hits[0]?.memory.tags,
    ).toEqual(['a', 'b']);
    const rerun = await target.importJsonl(lines);
    expect(rerun).toMatchObject({ memories: 0, skipped: 6 });
    await source.close();
    await target.close();
  });

  it('should import the official memory server memory.jsonl, keeping relations to entities defined later', async () => {
    const store = await openMemoryStore({ path: ':memory:' });
    const official = [
      '{"type":"relation","from":"John_Smith","to":"Anthropic","relationType":"works_at"}',
      '{"type":"entity","name":"John_Smith","entityType":"person","observations":["Speaks fluent Spanish"]}',
      '{"type":"entity","name":"Anthropic","entityType":"organization","observations":[]}',
      '{"type":"relation","from":"John_Smith","to":"Dangling","relationType":"knows"}',
      '',
    ];
    const result = await store.importJsonl(official, { namespace: 'imported' });
    expect(result).toMatchObject({ format: 'official', entities: 3, relations: 2, placeholders: 1 });
    const graph = await store.graph.openNodes(['John_Smith', 'Anthropic', 'Dangling'], {
      namespace: 'imported',
    });
    expect(graph.entities.map((e) => [e.name, e.entityType])).toEqual([
      ['Anthropic', 'organization'],
      ['Dangling', 'unknown'],
      ['John_Smith', 'person'],
    ]);
    expect(graph.entities.find((e) => e.name === 'John_Smith')?.observations).toEqual([
      'Speaks fluent Spanish',
    ]);
    expect(graph.relations).toHaveLength(2);
    await store.close();
  });

  it('should stop at an invalid line, naming it, and keep earlier batches', async () => {
    const store = await openMemoryStore({ path: ':memory:' });
    const lines = [
      '{"type":"entity","name":"A","entityType":"t","observations":[]}',
      '{"type":"entity","name":"B","entityType":"t","observations":[]}',
      '{"type":"entity","name":"C","entityType":"t","observations":[]}',
      '{"type":"entity","name":"","entityType":"t"}',
    ];
    const error = (await store
      .importJsonl(lines, { batchSize: 2 })
      .catch((e: unknown) => e)) as MemoryStoreError;
    expect(error.code).toBe('IMPORT_INVALID');
    expect(error.message).toMatch(/^Line 4 /);
    expect((await store.graph.readGraph()).entities.map((e) => e.name)).toEqual(['A', 'B']);
    const broken = (await store.importJsonl(['{not json']).catch((e: unknown) => e)) as MemoryStoreError;
    expect(broken.message).toMatch(/Line 1 is not valid JSON/);
    await store.close();
  });

  it('should refuse a line longer than maxLineBytes without holding it, naming the line and the limit (issue #11: RangeError on a 700 MB line)', async () => {
    const store = await openMemoryStore({ path: tempDb() });
    const entity = (name: string) =>
      `${JSON.stringify({ type: 'entity', name, entityType: 't', observations: [] })}\n`;
    let produced = 0;
    // 64 MiB without a newline after three good lines, produced lazily: the importer must stop long before.
    async function* chunks(): AsyncGenerator<Buffer> {
      yield Buffer.from(entity('A') + entity('B') + entity('C'));
      const block = Buffer.alloc(64 * 1024, 'x');
      for (let i = 0; i < 1024; i++) {
        produced += block.length;
        yield block;
      }
    }
    const error = (await store
      .importJsonl(chunks(), { batchSize: 2, maxLineBytes: 1024 * 1024 })
      .catch((e: unknown) => e)) as MemoryStoreError;
    expect(error.code).toBe('IMPORT_INVALID');
    expect(error.message).toBe('Line 4 is longer than the limit of 1048576 bytes (maxLineBytes)');
    expect(error.data).toMatchObject({ line: 4, limit: 1024 * 1024, imported: { entities: 2, lines: 3 } });
    expect(produced).toBeLessThanOrEqual(2 * 1024 * 1024);
    // The batch committed before the bad line stays; the one being read when it came is not written.
    expect((await store.graph.readGraph()).entities.map((e) => e.name)).toEqual(['A', 'B']);
    await store.close();
  });

  it('should split chunks on newlines wherever they fall: CRLF, characters cut between chunks, a line exactly at the limit', async () => {
    const store = await openMemoryStore({ path: ':memory:' });
    const line = JSON.stringify({ type: 'entity', name: 'Zoë 🦊', entityType: 't', observations: ['ok'] });
    const bytes = Buffer.from(`${line}\r\n${line.replace('Zoë', 'Zoe')}`);
    async function* oneByteAtATime(): AsyncGenerator<Buffer> {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    }
    const result = await store.importJsonl(oneByteAtATime(), {
      maxLineBytes: Buffer.byteLength(line),
      namespace: 'chunks',
    });
    expect(result).toMatchObject({ lines: 2, entities: 2, namespaces: ['chunks'] });
    expect((await store.graph.readGraph({ namespace: 'chunks' })).entities.map((e) => e.name)).toEqual([
      'Zoe 🦊',
      'Zoë 🦊',
    ]);
    const over = (await store
      .importJsonl([line], { maxLineBytes: Buffer.byteLength(line) - 1 })
      .catch((e: unknown) => e)) as MemoryStoreError;
    expect(over.message).toMatch(/^Line 1 is longer than the limit/);
    await store.close();
  });
});
