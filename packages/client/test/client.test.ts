import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import {
  createInMemoryTransportPair,
  JsonRpcEndpoint,
  LEGACY_PROTOCOL_VERSIONS,
} from '@mimo-mcp/protocol-parser';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError, createHttpTransport, McpClient } from '../src/index.js';
import { createServer as createV2Server } from './fixtures/v2-server.mjs';
import {
  connectStdio,
  defer,
  EVERYTHING,
  failure,
  fixture,
  MEMORY,
  nodeSpec,
  runCleanups,
  serveFetch,
  tempDir,
  text,
} from './helpers.js';

afterEach(runCleanups);

describe('McpClient with the official server-everything (legacy SDK v1, stdio)', () => {
  it('should fall back from server/discover to initialize, discover tools and call one', async () => {
    const { client, server } = await connectStdio(nodeSpec(EVERYTHING, 'stdio'));
    expect(server.era).toBe('legacy');
    expect(LEGACY_PROTOCOL_VERSIONS).toContain(server.protocolVersion);
    expect(server.serverInfo?.name).toBeTruthy();
    const names = (await client.listTools()).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-long-running-operation']));
    expect(text(await client.callTool('echo', { message: 'hello' }))).toContain('hello');
    const sum = await client.callTool('get-sum', { a: 2, b: 40 });
    expect(text(sum)).toContain('42');
  });

  it('should forward progress and cancel a long operation, leaving the server usable', async () => {
    const { client } = await connectStdio(nodeSpec(EVERYTHING, 'stdio'));
    const progress: number[] = [];
    const done = await client.callTool(
      'trigger-long-running-operation',
      { duration: 0.5, steps: 5 },
      { onProgress: ({ progress: value, total }) => progress.push(value / (total ?? 1)) },
    );
    expect(text(done)).toContain('completed');
    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1]);

    const controller = new AbortController();
    const long = client.callTool(
      'trigger-long-running-operation',
      { duration: 30, steps: 30 },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('user gave up')), 200);
    // ABORTED, not the 30 s operation's result nor a timeout.
    expect((await failure(() => long)).code).toBe('ABORTED');
    expect(client.pendingRequests).toBe(0);
    expect(text(await client.callTool('echo', { message: 'still here' }))).toContain('still here');
  });

  it('should keep many requests in flight on one connection, multiplexed by id', async () => {
    const { client } = await connectStdio(nodeSpec(EVERYTHING, 'stdio'));
    const messages = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    const results = await Promise.all(messages.map((message) => client.callTool('echo', { message })));
    results.forEach((result, i) => {
      expect(text(result)).toContain(messages[i]);
    });
  });
});

describe('McpClient with the official server-memory (stdio)', () => {
  it('should create and read back entities', async () => {
    const file = join(tempDir(), 'memory.jsonl');
    const { client } = await connectStdio({ ...nodeSpec(MEMORY), env: { MEMORY_FILE_PATH: file } });
    const names = (await client.listTools()).map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['create_entities', 'read_graph', 'search_nodes']));
    await client.callTool('create_entities', {
      entities: [{ name: 'mimo', entityType: 'project', observations: ['speaks both MCP eras'] }],
    });
    const graph = await client.callTool('read_graph', {});
    expect(JSON.stringify(graph)).toContain('speaks both MCP eras');
  });
});

describe('McpClient with a dual-era server built on the official SDK v2', () => {
  it('should speak the stateless 2026-07-28 protocol when the server offers it', async () => {
    const { client, server } = await connectStdio(nodeSpec(fixture('v2-server.mjs')));
    expect(server).toMatchObject({
      era: 'modern',
      protocolVersion: '2026-07-28',
      serverInfo: { name: 'v2-fixture' },
    });
    expect(text(await client.callTool('echo', { message: 'modern hello' }))).toBe('modern hello');
    const progress: number[] = [];
    await client.callTool(
      'slow',
      { ms: 200, steps: 4 },
      { onProgress: ({ progress: step }) => progress.push(step) },
    );
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('should hear list changes on the subscriptions/listen stream and see the new tool', async () => {
    const { client } = await connectStdio(nodeSpec(fixture('v2-server.mjs')));
    let changes = 0;
    client.on('tools-changed', () => changes++);
    await client.callTool('add_tool', { name: 'fresh_tool' });
    await waitFor(() => changes > 0, { timeoutMs: 5000 });
    expect((await client.listTools()).map((tool) => tool.name)).toContain('fresh_tool');
  });

  it('should use the initialize handshake when told to (legacy pin)', async () => {
    const { client, server } = await connectStdio(nodeSpec(fixture('v2-server.mjs')), {
      versionNegotiation: 'legacy',
    });
    expect(server.era).toBe('legacy');
    expect(text(await client.callTool('echo', { message: 'legacy hello' }))).toBe('legacy hello');
  });

  it('should refuse a legacy-only server when modern is required', async () => {
    const error = await failure(() =>
      connectStdio(nodeSpec(EVERYTHING, 'stdio'), { versionNegotiation: 'modern' }),
    );
    expect(error.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
  });
});

describe('McpClient against a hand-written legacy server', () => {
  it('should follow every page of tools/list', async () => {
    const { client } = await connectStdio(nodeSpec(fixture('raw-server.mjs'), '--tools=120', '--page=7'));
    const tools = await client.listTools();
    expect(tools).toHaveLength(133);
    expect(new Set(tools.map((tool) => tool.name)).size).toBe(133);
  });

  it('should time out a hanging call and tell the server with notifications/cancelled', async () => {
    const { client } = await connectStdio(nodeSpec(fixture('raw-server.mjs')));
    const error = await failure(() => client.callTool('hang', {}, { timeoutMs: 200 }));
    expect(error.code).toBe('TIMEOUT');
    const cancelled = await client.callTool('cancellations');
    expect((cancelled.structuredContent as { cancelled: unknown[] }).cancelled).toHaveLength(1);
  });

  it('should fall back to initialize when the probe gets no answer at all', async () => {
    const started = Date.now();
    const { server } = await connectStdio(nodeSpec(fixture('raw-server.mjs'), '--silent-discover'), {
      probeTimeoutMs: 300,
    });
    expect(server.era).toBe('legacy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('should report a server error with its code, and a server that exits as a failed connection', async () => {
    const { client } = await connectStdio(nodeSpec(fixture('raw-server.mjs')));
    const error = await failure(() => client.callTool('flaky_write'));
    expect(error).toMatchObject({ code: 'REMOTE_ERROR', remoteCode: -32603 });
    const crashed = await failure(() => client.callTool('crash'));
    expect(crashed.code).toBe('NOT_CONNECTED');
    expect(client.connected).toBe(false);
    const exits = await failure(() =>
      connectStdio(nodeSpec(fixture('raw-server.mjs'), '--exit-immediately')),
    );
    expect(exits.code).toBe('CONNECT_FAILED');
  });
});

describe('McpClient over the in-memory transport', () => {
  it('should negotiate, list and call against an in-process server', async () => {
    const [clientSide, serverSide] = createInMemoryTransportPair();
    const server = new JsonRpcEndpoint();
    server.setRequestHandler('initialize', () => ({
      protocolVersion: '2025-11-25',
      capabilities: { tools: {} },
      serverInfo: { name: 'in-process', version: '1' },
    }));
    server.setRequestHandler('tools/list', () => ({
      tools: [{ name: 'add', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler('tools/call', (params) => {
      const { a, b } = (params as { arguments: { a: number; b: number } }).arguments;
      return { content: [{ type: 'text', text: String(a + b) }] };
    });
    await server.connect(serverSide);
    defer(() => server.close());
    const client = new McpClient();
    defer(() => client.close());
    const description = await client.connect(clientSide);
    expect(description).toMatchObject({ era: 'legacy', serverInfo: { name: 'in-process' } });
    expect((await client.listTools()).map((tool) => tool.name)).toEqual(['add']);
    expect(text(await client.callTool('add', { a: 2, b: 40 }))).toBe('42');
  });

  it('should send this package’s version as clientInfo by default (bug: a hard-coded 0.1.0)', async () => {
    const [clientSide, serverSide] = createInMemoryTransportPair();
    const server = new JsonRpcEndpoint();
    let clientInfo: unknown;
    server.setRequestHandler('initialize', (params) => {
      clientInfo = (params as { clientInfo?: unknown }).clientInfo;
      return {
        protocolVersion: '2025-11-25',
        capabilities: {},
        serverInfo: { name: 'in-process', version: '1' },
      };
    });
    await server.connect(serverSide);
    defer(() => server.close());
    const client = new McpClient({ versionNegotiation: 'legacy' });
    defer(() => client.close());
    await client.connect(clientSide);
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(clientInfo).toEqual({ name: 'mimo', version });
  });
});

describe('McpClient options', () => {
  it('should reject an unknown option with a message naming it (bug: a misspelt requestTimeoutMS was ignored)', () => {
    let error: unknown;
    try {
      new McpClient({ requestTimeoutMS: 5 } as never);
    } catch (caught) {
      error = caught;
    }
    expect(ClientError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', data: { unknown: ['requestTimeoutMS'] } });
    expect((error as Error).message).toMatch(
      /new McpClient: unknown option "requestTimeoutMS" \(did you mean "requestTimeoutMs"\?\)/,
    );
  });
});

describe('McpClient over Streamable HTTP', () => {
  it('should talk 2026-07-28 to the official SDK v2 handler, with progress over SSE', async () => {
    const handler = createMcpHandler(() => createV2Server());
    defer(() => handler.close());
    const { url } = await serveFetch((request) => handler.fetch(request));
    const client = new McpClient();
    defer(() => client.close());
    const server = await client.connect(createHttpTransport({ url }));
    expect(server).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28' });
    expect((await client.listTools()).map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['echo', 'slow']),
    );
    expect(text(await client.callTool('echo', { message: 'over http' }))).toBe('over http');
    const progress: number[] = [];
    await client.callTool(
      'slow',
      { ms: 150, steps: 3 },
      { onProgress: ({ progress: step }) => progress.push(step) },
    );
    expect(progress).toEqual([1, 2, 3]);
  });

  it('should hold a legacy session with the official server-everything over HTTP', async () => {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const proc = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    defer(async () => proc.kill('SIGKILL'));
    let log = '';
    proc.stderr.on('data', (chunk: Buffer) => {
      log += chunk;
    });
    await waitFor(() => log.includes('listening'), { timeoutMs: 15_000 });
    const client = new McpClient();
    defer(() => client.close());
    const server = await client.connect(createHttpTransport({ url: `http://127.0.0.1:${port}/mcp` }));
    expect(server.era).toBe('legacy');
    expect((await client.listTools()).map((tool) => tool.name)).toContain('echo');
    expect(text(await client.callTool('echo', { message: 'session hello' }))).toContain('session hello');
  });
});
