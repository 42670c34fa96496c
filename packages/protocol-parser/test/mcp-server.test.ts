import { fileURLToPath } from 'node:url';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createInMemoryTransportPair, JsonRpcEndpoint, JsonRpcError, META_KEYS } from '../src/index.js';
import { McpServer } from '../src/server/index.js';
import { callSlowSeeingProgress } from './helpers/progress.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/mcp-server.mjs', import.meta.url));
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});

const text = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;

describe('McpServer with the official SDK v1 client (legacy era)', () => {
  it('should handshake, page lists, call tools, report tool failures as results, and announce list changes', async () => {
    const client = new ClientV1({ name: 'v1', version: '1.0.0' });
    closers.push(() => client.close());
    await client.connect(new StdioV1({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' }));
    expect(client.getServerVersion()).toMatchObject({ name: 'protocol-parser-fixture' });
    expect(client.getInstructions()).toBe('A test server.');
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
      'echo',
      'fail',
      'slow',
      'grow',
    ]);
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(echoed.structuredContent).toEqual({ echoed: 'hello' });
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    expect(text(failed)).toBe('this tool always fails');
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool: nope/);

    const uris: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      uris.push(...page.resources.map((resource) => resource.uri));
      cursor = page.nextCursor;
    } while (cursor);
    expect(uris).toHaveLength(250);
    expect(new Set(uris).size).toBe(250);
    expect(((await client.readResource({ uri: 'test://item/7' })).contents[0] as { text: string }).text).toBe(
      'content of item 7',
    );
    await expect(client.readResource({ uri: 'test://missing' })).rejects.toMatchObject({ code: -32002 });

    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await client.callTool({ name: 'grow', arguments: {} });
    await changed;
    expect((await client.listTools()).tools).toHaveLength(5);
  });
});

describe('McpServer with the official SDK v2 client (2026-07-28)', () => {
  it('should be discovered as modern, serve requests with the _meta envelope, progress and list changes', async () => {
    let changes = 0;
    const client = new ClientV2(
      { name: 'v2', version: '2.0.0' },
      {
        versionNegotiation: { mode: 'auto' },
        listChanged: { tools: { onChanged: () => changes++ } },
      },
    );
    closers.push(() => client.close());
    await client.connect(new StdioV2({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' }));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect((await client.listTools()).tools).toHaveLength(4);
    expect(text(await callSlowSeeingProgress(client))).toBe('slow done (modern)');
    expect((await client.listResources()).resources).toHaveLength(250);
    await expect(client.readResource({ uri: 'test://missing' })).rejects.toMatchObject({ code: -32602 });
    await client.callTool({ name: 'grow', arguments: {} });
    await expect.poll(() => changes, { timeout: 5000 }).toBeGreaterThan(0);
  });
});

describe('McpServer envelope checks', () => {
  it('should refuse an unsupported version with -32022 and a missing capabilities object with -32602', async () => {
    const [clientSide, serverSide] = createInMemoryTransportPair();
    const server = new McpServer({
      serverInfo: { name: 's', version: '1' },
      tools: { list: () => [], call: async () => ({ content: [] }) },
    });
    await server.connect(serverSide);
    const client = new JsonRpcEndpoint();
    await client.connect(clientSide);
    closers.push(
      () => client.close(),
      () => server.close(),
    );
    const unsupported = await client
      .request('tools/list', {
        _meta: { [META_KEYS.PROTOCOL_VERSION]: '2099-01-01', [META_KEYS.CLIENT_CAPABILITIES]: {} },
      })
      .catch((error: unknown) => error);
    expect(JsonRpcError.isInstance(unsupported) && unsupported.code).toBe(-32022);
    expect((unsupported as JsonRpcError).data).toMatchObject({
      supported: ['2026-07-28'],
      requested: '2099-01-01',
    });
    const missing = await client
      .request('tools/list', { _meta: { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28' } })
      .catch((error: unknown) => error);
    expect(JsonRpcError.isInstance(missing) && missing.code).toBe(-32602);
    const ok = await client.request('tools/list', {
      _meta: { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28', [META_KEYS.CLIENT_CAPABILITIES]: {} },
    });
    expect(ok).toMatchObject({ tools: [], resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    const legacy = await client.request('initialize', {
      protocolVersion: '2024-11-05',
      capabilities: {},
      clientInfo: { name: 'c', version: '1' },
    });
    expect(legacy).toMatchObject({ protocolVersion: '2024-11-05', serverInfo: { name: 's' } });
  });
});
