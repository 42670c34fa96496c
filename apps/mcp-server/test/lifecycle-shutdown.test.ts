import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioV2 } from '@modelcontextprotocol/client/stdio';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, sandbox, TEE, text, WRAP_SKILL } from './helpers.js';

/** What both SDK clients offer (their types differ in detail, not in these calls). */
interface SdkClient {
  connect(transport: never): Promise<void>;
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

/** An official SDK client as an MCP host uses it: connect, list, call, close. */
function host<T extends { stderr: NodeJS.EventEmitter | null }>(transport: T, client: SdkClient) {
  return {
    stderr: transport.stderr,
    connect: () => client.connect(transport as never),
    listTools: async () => (await client.listTools()).tools.map((tool) => tool.name),
    echo: async (message: string) =>
      text(await client.callTool({ name: 'everything__echo', arguments: { message } })),
    close: () => client.close(),
  };
}

const clients = {
  'SDK v1 (@modelcontextprotocol/sdk)': (env: Record<string, string>) =>
    host(
      new StdioV1({ command: process.execPath, args: [TEE, CLI], env, stderr: 'pipe' }),
      new ClientV1({ name: 'shutdown-v1', version: '1.0.0' }) as unknown as SdkClient,
    ),
  'SDK v2 (@modelcontextprotocol/client)': (env: Record<string, string>) =>
    host(
      new StdioV2({ command: process.execPath, args: [TEE, CLI], env, stderr: 'pipe' }),
      new ClientV2(
        { name: 'shutdown-v2', version: '1.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      ) as unknown as SdkClient,
    ),
};

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A skill that, like many, does not exit when its stdin closes: only a signal stops it. */
const lingering = {
  everything: {
    command: process.execPath,
    args: [WRAP_SKILL, '--linger', EVERYTHING, 'stdio'],
    startup: 'eager',
  },
};

async function open(name: string) {
  const box = sandbox({ mcpServers: lingering });
  const exitFile = join(box.dir, 'exit.json');
  const session = clients[name as keyof typeof clients]({
    ...box.env,
    MIMO_LOG_LEVEL: 'info',
    MIMO_EXIT_FILE: exitFile,
  });
  const output = { stderr: '' };
  session.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk;
  });
  await session.connect();
  expect(
    await waitFor(async () => (await session.listTools()).includes('everything__echo'), {
      timeoutMs: 20_000,
      intervalMs: 100,
    }),
  ).toBeTruthy();
  const exited = async () => {
    expect(await waitFor(() => existsSync(exitFile), { timeoutMs: 10_000 })).toBeTruthy();
    return JSON.parse(readFileSync(exitFile, 'utf8')) as { code: number | null; signal: string | null };
  };
  return { session, output, exited };
}

describe('mimo shutdown when an official SDK client closes', () => {
  it.each(Object.keys(clients))(
    'should exit 0 on the first close of the %s client, without "second signal" (bug: the SDK’s SIGTERM during the stdin-close shutdown was taken for a second signal)',
    async (name) => {
      const { session, output, exited } = await open(name);
      expect(await session.echo('before closing')).toContain('before closing');
      await session.close();
      expect(await exited()).toEqual({ code: 0, signal: null });
      expect(output.stderr).not.toContain('second signal');
      // The whole shutdown ran: skills stopped and the database closed before the process ended.
      expect(output.stderr).toContain('"msg":"stopped"');
    },
    40_000,
  );

  it('should take a SIGTERM during the shutdown that closing stdin started for no second signal, and exit 0 (bug: "second signal: exiting now", 143)', async () => {
    const box = sandbox({ mcpServers: lingering });
    const mimo = spawn(process.execPath, [CLI], {
      env: { ...box.env, MIMO_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    children.push(mimo);
    let stderr = '';
    mimo.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => mimo.on('exit', resolve));
    expect(await waitFor(() => stderr.includes('"to":"ready"'), { timeoutMs: 20_000 })).toBeTruthy();
    mimo.stdin.end();
    // What an MCP client does when the server has not exited yet: SIGTERM, while the shutdown runs.
    expect(await waitFor(() => stderr.includes('"msg":"shutting down"'), { timeoutMs: 10_000 })).toBeTruthy();
    mimo.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('signal during shutdown: finishing without waiting for calls in flight');
    expect(stderr).not.toContain('second signal');
    expect(stderr).toContain('"msg":"stopped"');
  }, 40_000);
});
