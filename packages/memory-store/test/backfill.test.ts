import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  closedPort,
  type EmbeddingsServer,
  startEmbeddingsServer,
} from '@mimo-mcp/internal-testing/embeddings-server';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiEmbedder, type MemoryStore, openMemoryStore } from '../src/index.js';
import { tempDb } from './helpers/temp.js';

const servers: EmbeddingsServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

const vectorOf = (text: string) =>
  Array.from({ length: 8 }, (_, i) => ((text.charCodeAt(i % text.length) + i) % 7) - 3);

/** An embeddings server whose vectors come from the text; `hold` keeps matching requests waiting. */
async function embeddingsServer(port = 0, hold?: (input: string[]) => boolean) {
  const server = await startEmbeddingsServer({
    port,
    embed: (input) => input.map(vectorOf),
    ...(hold ? { hold } : {}),
  });
  servers.push(server);
  return server;
}

function embedder(port: number) {
  return createOpenAiEmbedder({
    model: 'm',
    baseUrl: `http://127.0.0.1:${port}`,
    dimensions: 8,
    maxAttempts: 1,
  });
}

const fast = { initialDelayMs: 20, maxDelayMs: 100 };

function finished(store: MemoryStore, predicate: (pass: { embedded: number; failed: number }) => boolean) {
  return new Promise<{ embedded: number; failed: number }>((resolve) => {
    const subscription = store.on('backfill-finished', (pass) => {
      if (!predicate(pass)) return;
      subscription[Symbol.dispose]();
      resolve(pass);
    });
  });
}

describe('background backfill (issue #11: pending embeddings stayed pending forever, with no warning)', () => {
  it('should embed memories written while the embedder was down once it is back, on its own', async () => {
    const port = await closedPort();
    const store = await openMemoryStore({ path: tempDb(), embedder: embedder(port), backfill: fast });
    const failures: number[] = [];
    store.on('embedding-failed', ({ count }) => failures.push(count));
    const { id } = await store.create({ content: 'written while the embedder was down' });
    expect(failures.length).toBeGreaterThan(0);
    expect((await store.get(id))?.embedding.status).toBe('pending');
    const down = await store.stats();
    expect(down.pendingEmbeddings).toBe(1);
    expect(['scheduled', 'running']).toContain(down.backfill.state);
    // Still down: attempts keep failing, with the error kept for status reports.
    await finished(store, (pass) => pass.failed > 0);
    expect(store.backfillStatus.failedAttempts).toBeGreaterThan(0);
    expect(store.backfillStatus.lastError).toMatch(/ECONNREFUSED/);

    // The embedder comes up on the same port; nobody calls backfill().
    const server = await embeddingsServer(port);
    await finished(store, (pass) => pass.embedded === 1);
    expect((await store.get(id))?.embedding.status).toBe('ready');
    expect(await store.stats()).toMatchObject({
      pendingEmbeddings: 0,
      backfill: { state: 'idle', failedAttempts: 0, lastError: null },
    });
    expect(server.requests.flat()).toContain('written while the embedder was down');
    expect(
      (await store.search({ query: 'written while the embedder was down', mode: 'vector' })).hits[0]?.memory
        .id,
    ).toBe(id);
    await store.close();
  });

  it('should start at open when pending memories exist, never block writes, and stop when closed', async () => {
    const file = tempDb();
    const port = await closedPort();
    const offline = await openMemoryStore({
      path: file,
      embedder: embedder(port),
      backfill: { auto: false },
    });
    const { id } = await offline.create({ content: 'pending slow memory' });
    expect(offline.backfillStatus.state).toBe('off');
    await offline.close();

    // Up again, but the backfill request for the pending memory hangs until released.
    const server = await embeddingsServer(port, (input) => input.some((text) => text.includes('slow')));
    const store = await openMemoryStore({ path: file, embedder: embedder(port), backfill: fast });
    await expect.poll(() => server.requests.length).toBe(1);
    expect(store.backfillStatus.state).toBe('running');
    // A write while the pass waits on the provider is not held up by it.
    const written = await store.create({ content: 'written during the backfill' });
    expect((await store.get(written.id))?.embedding.status).toBe('ready');
    expect((await store.get(id))?.embedding.status).toBe('pending');
    server.release();
    await finished(store, (pass) => pass.embedded === 1);
    expect((await store.get(id))?.embedding.status).toBe('ready');

    // Down again with a retry waiting: close() stops it (and returns although the provider never answers).
    await server.close();
    const again = await store.create({ content: 'another pending one' });
    expect((await store.get(again.id))?.embedding.status).toBe('pending');
    await store.close();
    expect(store.closed).toBe(true);
  });
});

describe('HTTP embedder in a process with nothing else to do (issue #11: mimo doctor printed nothing)', () => {
  it('should settle the call instead of letting the process exit during a retry wait', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/embed-unreachable.ts', import.meta.url));
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fixture, `http://127.0.0.1:${await closedPort()}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stdout).toMatch(/^rejected: Embedding with openai\/m failed: fetch failed \(.*ECONNREFUSED/);
    expect(child.status).toBe(0);
  });
});

describe('an HTTP embedder configured without its vector size (it learns it from its first answer)', () => {
  it('should store, index and find memories, across a reopen, instead of failing the insert', async () => {
    const server = await embeddingsServer();
    const unsized = () => createOpenAiEmbedder({ model: 'm', baseUrl: `http://127.0.0.1:${server.port}` });
    const file = tempDb();
    const store = await openMemoryStore({ path: file, embedder: unsized() });
    expect(store.embedder.dimensions).toBe(0);
    const { id } = await store.create({ content: 'sized by the first answer' });
    expect((await store.get(id))?.embedding).toMatchObject({ status: 'ready', dimensions: 8 });
    expect(
      (await store.search({ query: 'sized by the first answer', mode: 'vector' })).hits[0]?.memory.id,
    ).toBe(id);
    await store.close();

    const reopened = await openMemoryStore({ path: file, embedder: unsized() });
    expect(
      (await reopened.search({ query: 'sized by the first answer', mode: 'vector' })).hits[0]?.memory.id,
    ).toBe(id);
    await reopened.close();
  });
});
