import { type ChildProcess, execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openMemoryStore } from '@mimo-mcp/memory-store';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as HttpV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, EAGER_EVERYTHING, EVERYTHING, INITIALIZE_REQUEST, sandbox, serveHttp } from './helpers.js';

const run = promisify(execFile);
const TOKEN = 'test-token-0123456789abcdef';
const children: ChildProcess[] = [];
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `mimo serve` on a free loopback port; resolves with its base URL once it listens. */
async function startServer(args: string[] = [], config?: Record<string, unknown>) {
  const server = await serveHttp({ args, box: sandbox(config) });
  children.push(server.child);
  return server;
}

const text = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] as { text: string }).text;

describe('mimo serve: Streamable HTTP end to end', () => {
  it('should serve the official v2 client (2026-07-28) and v1 client (sessions) on one endpoint, and shut down cleanly', async () => {
    const server = await startServer([], {
      mcpServers: EAGER_EVERYTHING,
    });
    const v2 = new ClientV2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    closers.push(() => v2.close());
    await v2.connect(new HttpV2(new URL(server.url)));
    expect(v2.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const stored = await v2.callTool({
      name: 'memory_store',
      arguments: { content: 'The deploy key rotates every Monday' },
    });
    expect(stored.isError).toBeFalsy();

    const v1 = new ClientV1({ name: 'v1', version: '1' });
    const transport = new HttpV1(new URL(server.url));
    closers.push(() => v1.close());
    await v1.connect(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const found = await v1.callTool({
      name: 'memory_search',
      arguments: { query: 'when does the deploy key rotate' },
    });
    expect(text(found)).toContain('deploy key rotates every Monday');
    await expect
      .poll(async () => (await v1.listTools()).tools.some((tool) => tool.name === 'everything__echo'), {
        timeout: 20_000,
      })
      .toBe(true);
    const echoed = await v1.callTool({ name: 'everything__echo', arguments: { message: 'through http' } });
    expect(text(echoed)).toContain('through http');
    const bad = await v2.callTool({ name: 'memory_store', arguments: { content: '' } });
    expect(bad.isError).toBe(true);

    const health = await fetch(`${server.base}/health`);
    expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
    const ready = await fetch(`${server.base}/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'open' });
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(
      /mimo_tool_call_duration_seconds_count\{tool="memory_store",skill="mimo",outcome="ok"\} 1/,
    );
    expect(metrics).toMatch(
      /mimo_tool_call_duration_seconds_count\{tool="everything__echo",skill="everything",outcome="ok"\} 1/,
    );
    expect(metrics).toMatch(/mimo_http_requests_total\{route="\/mcp",status="200"\} \d+/);
    expect(metrics).toContain('mimo_skill_breaker_open{skill="everything"} 0');

    await transport.terminateSession();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toBe('');
    const store = await openMemoryStore({ path: server.box.db, namespace: 'test' });
    expect(await store.integrityCheck()).toBe('ok');
    expect((await store.list()).memories.map((memory) => memory.content)).toEqual([
      'The deploy key rotates every Monday',
    ]);
    await store.close();
    // No skill process left behind.
    const { stdout } = await run('pgrep', ['-f', EVERYTHING]).catch(() => ({ stdout: '' }));
    expect(stdout.trim()).toBe('');
  });

  it('should refuse to bind a non-loopback address without a token', async () => {
    const box = sandbox();
    const result = await run(process.execPath, [CLI, 'serve', '--host', '0.0.0.0', '--port', '0'], {
      env: box.env,
    }).catch((error: { code: number; stderr: string }) => error);
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr).toMatch(/not loopback\) requires a token/);
  });

  it('should require the token on /mcp, /metrics and /events but not on /health, and never log it', async () => {
    const server = await startServer(['--token', TOKEN]);
    const post = (headers: Record<string, string>) =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify(INITIALIZE_REQUEST),
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post({ Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${server.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    expect((await fetch(`${server.base}/health`)).status).toBe(200);
    const wsUrl = `${server.base.replace('http', 'ws')}/events`;
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(refused).toBe(401);
    const badOrigin = await new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl, {
        headers: { Authorization: `Bearer ${TOKEN}`, Origin: 'https://evil.example' },
      });
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(badOrigin).toBe(403);
    server.child.kill('SIGTERM');
    await server.exited;
    expect(server.stderr()).not.toContain(TOKEN);
  });

  it('should stream typed events over /events, and drop a consumer that stops reading', async () => {
    const server = await startServer([], { http: { events: { heartbeatMs: 200 } } });
    const wsUrl = `${server.base.replace('http', 'ws')}/events`;
    const socket = new WebSocket(wsUrl);
    const received: Array<{ type: string }> = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.on('open', resolve));
    const client = new ClientV2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    closers.push(() => client.close());
    await client.connect(new HttpV2(new URL(server.url)));
    const stored = await client.callTool({
      name: 'memory_store',
      arguments: { content: 'events are typed' },
    });
    const id = (stored.structuredContent as { id: string }).id;
    await client.callTool({ name: 'memory_delete', arguments: { ids: [id] } });
    await expect
      .poll(() => received.map((event) => event.type))
      .toEqual(['hello', 'memory-stored', 'memory-deleted']);
    socket.close();

    // A consumer that stops reading (its socket paused) misses the heartbeats and is dropped.
    const slow = new WebSocket(wsUrl);
    await new Promise((resolve) => slow.on('open', resolve));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const dropped = async () =>
      (await (await fetch(`${server.base}/metrics`)).text()).match(
        /mimo_events_clients_dropped_total (\d+)/,
      )?.[1];
    await expect.poll(dropped, { timeout: 10_000 }).toBe('1');
    await expect
      .poll(
        async () =>
          (await (await fetch(`${server.base}/metrics`)).text()).match(/mimo_events_clients (\d+)/)?.[1],
      )
      .toBe('0');
  });
});

describe('mimo serve: slow event consumers', () => {
  it('should drop an /events consumer whose unsent events pass maxBufferedBytes, before any missed heartbeat', async () => {
    const server = await startServer([], {
      http: { events: { heartbeatMs: 600_000, maxBufferedBytes: 1024 } },
    });
    const slow = new WebSocket(`${server.base.replace('http', 'ws')}/events`);
    await new Promise((resolve) => slow.on('open', resolve));
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const client = new ClientV2({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    closers.push(() => client.close());
    await client.connect(new HttpV2(new URL(server.url)));
    const dropped = async () =>
      (await (await fetch(`${server.base}/metrics`)).text()).match(
        /mimo_events_clients_dropped_total (\d+)/,
      )?.[1];
    // Memories to delete are written through a second connection (without vectors): each memory_delete of
    // 1,000 ids then publishes one event of about 30 KB. The kernel's socket buffers take the first
    // megabytes (about 4 MB here); past them, events queue in the server up to the limit. At most 30 MB.
    const side = await openMemoryStore({
      path: server.box.db,
      namespace: 'test',
      embedder: {
        id: 'offline',
        dimensions: 8,
        embed: async () => {
          throw new Error('offline');
        },
      },
    });
    for (let round = 0; round < 100 && (await dropped()) === '0'; round++) {
      const batch = Array.from({ length: 10_000 }, (_, i) => ({ content: `filler ${round}.${i}` }));
      const ids = (await side.createMany(batch, { nearDuplicates: 'skip' })).map((result) => result.id);
      for (let start = 0; start < ids.length; start += 1000) {
        const result = await client.callTool({
          name: 'memory_delete',
          arguments: { ids: ids.slice(start, start + 1000) },
        });
        expect((result.structuredContent as { deleted: string[] }).deleted).toHaveLength(1000);
      }
    }
    await side.close();
    expect(await dropped()).toBe('1');
    expect(server.stderr()).toMatch(/"reason":"too slow".*event client dropped/);
    expect(server.stderr()).not.toMatch(/no heartbeat/);
    await expect
      .poll(
        async () =>
          (await (await fetch(`${server.base}/metrics`)).text()).match(/mimo_events_clients (\d+)/)?.[1],
      )
      .toBe('0');
  }, 90_000);
});

describe('mimo serve: conformance', () => {
  it('should pass the MCP conformance suite, apart from scenarios that need the suite’s own fixture tools', async () => {
    const server = await startServer();
    const suite = fileURLToPath(
      new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url),
    );
    const expected = fileURLToPath(new URL('./conformance-expected-failures.yml', import.meta.url));
    const output = join(server.box.dir, 'conformance');
    writeFileSync(join(server.box.dir, '.keep'), '');
    // The suite needs Node 22 (fs.globSync); `npx -y node@22` fetches that binary from the npm registry.
    const runScenario = (args: string[]) =>
      run(
        'npx',
        [
          '-y',
          'node@22',
          suite,
          'server',
          '--url',
          server.url,
          '--expected-failures',
          expected,
          '-o',
          output,
          ...args,
        ],
        {
          timeout: 240_000,
          maxBuffer: 16 * 1024 * 1024,
        },
      ).then(
        (result) => ({ code: 0, out: result.stdout }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          out: `${error.stdout}\n${error.stderr}`,
        }),
      );
    const active = await runScenario([]);
    expect(active.out).toContain('dns-rebinding-protection: 2 passed, 0 failed');
    expect(active.out).toContain('server-initialize: 1 passed, 0 failed');
    expect({ code: active.code, tail: active.code === 0 ? '' : active.out.slice(-3000) }).toEqual({
      code: 0,
      tail: '',
    });
    for (const scenario of ['server-sse-polling', 'json-schema-2020-12']) {
      const one = await runScenario(['--scenario', scenario]);
      expect({ scenario, code: one.code, tail: one.code === 0 ? '' : one.out.slice(-2000) }).toEqual({
        scenario,
        code: 0,
        tail: '',
      });
    }
  }, 600_000);
});
