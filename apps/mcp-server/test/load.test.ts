import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { openMemoryStore } from '@mimo-mcp/memory-store';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, EAGER_EVERYTHING, sandbox } from './helpers.js';

const CLIENTS = 50;
const DURATION_MS = 30_000;
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

const rssBytes = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

describe('mimo serve under load', () => {
  it(`should serve ${CLIENTS} concurrent clients for ${DURATION_MS / 1000} s of mixed calls: no errors, no lost writes, bounded memory`, async () => {
    const box = sandbox({ mcpServers: EAGER_EVERYTHING });
    child = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--rate-limit', '0', '--log-level', 'info'],
      {
        env: box.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child?.stderr?.on('data', (chunk) => {
        stderr += chunk;
        const found = /"url":"(http:\/\/[^"]+\/mcp)"/.exec(stderr)?.[1];
        if (found) resolve(found);
      });
      child?.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const pid = child.pid as number;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const client = new Client(
          { name: `load-${i}`, version: '1' },
          { versionNegotiation: { mode: 'auto' } },
        );
        await client.connect(new StreamableHTTPClientTransport(new URL(url)));
        return client;
      }),
    );
    // The skill is eager; wait for its tools before the clock starts.
    for (let attempt = 0; attempt < 100; attempt++) {
      if ((await clients[0]?.listTools())?.tools.some((tool) => tool.name === 'everything__echo')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rssStart = rssBytes(pid);
    const errors: string[] = [];
    let stored = 0;
    let calls = 0;
    const deadline = Date.now() + DURATION_MS;
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; Date.now() < deadline; i++) {
          const kind = (c + i) % 3;
          try {
            const result =
              kind === 0
                ? await client.callTool({
                    name: 'memory_store',
                    arguments: {
                      content: `client ${c} note ${i}: the build cache lives on volume ${c * 1000 + i}`,
                    },
                  })
                : kind === 1
                  ? await client.callTool({
                      name: 'memory_search',
                      arguments: { query: `build cache volume ${i}` },
                    })
                  : await client.callTool({
                      name: 'everything__echo',
                      arguments: { message: `ping ${c}/${i}` },
                    });
            calls++;
            if (result.isError) errors.push(JSON.stringify(result.content).slice(0, 200));
            else if (kind === 0) stored++;
          } catch (error) {
            errors.push(String(error).slice(0, 200));
          }
        }
      }),
    );
    const rssEnd = rssBytes(pid);
    await Promise.all(clients.map((client) => client.close()));
    child.kill('SIGTERM');
    await new Promise((resolve) => child?.on('exit', resolve));

    expect(errors.slice(0, 5)).toEqual([]);
    expect(calls).toBeGreaterThan(CLIENTS * 10);
    const store = await openMemoryStore({ path: box.db, namespace: 'test' });
    expect((await store.stats()).memories).toBe(stored);
    expect(await store.integrityCheck()).toBe('ok');
    await store.close();
    // Bounded: the server may grow by its caches and the new rows, not by the request count.
    expect(rssEnd).toBeLessThan(Math.max(rssStart * 2, rssStart + 256 * 1024 * 1024));
  }, 120_000);
});
