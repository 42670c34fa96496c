import { describe, expect, it } from 'vitest';
import { MemoryStoreError, openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

describe('MemoryStore.update (issue #11: memory_update silently wiped fields)', () => {
  it('should change only the fields given, keeping kind, tags, metadata and content', async () => {
    const store = await openMemoryStore({ path: tempDb() });
    const { id } = await store.create({
      content: 'The staging database is reset every Monday',
      kind: 'fact',
      tags: ['ops', 'staging'],
      importance: 0.4,
      metadata: { source: 'runbook', page: 3 },
      ttlMs: 3_600_000,
    });
    const before = await store.get(id);
    const updated = await store.update(id, { importance: 0.95 });
    expect(updated).toMatchObject({
      content: 'The staging database is reset every Monday',
      kind: 'fact',
      tags: ['ops', 'staging'],
      importance: 0.95,
      metadata: { source: 'runbook', page: 3 },
      expiresAt: before?.expiresAt,
      embedding: { status: 'ready' },
    });
    // Read back from the file, not from the update's answer.
    expect(await store.get(id)).toMatchObject({ kind: 'fact', tags: ['ops', 'staging'], importance: 0.95 });
    expect(await store.update(id, { tags: [] })).toMatchObject({ tags: [], kind: 'fact', importance: 0.95 });
    expect(await store.update(id, { expiresAt: null })).toMatchObject({ expiresAt: null, kind: 'fact' });
    await store.close();
  });

  it('should refuse an empty patch with a clear error and leave the memory as it was', async () => {
    const store = await openMemoryStore({ path: tempDb() });
    const { id } = await store.create({ content: 'kept as it is', kind: 'decision', tags: ['x'] });
    for (const patch of [{}, { kind: undefined }]) {
      const error = await store.update(id, patch).catch((caught: unknown) => caught);
      expect(MemoryStoreError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toMatch(
        /nothing to change; give at least one of content, kind, tags, importance, metadata, expiresAt/,
      );
    }
    expect(await store.get(id)).toMatchObject({ kind: 'decision', tags: ['x'], importance: 0.5 });
    await store.close();
  });
});
