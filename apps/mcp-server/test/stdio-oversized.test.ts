import { type ChildProcess, spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, INITIALIZE_REQUEST, sandbox } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('mimo stdio: requests over the 4 MiB limit', () => {
  it('should answer an oversized tools/call with -32010 and its id, so the SDK client fails it at once (bug: id null, a 60 s wait)', async () => {
    const box = sandbox();
    const client = new Client({ name: 'oversized', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env: box.env }));
    closers.push(() => client.close());
    const failure = await client
      .callTool(
        { name: 'memory_store', arguments: { content: 'x'.repeat(5 * 1024 * 1024) } },
        undefined,
        // Far longer than the answer takes; without the id only this timeout would end the call.
        { timeout: 45_000 },
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(McpError);
    expect((failure as McpError).code).toBe(-32010);
    expect((failure as McpError).message).toContain('4194304 bytes');
    // The connection stays usable.
    expect((await client.listTools()).tools.some((tool) => tool.name === 'memory_store')).toBe(true);
  }, 60_000);

  it('should answer an oversized line without a top-level id with id null, then close stdout and exit', async () => {
    const box = sandbox();
    const child = spawn(process.execPath, [CLI], { env: box.env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin.write(`${JSON.stringify(INITIALIZE_REQUEST)}\n`);
    // No top-level id (the one in arguments is not the request's): nothing to answer it by.
    child.stdin.write(
      `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"memory_store","arguments":{"id":2,"content":"${'x'.repeat(5 * 1024 * 1024)}"}}}\n`,
    );
    expect(await exited).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: unknown; error?: { code: number } });
    expect(lines.map((line) => [line.id, line.error?.code])).toEqual([
      [1, undefined],
      [null, -32010],
    ]);
  }, 60_000);
});
