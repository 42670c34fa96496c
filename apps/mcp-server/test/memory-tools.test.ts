import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  closedPort,
  type EmbeddingsServer,
  startEmbeddingsServer,
} from '@mimo-mcp/internal-testing/embeddings-server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, impureLines, sandbox, TEE, teeFiles, text } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});
afterAll(() => {
  for (const file of teeFiles) expect(impureLines(file), file).toEqual([]);
});

/**
 * The real `mimo` over stdio with the official SDK v1 client, which validates every structuredContent
 * against the tool's outputSchema.
 */
async function connect(box: ReturnType<typeof sandbox>, env: Record<string, string> = {}) {
  const client = new Client({ name: 'memory-tools-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [TEE, CLI],
      env: { ...box.env, ...env },
      stderr: 'ignore',
    }),
  );
  closers.push(() => client.close());
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args });
    return result as { isError?: boolean; structuredContent?: Record<string, unknown>; content: unknown };
  };
  const structured = async <T = Record<string, unknown>>(
    name: string,
    args: Record<string, unknown> = {},
  ) => {
    const result = await call(name, args);
    expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
    return result.structuredContent as T;
  };
  return { client, call, structured };
}

type MemoryOut = { id: string; kind: string; tags: string[]; importance: number; metadata: unknown };

describe('memory_update through the real server (issue #11: it silently wiped fields)', () => {
  it('should change only the given field, read back with memory_get, and refuse an empty patch', async () => {
    const { call, structured } = await connect(sandbox());
    const { id } = await structured<{ id: string }>('memory_store', {
      content: 'The on-call rotation changes every Monday at 09:00',
      kind: 'decision',
      tags: ['oncall', 'process'],
      metadata: { owner: 'sre' },
    });
    const updated = await structured<{ memory: MemoryOut; namespace: string }>('memory_update', {
      id,
      importance: 0.95,
    });
    expect(updated.memory).toMatchObject({ importance: 0.95, kind: 'decision', tags: ['oncall', 'process'] });
    expect(updated.namespace).toBe('test');
    const { memories } = await structured<{ memories: MemoryOut[] }>('memory_get', { ids: [id] });
    expect(memories[0]).toMatchObject({
      kind: 'decision',
      tags: ['oncall', 'process'],
      importance: 0.95,
      metadata: { owner: 'sre' },
    });
    const empty = await call('memory_update', { id });
    expect(empty.isError).toBe(true);
    expect(text(empty)).toMatch(/nothing to change; give at least one of content, kind, tags/);
    const after = await structured<{ memories: MemoryOut[] }>('memory_get', { ids: [id] });
    expect(after.memories[0]).toMatchObject({
      kind: 'decision',
      importance: 0.95,
      tags: ['oncall', 'process'],
    });
  });
});

describe('memory_store near duplicates (issue #11: cosine 0.99999994 was stored twice)', () => {
  it('should merge a near duplicate into the stored memory instead of storing it twice', async () => {
    const { structured } = await connect(sandbox());
    const first = await structured<{ id: string; status: string }>('memory_store', {
      content: 'Deploys to production happen on Thursdays after the release review',
      tags: ['release'],
    });
    // Differs only in case and punctuation: not an exact duplicate, but the same vector.
    const near = await structured<{ id: string; status: string; nearDuplicate?: { similarity: number } }>(
      'memory_store',
      { content: 'deploys to production happen on thursdays, after the release review!', tags: ['prod'] },
    );
    expect(near).toMatchObject({ id: first.id, status: 'merged' });
    expect(near.nearDuplicate?.similarity).toBeGreaterThan(0.95);
    const other = await structured<{ status: string }>('memory_store', {
      content: 'The coffee machine on the third floor is descaled every month',
    });
    expect(other.status).toBe('created');
    const { memories } = await structured<{ memories: MemoryOut[] }>('memory_list');
    expect(memories).toHaveLength(2);
    expect(memories.find((memory) => memory.id === first.id)?.tags).toEqual(['release', 'prod']);
  });
});

describe('graph_traverse asOf through the real server (issue #11: it showed entities that did not exist yet)', () => {
  it('should leave out what was added after the noted time', async () => {
    const { call, structured } = await connect(sandbox());
    await structured('create_entities', {
      entities: [
        { name: 'alice', entityType: 'person', observations: ['leads payments'] },
        { name: 'payments', entityType: 'service', observations: [] },
      ],
    });
    await structured('create_relations', {
      relations: [{ from: 'alice', to: 'payments', relationType: 'owns' }],
    });
    const noted = Date.now();
    while (Date.now() <= noted) await new Promise((resolve) => setTimeout(resolve, 1));
    await structured('create_entities', {
      entities: [{ name: 'ledger', entityType: 'service', observations: [] }],
    });
    await structured('create_relations', {
      relations: [{ from: 'alice', to: 'ledger', relationType: 'owns' }],
    });
    await structured('add_observations', {
      observations: [{ entityName: 'alice', contents: ['moved to Lisbon'] }],
    });
    const asOf = new Date(noted).toISOString();
    const then = await structured<{
      entities: Array<{ name: string; observations: string[] }>;
      relations: unknown[];
    }>('graph_traverse', { from: 'alice', asOf });
    expect(then.entities.map((entity) => [entity.name, entity.observations])).toEqual([
      ['alice', ['leads payments']],
      ['payments', []],
    ]);
    expect(then.relations).toEqual([{ from: 'alice', to: 'payments', relationType: 'owns' }]);
    const before = await call('graph_traverse', { from: 'ledger', asOf });
    expect(before.isError).toBe(true);
    expect(text(before)).toBe(`Entity with name "ledger" did not exist at ${asOf}`);
    const now = await structured<{ entities: Array<{ name: string }> }>('graph_traverse', { from: 'alice' });
    expect(now.entities.map((entity) => entity.name)).toEqual(['alice', 'ledger', 'payments']);
  });
});

describe('namespaces (issue #11: a graph imported from one directory was invisible from another, with no hint)', () => {
  it('should name the namespace in every result, hint at the others, and search all with "*"', async () => {
    const box = sandbox();
    // Imported "from another directory": into project:newcomer, while the server runs as project:home.
    const file = join(box.dir, 'memory.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ type: 'entity', name: 'mimo', entityType: 'project', observations: ['written in TypeScript'] })}\n`,
    );
    const imported = spawnSync(process.execPath, [CLI, 'import', file, '--namespace', 'project:newcomer'], {
      env: box.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(imported.status).toBe(0);
    expect(imported.stderr).toContain('into namespace project:newcomer');

    const { client, structured } = await connect(box, { MIMO_NAMESPACE: 'project:home' });
    await structured('memory_store', {
      content: 'Mimo keeps memories in SQLite',
      namespace: 'project:newcomer',
    });
    const nodes = await structured<{ entities: unknown[]; namespace: string; hint?: string }>(
      'search_nodes',
      {
        query: 'typescript project',
      },
    );
    expect(nodes).toMatchObject({ entities: [], namespace: 'project:home' });
    expect(nodes.hint).toContain('this database also holds project:newcomer');
    expect(nodes.hint).toContain('namespace "*"');
    const everywhere = await structured<{ entities: Array<{ name: string; namespace: string }> }>(
      'search_nodes',
      {
        query: 'typescript project',
        namespace: '*',
      },
    );
    expect(everywhere.entities).toEqual([
      {
        name: 'mimo',
        entityType: 'project',
        observations: ['written in TypeScript'],
        namespace: 'project:newcomer',
      },
    ]);

    const search = await structured<{ hits: unknown[]; namespace: string; warnings: string[] }>(
      'memory_search',
      {
        query: 'where are memories kept',
      },
    );
    expect(search).toMatchObject({ hits: [], namespace: 'project:home' });
    expect(search.warnings.join()).toContain('project:newcomer');
    const all = await structured<{ hits: Array<{ memory: { namespace: string } }>; namespace: string }>(
      'memory_search',
      { query: 'where are memories kept', namespace: '*' },
    );
    expect(all.namespace).toBe('*');
    expect(all.hits[0]?.memory.namespace).toBe('project:newcomer');

    for (const [name, args] of [
      ['memory_store', { content: 'a memory at home' }],
      ['memory_list', {}],
      ['memory_get', { ids: ['none'] }],
      ['memory_delete', { ids: ['none'] }],
      ['create_entities', { entities: [{ name: 'home', entityType: 'place', observations: [] }] }],
      ['add_observations', { observations: [{ entityName: 'home', contents: ['cosy'] }] }],
      ['read_graph', {}],
      ['open_nodes', { names: ['home'] }],
      ['graph_traverse', { from: 'home' }],
      ['delete_observations', { deletions: [{ entityName: 'home', observations: ['cosy'] }] }],
      ['delete_relations', { relations: [{ from: 'home', to: 'home', relationType: 'x' }] }],
      ['delete_entities', { entityNames: ['home'] }],
    ] as const) {
      expect((await structured(name, args)).namespace, name).toBe('project:home');
    }
    const status = JSON.parse(
      ((await client.readResource({ uri: 'mimo://status' })).contents[0] as { text: string }).text,
    ) as { namespace: string; namespaces: string[]; namespaceHint: string };
    expect(status.namespace).toBe('project:home');
    expect(status.namespaces).toEqual(expect.arrayContaining(['project:home', 'project:newcomer']));
    expect(status.namespaceHint).toContain('"*"');
  });
});

describe('pending embeddings through the real server (issue #11: they stayed pending forever, with no warning)', () => {
  const servers: EmbeddingsServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('should show them in mimo_status and embed them on its own once the embedder is up', async () => {
    const port = await closedPort();
    const box = sandbox({
      embedder: { provider: 'openai', model: 'm', baseUrl: `http://127.0.0.1:${port}`, dimensions: 4 },
    });
    const { structured } = await connect(box);
    const { id } = await structured<{ id: string }>('memory_store', {
      content: 'stored while the embedder is down',
    });
    type Status = {
      counts: { pendingEmbeddings: number };
      embedder: { backfill: { state: string; lastError: string | null } };
    };
    const down = await structured<Status>('mimo_status');
    expect(down.counts.pendingEmbeddings).toBe(1);
    expect(down.embedder.backfill.state).toMatch(/scheduled|running/);

    // The OpenAI-compatible embedder comes up on that port; nobody asks for a backfill.
    servers.push(await startEmbeddingsServer({ port, embed: (input) => input.map(() => [0, 1, 0, 0]) }));
    // The first retry waits about a second (doubling while it keeps failing).
    await expect
      .poll(async () => (await structured<Status>('mimo_status')).counts.pendingEmbeddings, {
        timeout: 30_000,
      })
      .toBe(0);
    const { memories } = await structured<{ memories: Array<{ embedding: { status: string } }> }>(
      'memory_get',
      {
        ids: [id],
      },
    );
    expect(memories[0]?.embedding.status).toBe('ready');
  });
});
