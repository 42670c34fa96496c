import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, impureLines, sandbox, TEE, teeFiles, text } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});
afterAll(() => {
  // Across every server this file started: stdout held nothing but JSON-RPC messages.
  for (const file of teeFiles) expect(impureLines(file), file).toEqual([]);
});

const everythingSkill = { command: process.execPath, args: [EVERYTHING, 'stdio'] };

async function v2(config?: Record<string, unknown>, extraEnv: Record<string, string> = {}) {
  const box = sandbox(config);
  const client = new ClientV2({ name: 'e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(
    new StdioV2({
      command: process.execPath,
      args: [TEE, CLI],
      env: { ...box.env, ...extraEnv },
      stderr: 'ignore',
    }),
  );
  closers.push(() => client.close());
  return { client, box };
}

async function v1(config?: Record<string, unknown>) {
  const box = sandbox(config);
  const client = new ClientV1({ name: 'e2e-v1', version: '1.0.0' });
  closers.push(() => client.close());
  return {
    client,
    box,
    connect: () =>
      client.connect(
        new StdioV1({ command: process.execPath, args: [TEE, CLI], env: box.env, stderr: 'ignore' }),
      ),
  };
}

describe('mimo over stdio with the official SDK v2 client (2026-07-28)', () => {
  it('should serve the modern era and list every tool with schemas and annotations', async () => {
    const { client } = await v2();
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'memory_store',
        'memory_search',
        'memory_get',
        'memory_update',
        'memory_delete',
        'memory_list',
        'create_entities',
        'create_relations',
        'add_observations',
        'delete_entities',
        'delete_observations',
        'delete_relations',
        'read_graph',
        'search_nodes',
        'open_nodes',
        'graph_traverse',
        'skills_status',
        'skills_restart',
        'find_tools',
        'call_tool',
        'mimo_status',
      ]),
    );
    const store = tools.find((tool) => tool.name === 'memory_store');
    expect(store?.inputSchema).toMatchObject({ type: 'object', required: ['content'] });
    expect(store?.outputSchema).toMatchObject({ type: 'object' });
    expect(store?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
    expect(tools.find((tool) => tool.name === 'memory_delete')?.annotations?.destructiveHint).toBe(true);
  });

  it('should store and find a memory, and report bad input as an isError result', async () => {
    const { client } = await v2();
    const stored = await client.callTool({
      name: 'memory_store',
      arguments: { content: 'The staging database runs PostgreSQL 16 on port 5433', tags: ['infra'] },
    });
    expect(stored.structuredContent).toMatchObject({ status: 'created' });
    const again = await client.callTool({
      name: 'memory_store',
      arguments: { content: 'The staging database runs PostgreSQL 16 on port 5433' },
    });
    expect(again.structuredContent).toMatchObject({
      status: 'duplicate',
      id: (stored.structuredContent as { id: string }).id,
    });
    const found = await client.callTool({
      name: 'memory_search',
      arguments: { query: 'which port does the staging postgres use?' },
    });
    const hits = (found.structuredContent as { hits: Array<{ memory: { content: string; tags: string[] } }> })
      .hits;
    expect(hits[0]?.memory).toMatchObject({
      content: 'The staging database runs PostgreSQL 16 on port 5433',
      tags: ['infra'],
    });
    const invalid = await client.callTool({ name: 'memory_store', arguments: { content: '' } });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/Invalid arguments for memory_store: content/);
    const missing = await client.callTool({
      name: 'memory_update',
      arguments: { id: 'no-such-id', content: 'x' },
    });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/No memory "no-such-id"/);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it('should find tools by meaning and call them through call_tool', async () => {
    const { client } = await v2();
    const found = await client.callTool({ name: 'find_tools', arguments: { query: 'search my memories' } });
    const names = (found.structuredContent as { tools: Array<{ name: string }> }).tools.map(
      (tool) => tool.name,
    );
    expect(names.slice(0, 3)).toContain('memory_search');
    await client.callTool({
      name: 'call_tool',
      arguments: { name: 'memory_store', arguments: { content: 'call_tool works' } },
    });
    const listed = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'memory_list', arguments: {} },
    });
    expect(JSON.stringify(listed.structuredContent)).toContain('call_tool works');
  });

  it('should show only memory tools and find/call in the compact profile', async () => {
    const { client } = await v2(undefined, { MIMO_TOOL_PROFILE: 'compact' });
    const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
    expect(names).toEqual(
      [
        'call_tool',
        'find_tools',
        'memory_delete',
        'memory_get',
        'memory_list',
        'memory_search',
        'memory_store',
        'memory_update',
        'mimo_status',
      ].sort(),
    );
    const created = await client.callTool({
      name: 'call_tool',
      arguments: {
        name: 'create_entities',
        arguments: { entities: [{ name: 'compact', entityType: 'mode', observations: [] }] },
      },
    });
    expect(created.isError).toBeFalsy();
  });

  it('should proxy a skill (server-everything) and report it in skills_status and mimo_status', async () => {
    const { client } = await v2({ mcpServers: { everything: { ...everythingSkill, startup: 'eager' } } });
    await expect
      .poll(async () => (await client.listTools()).tools.map((tool) => tool.name), { timeout: 15_000 })
      .toContain('everything__echo');
    const echoed = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'through mimo' },
    });
    expect(text(echoed)).toContain('through mimo');
    const status = await client.callTool({ name: 'skills_status', arguments: {} });
    expect(
      (status.structuredContent as { skills: Array<{ name: string; health: string }> }).skills,
    ).toMatchObject([{ name: 'everything', health: 'ready' }]);
    const mimo = (await client.callTool({ name: 'mimo_status', arguments: {} })).structuredContent as Record<
      string,
      unknown
    >;
    expect(mimo).toMatchObject({
      version: expect.any(String),
      vectorBackend: { name: expect.stringMatching(/native|js/) },
    });
    const resource = await client.readResource({ uri: 'mimo://status' });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ namespace: 'test' });
  });
});

describe('mimo over stdio with the official SDK v1 client (legacy era)', () => {
  it('should handshake, validate structured output, and run the graph tools with the official shapes', async () => {
    const { client, connect } = await v1();
    await connect();
    expect(client.getServerVersion()?.name).toBe('mimo');
    await client.callTool({
      name: 'create_entities',
      arguments: {
        entities: [
          { name: 'alice', entityType: 'person', observations: ['leads the payments team'] },
          { name: 'payments', entityType: 'service', observations: ['written in Go'] },
          { name: 'postgres', entityType: 'database', observations: [] },
        ],
      },
    });
    await client.callTool({
      name: 'create_relations',
      arguments: {
        relations: [
          { from: 'alice', to: 'payments', relationType: 'owns' },
          { from: 'payments', to: 'postgres', relationType: 'depends_on' },
        ],
      },
    });
    await client.callTool({
      name: 'add_observations',
      arguments: { observations: [{ entityName: 'postgres', contents: ['version 16'] }] },
    });
    const search = await client.callTool({ name: 'search_nodes', arguments: { query: 'go service' } });
    expect((search.structuredContent as { entities: Array<{ name: string }> }).entities[0]?.name).toBe(
      'payments',
    );
    const path = await client.callTool({
      name: 'graph_traverse',
      arguments: { from: 'alice', to: 'postgres' },
    });
    expect((path.structuredContent as { path: string[] }).path).toEqual(['alice', 'payments', 'postgres']);
    const graph = await client.callTool({ name: 'read_graph', arguments: {} });
    expect(graph.structuredContent).toMatchObject({
      entities: expect.arrayContaining([expect.objectContaining({ name: 'alice' })]),
    });
    const opened = await client.callTool({ name: 'open_nodes', arguments: { names: ['postgres'] } });
    expect(
      (opened.structuredContent as { entities: Array<{ observations: string[] }> }).entities[0]?.observations,
    ).toEqual(['version 16']);
    await client.callTool({ name: 'delete_entities', arguments: { entityNames: ['alice'] } });
    const after = await client.callTool({ name: 'open_nodes', arguments: { names: ['alice'] } });
    expect((after.structuredContent as { entities: unknown[] }).entities).toEqual([]);
  });

  it('should announce list_changed when a skill’s tools appear, and record skill calls as memories when asked', async () => {
    const { client, connect } = await v1({
      mcpServers: { everything: everythingSkill },
      recordSkillCalls: true,
    });
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await connect();
    await changed;
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('everything__get-sum');
    expect(
      text(await client.callTool({ name: 'everything__get-sum', arguments: { a: 20, b: 22 } })),
    ).toContain('42');
    await expect
      .poll(
        async () => {
          const found = await client.callTool({
            name: 'memory_search',
            arguments: { query: 'get-sum', kinds: ['skill-call'] },
          });
          return JSON.stringify(found.structuredContent);
        },
        { timeout: 5000 },
      )
      .toContain('everything/get-sum succeeded');
  });
});
