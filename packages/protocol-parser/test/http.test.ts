import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkOrigin,
  createBearerVerifier,
  createMcpHttpHandler,
  createRequestGate,
  type McpHttpHandlerOptions,
  RateLimiter,
} from '../src/http/index.js';
import { JsonRpcError, META_KEYS, ProtocolError, type Tool } from '../src/index.js';
import { McpServer } from '../src/server/index.js';
import { callSlowSeeingProgress } from './helpers/progress.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

function makeServer() {
  const tools: Tool[] = [
    { name: 'echo', description: 'Echoes', inputSchema: { type: 'object' } },
    { name: 'slow', description: 'Reports progress', inputSchema: { type: 'object' } },
    { name: 'grow', description: 'Adds a tool', inputSchema: { type: 'object' } },
  ];
  /** Ends a `slow` call made with `hold: true` (the unlisted `release` tool calls it). */
  let release = () => {};
  const server: McpServer = new McpServer({
    serverInfo: { name: 'http-fixture', version: '1.0.0' },
    tools: {
      list: () => tools,
      async call(name, args, scope) {
        if (name === 'echo')
          return { content: [{ type: 'text', text: `${String(args.message)} (${scope.era})` }] };
        if (name === 'slow') {
          for (let i = 1; i <= 3; i++) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            await scope.sendProgress({ progress: i, total: 3 });
          }
          if (args.hold) await new Promise<void>((resolve) => (release = resolve));
          return { content: [{ type: 'text', text: 'slow done' }] };
        }
        if (name === 'release') {
          release();
          return { content: [{ type: 'text', text: 'released' }] };
        }
        if (name === 'grow') {
          tools.push({
            name: `grown_${tools.length}`,
            description: 'Grown',
            inputSchema: { type: 'object' },
          });
          setTimeout(() => void server.notifyListChanged('tools'), 10);
          return { content: [{ type: 'text', text: 'grown' }] };
        }
        throw new JsonRpcError(-32602, `Unknown tool: ${name}`);
      },
    },
  });
  return server;
}

async function serve(options: Partial<McpHttpHandlerOptions> = {}) {
  const server = makeServer();
  const handler = createMcpHttpHandler({ server, ...options });
  const http: Server = createServer((request, response) => {
    void handler.handle(request, response).then((handled) => {
      if (!handled) response.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  closers.push(async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, port, handler, server };
}

const JSON_AND_SSE = 'application/json, text/event-stream';
const modernMeta = { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28', [META_KEYS.CLIENT_CAPABILITIES]: {} };
const modernEcho = {
  jsonrpc: '2.0',
  id: 4,
  method: 'tools/call',
  params: { name: 'echo', arguments: {}, _meta: modernMeta },
};
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: JSON_AND_SSE, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: { error?: { code: number; message: string }; result?: unknown } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

async function openSession(url: string): Promise<string> {
  const opened = await post(url, initialize);
  expect(opened.status).toBe(200);
  const id = opened.headers.get('mcp-session-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return id as string;
}

describe('Streamable HTTP with the official clients', () => {
  it('should hold a legacy session with the SDK v1 client: tools, progress over SSE, list_changed on GET', async () => {
    const { url, handler } = await serve();
    const client = new ClientV1({ name: 'v1', version: '1.0.0' });
    const transport = new HttpV1(new URL(url));
    closers.push(() => client.close());
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(handler.sessionCount).toBe(1);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['echo', 'slow', 'grow']);
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'hi (legacy)' }]);
    const progress: number[] = [];
    await client.callTool({ name: 'slow', arguments: {} }, undefined, {
      onprogress: ({ progress: p }) => progress.push(p),
    });
    expect(progress).toEqual([1, 2, 3]);
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    await client.callTool({ name: 'grow', arguments: {} });
    await changed;
    expect((await client.listTools()).tools).toHaveLength(4);
    await transport.terminateSession();
    expect(handler.sessionCount).toBe(0);
  });

  it('should serve the SDK v2 client statelessly in 2026-07-28, with progress and a listen stream', async () => {
    const { url, handler } = await serve();
    let changes = 0;
    const client = new ClientV2(
      { name: 'v2', version: '2.0.0' },
      { versionNegotiation: { mode: 'auto' }, listChanged: { tools: { onChanged: () => changes++ } } },
    );
    closers.push(() => client.close());
    await client.connect(new HttpV2(new URL(url)));
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(handler.sessionCount).toBe(0);
    const echoed = await client.callTool({ name: 'echo', arguments: { message: 'yo' } });
    expect(echoed.content).toEqual([{ type: 'text', text: 'yo (modern)' }]);
    expect((await callSlowSeeingProgress(client)).content).toEqual([{ type: 'text', text: 'slow done' }]);
    await client.callTool({ name: 'grow', arguments: {} });
    await expect.poll(() => changes, { timeout: 5000 }).toBeGreaterThan(0);
  });
});

describe('Streamable HTTP: the golden matrix of bad requests', () => {
  it('should answer each malformed request with the exact status and JSON-RPC code', async () => {
    const { url } = await serve();
    const session = await openSession(url);
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    const modernPing = { jsonrpc: '2.0', id: 3, method: 'ping', params: { _meta: modernMeta } };
    const modernHeaders = { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'ping' };
    const cases: Array<
      [string, () => Promise<{ status: number; json?: { error?: { code: number } } }>, number, number?]
    > = [
      ['bad JSON', () => post(url, '{"jsonrpc":', { 'Mcp-Session-Id': session }), 400, -32700],
      ['not JSON-RPC', () => post(url, { hello: 1 }, { 'Mcp-Session-Id': session }), 400, -32600],
      ['wrong jsonrpc version', () => post(url, { jsonrpc: '1.0', id: 1, method: 'ping' }), 400, -32600],
      [
        'no Accept',
        () => post(url, ping, { Accept: 'application/json', 'Mcp-Session-Id': session }),
        406,
        -32000,
      ],
      [
        'bad Content-Type',
        () => post(url, ping, { 'Content-Type': 'text/plain', 'Mcp-Session-Id': session }),
        415,
        -32000,
      ],
      ['missing session', () => post(url, ping), 400, -32000],
      ['unknown session', () => post(url, ping, { 'Mcp-Session-Id': 'nope' }), 404, -32001],
      [
        'unsupported legacy version',
        () => post(url, ping, { 'Mcp-Session-Id': session, 'MCP-Protocol-Version': '1999-01-01' }),
        400,
        -32000,
      ],
      [
        'initialize with a session id',
        () => post(url, initialize, { 'Mcp-Session-Id': session }),
        400,
        -32600,
      ],
      [
        'initialize with a modern header',
        () => post(url, initialize, { 'MCP-Protocol-Version': '2026-07-28' }),
        400,
        -32020,
      ],
      ['batch in a 2025-11-25 session', () => post(url, [ping], { 'Mcp-Session-Id': session }), 200, -32600],
      ['modern element in a batch', () => post(url, [modernPing]), 400, -32600],
      [
        'modern without Mcp-Method',
        () => post(url, modernPing, { 'MCP-Protocol-Version': '2026-07-28' }),
        400,
        -32020,
      ],
      [
        'modern without the version header',
        () => post(url, modernPing, { 'Mcp-Method': 'ping' }),
        400,
        -32020,
      ],
      [
        'modern header/body version mismatch',
        () => post(url, modernPing, { ...modernHeaders, 'MCP-Protocol-Version': '2025-11-25' }),
        400,
        -32020,
      ],
      [
        'modern unsupported version',
        () =>
          post(
            url,
            {
              ...modernPing,
              params: { _meta: { ...modernMeta, [META_KEYS.PROTOCOL_VERSION]: '2099-01-01' } },
            },
            { 'MCP-Protocol-Version': '2099-01-01', 'Mcp-Method': 'ping' },
          ),
        400,
        -32022,
      ],
      ['modern header without envelope', () => post(url, ping, modernHeaders), 400, -32602],
      [
        'modern envelope without capabilities',
        () =>
          post(
            url,
            { ...modernPing, params: { _meta: { [META_KEYS.PROTOCOL_VERSION]: '2026-07-28' } } },
            modernHeaders,
          ),
        400,
        -32602,
      ],
      [
        'modern tools/call without Mcp-Name',
        () => post(url, modernEcho, { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'tools/call' }),
        400,
        -32020,
      ],
      [
        'modern tools/call with a wrong Mcp-Name',
        () =>
          post(url, modernEcho, {
            'MCP-Protocol-Version': '2026-07-28',
            'Mcp-Method': 'tools/call',
            'Mcp-Name': 'slow',
          }),
        400,
        -32020,
      ],
      [
        'unknown method (in-band)',
        () => post(url, { ...modernPing, method: 'nope' }, { ...modernHeaders, 'Mcp-Method': 'nope' }),
        200,
        -32601,
      ],
    ];
    for (const [name, run, status, code] of cases) {
      const result = await run();
      const reply = result.json as
        | { error?: { code: number } }
        | Array<{ error?: { code: number } }>
        | undefined;
      const error = Array.isArray(reply) ? reply[0]?.error : reply?.error;
      expect({ name, status: result.status, code: error?.code }).toEqual({ name, status, code });
    }
  });

  it('should answer notifications with 202 and no body, and use the right statuses for GET, DELETE and other methods', async () => {
    const { url } = await serve();
    const session = await openSession(url);
    const note = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { 'Mcp-Session-Id': session },
    );
    expect([note.status, note.text]).toEqual([202, '']);
    const modernNote = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: modernMeta } },
      { 'MCP-Protocol-Version': '2026-07-28' },
    );
    expect([modernNote.status, modernNote.text]).toEqual([202, '']);
    const ok = await post(
      url,
      { jsonrpc: '2.0', id: 9, method: 'ping', params: { _meta: modernMeta } },
      { 'MCP-Protocol-Version': '2026-07-28', 'Mcp-Method': 'ping' },
    );
    expect([ok.status, ok.json?.result]).toEqual([200, { resultType: 'complete' }]);

    const put = await fetch(url, { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST, DELETE']);
    expect(
      (await fetch(url, { headers: { Accept: 'application/json', 'Mcp-Session-Id': session } })).status,
    ).toBe(406);
    expect((await fetch(url, { headers: { Accept: 'text/event-stream' } })).status).toBe(400);
    expect(
      (await fetch(url, { headers: { Accept: 'text/event-stream', 'MCP-Protocol-Version': '2026-07-28' } }))
        .status,
    ).toBe(405);
    const stream = await fetch(url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
    expect([stream.status, stream.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    expect(
      (await fetch(url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } })).status,
    ).toBe(409);
    await stream.body?.cancel();
    expect((await fetch(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } })).status).toBe(200);
    expect((await fetch(url, { method: 'DELETE', headers: { 'Mcp-Session-Id': session } })).status).toBe(404);
    expect(
      (await post(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, { 'Mcp-Session-Id': session })).status,
    ).toBe(404);
  });

  it('should refuse a body over the limit with 413 and keep serving', async () => {
    const { url } = await serve({ maxBodyBytes: 1000 });
    const big = await post(url, { ...initialize, params: { ...initialize.params, pad: 'x'.repeat(2000) } });
    expect([big.status, big.json?.error?.code]).toEqual([413, -32010]);
    await openSession(url);
  });
});

describe('Streamable HTTP security', () => {
  it('should check Host and Origin: loopback allowed, null, unparsable and look-alike origins refused', async () => {
    const { url, port } = await serve();
    const withOrigin = (origin: string) => post(url, initialize, { Origin: origin });
    expect((await withOrigin(`http://localhost:${port}`)).status).toBe(200);
    expect((await withOrigin(`http://127.0.0.1:${port}`)).status).toBe(200);
    expect((await withOrigin(`http://[::1]:${port}`)).status).toBe(200);
    for (const bad of [
      'null',
      'not a url',
      'http://localhost.evil.com',
      'http://127.0.0.1.nip.io',
      'https://evil.com',
      'file://x',
      'http://user@localhost',
    ]) {
      const refused = await withOrigin(bad);
      expect({ bad, status: refused.status, code: refused.json?.error?.code }).toEqual({
        bad,
        status: 403,
        code: -32000,
      });
    }
    // DNS rebinding: a request for evil.com that resolves to 127.0.0.1.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: { Host: 'evil.com', 'Content-Type': 'application/json', Accept: JSON_AND_SSE },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(initialize));
    });
    expect(status).toBe(403);
  });

  it('should require a bearer token when tokens are set, and rate-limit per client with Retry-After', async () => {
    const { url } = await serve({ tokens: ['s3cret', 'other'], rateLimit: { burst: 3, perSecond: 1 } });
    expect((await post(url, initialize)).status).toBe(401);
    expect((await post(url, initialize, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(url, initialize, { Authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await post(url, initialize, { Authorization: 'bearer other' })).status).toBe(200);
    expect((await post(url, initialize, { Authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await post(url, initialize, { Authorization: 'Bearer s3cret' })).status).toBe(200);
    const limited = await post(url, initialize, { Authorization: 'Bearer s3cret' });
    expect([limited.status, limited.headers.get('retry-after'), limited.json?.error?.code]).toEqual([
      429,
      '1',
      -32014,
    ]);
  });

  it('should judge origins, tokens and buckets exactly (unit)', () => {
    expect(checkOrigin(undefined)).toEqual({ ok: true });
    expect(checkOrigin('https://app.example.com', { allowed: ['https://app.example.com'] })).toEqual({
      ok: true,
    });
    expect(checkOrigin('https://app.example.com').ok).toBe(false);
    expect(checkOrigin('http://localhost:3000', { allowLoopback: false }).ok).toBe(false);
    const verify = createBearerVerifier(['a-token']);
    expect([
      verify('Bearer a-token'),
      verify('Bearer a-toke'),
      verify('Bearer a-token2'),
      verify(undefined),
      verify('a-token'),
    ]).toEqual([true, false, false, false, false]);
    expect(createBearerVerifier([])('Bearer ')).toBe(false);
    const limiter = new RateLimiter({ burst: 2, perSecond: 10 });
    expect([
      limiter.take('a', 0).ok,
      limiter.take('a', 0).ok,
      limiter.take('a', 0).ok,
      limiter.take('b', 0).ok,
    ]).toEqual([true, true, false, true]);
    expect(limiter.take('a', 50)).toEqual({ ok: false, retryAfterMs: 50 });
    expect(limiter.take('a', 100).ok).toBe(true);
  });
});

describe('Streamable HTTP: hardening from issue #11', () => {
  it('should answer [], [1] and [[1]] with 400/-32600 like stdio (bug: 202 and no body)', async () => {
    const { url } = await serve();
    const session = await openSession(url);
    for (const body of ['[]', '[1]', '[[1]]']) {
      const answer = await post(url, body, { 'Mcp-Session-Id': session });
      expect([body, answer.status, answer.json?.error?.code]).toEqual([body, 400, -32600]);
    }
    const empty = await post(url, '[]');
    expect([empty.status, empty.json?.error?.code]).toEqual([400, -32600]);
    // A real notification is still accepted with 202.
    const note = await post(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      {
        'Mcp-Session-Id': session,
      },
    );
    expect([note.status, note.text]).toEqual([202, '']);
  });

  it('should refuse an address with 429 after 10 failed token checks, without comparing its tokens (bug: 3,000 guesses at 2,000/s)', async () => {
    const { url } = await serve({ tokens: ['the-right-token'] });
    const statuses: number[] = [];
    for (let guess = 0; guess < 12; guess++) {
      statuses.push((await post(url, initialize, { Authorization: `Bearer guess-${guess}` })).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const blocked = await post(url, initialize, { Authorization: 'Bearer the-right-token' });
    expect([blocked.status, blocked.json?.error?.code]).toEqual([429, -32014]);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('should let a right token through while another address guesses, and allow turning the limit off', async () => {
    const { url } = await serve({ tokens: ['the-right-token'], authFailureLimit: false });
    for (let guess = 0; guess < 15; guess++) {
      expect((await post(url, initialize, { Authorization: `Bearer guess-${guess}` })).status).toBe(401);
    }
    expect((await post(url, initialize, { Authorization: 'Bearer the-right-token' })).status).toBe(200);
  });

  it('should evict the oldest session holding a GET stream when full (bug: streams locked new clients out with 503)', async () => {
    const { url, handler } = await serve({ maxSessions: 3 });
    const closed: string[] = [];
    handler.on('session-closed', ({ sessionId, reason }) => closed.push(`${reason}:${sessionId}`));
    const streams: Array<{ session: string; body: ReadableStreamDefaultReader<Uint8Array> }> = [];
    for (let i = 0; i < 3; i++) {
      const session = await openSession(url);
      const get = await fetch(url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
      expect(get.status).toBe(200);
      streams.push({ session, body: (get.body as ReadableStream<Uint8Array>).getReader() });
    }
    const fourth = await post(url, initialize);
    expect(fourth.status).toBe(200);
    expect(handler.sessionCount).toBe(3);
    const [first, second] = streams as [(typeof streams)[0], (typeof streams)[0]];
    expect(closed).toEqual([`evicted:${first.session}`]);
    // The evicted session's stream ended; the session is gone; the others still work.
    for (;;) if ((await first.body.read()).done) break;
    expect(
      (await post(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { 'Mcp-Session-Id': first.session }))
        .status,
    ).toBe(404);
    expect(
      (await post(url, { jsonrpc: '2.0', id: 6, method: 'ping' }, { 'Mcp-Session-Id': second.session }))
        .status,
    ).toBe(200);
    for (const stream of streams) await stream.body.cancel().catch(() => {});
  });

  it('should bound the GET streams one client holds (429 beyond maxStreamsPerClient)', async () => {
    const { url } = await serve({ maxStreamsPerClient: 2 });
    const readers: Array<ReadableStreamDefaultReader<Uint8Array>> = [];
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const session = await openSession(url);
      const get = await fetch(url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
      statuses.push(get.status);
      if (get.body) readers.push(get.body.getReader());
    }
    expect(statuses).toEqual([200, 200, 429]);
    // Closing a stream frees its place.
    await readers[0]?.cancel();
    const session = await openSession(url);
    await expect
      .poll(async () => {
        const get = await fetch(url, { headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': session } });
        if (get.body) readers.push(get.body.getReader());
        return get.status;
      })
      .toBe(200);
    for (const reader of readers) await reader.cancel().catch(() => {});
  });

  it('should close the connection after refusing a request whose body it did not read (bug: half a body held the socket)', async () => {
    const { port } = await serve({ tokens: ['the-right-token'] });
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        'Accept: application/json, text/event-stream\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":',
    );
    await ended;
    expect(received).toMatch(/^HTTP\/1.1 401 /);
    expect(received.toLowerCase()).toContain('connection: close');
  });
});

describe('createMcpHttpHandler options', () => {
  it('should reject a misspelt option naming it (bug: tokenz was ignored and the endpoint served without a token)', () => {
    const options = { server: makeServer(), tokenz: ['secret'] } as unknown as McpHttpHandlerOptions;
    expect(() => createMcpHttpHandler(options)).toThrow(ProtocolError);
    expect(() => createMcpHttpHandler(options)).toThrow(
      /createMcpHttpHandler: unknown option "tokenz" \(did you mean "tokens"\?\)/,
    );
    expect(() => createRequestGate({ allowedHost: ['a.example'] } as never)).toThrow(
      /createRequestGate: unknown option "allowedHost" \(did you mean "allowedHosts"\?\)/,
    );
  });

  it('should accept every documented option', async () => {
    const handler = createMcpHttpHandler({
      server: makeServer(),
      path: '/mcp',
      maxBodyBytes: 1024,
      maxSessions: 2,
      sessionIdleMs: 60_000,
      allowedHosts: ['mimo.example'],
      allowedOrigins: ['https://app.example'],
      tokens: ['secret'],
      rateLimit: { burst: 5, perSecond: 1 },
      authFailureLimit: false,
      maxStreamsPerClient: 2,
      heartbeatMs: 1000,
    });
    expect(handler.gate.requiresToken).toBe(true);
    await handler.close();
  });
});
