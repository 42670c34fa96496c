import { writeFileSync } from 'node:fs';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, sandbox, TEE, text } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});

const everything = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [EVERYTHING, 'stdio'],
  ...extra,
});

describe('mimo hot reload of the configuration file', () => {
  it('should apply mcpServers edits while running: add, remove, change one skill only, announcing list_changed (bug: edits had no effect)', async () => {
    const box = sandbox({ mcpServers: { keep: everything({ startup: 'eager' }) } });
    const write = (mcpServers: Record<string, unknown>) =>
      writeFileSync(box.configPath, JSON.stringify({ mcpServers }));
    const client = new Client({ name: 'reload', version: '1.0.0' });
    closers.push(() => client.close());
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [TEE, CLI],
      env: box.env,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    await client.connect(transport);
    const names = async () => (await client.listTools()).tools.map((tool) => tool.name);
    const pids = async () =>
      Object.fromEntries(
        (
          (await client.callTool({ name: 'skills_status', arguments: {} })).structuredContent as {
            skills: Array<{ name: string; pid?: number }>;
          }
        ).skills.map((skill) => [skill.name, skill.pid]),
      );
    expect(
      await waitFor(async () => (await names()).includes('keep__echo'), {
        timeoutMs: 20_000,
        intervalMs: 100,
      }),
    ).toBeTruthy();

    // Add a skill (lazy: it is discovered, then listed).
    let seen = changes;
    write({ keep: everything({ startup: 'eager' }), added: everything() });
    expect(await waitFor(() => changes > seen, { timeoutMs: 20_000 })).toBeTruthy();
    expect(await names()).toContain('added__echo');
    expect(
      text(await client.callTool({ name: 'added__echo', arguments: { message: 'hot added' } })),
    ).toContain('hot added');

    // Change one skill: only it restarts.
    const before = await pids();
    expect(before.keep).toBeGreaterThan(0);
    seen = changes;
    write({
      keep: everything({ startup: 'eager' }),
      added: everything({ startup: 'eager', timeoutMs: 20_000 }),
    });
    expect(await waitFor(() => changes > seen, { timeoutMs: 20_000 })).toBeTruthy();
    const after = await pids();
    expect(after.keep).toBe(before.keep);
    expect(after.added).toBeGreaterThan(0);
    expect(after.added).not.toBe(before.added);

    // An invalid edit is logged and changes nothing.
    write({ keep: everything({ startup: 'eager' }), added: { command: 'bash' } });
    expect(
      await waitFor(() => stderr.includes('configuration file invalid after an edit'), { timeoutMs: 10_000 }),
    ).toBeTruthy();
    expect(stderr).toMatch(/mcpServers\.added\.command: command \\"bash\\" is not allowed/);
    expect(await names()).toContain('added__echo');
    expect((await pids()).added).toBe(after.added);
    // Remove it.
    seen = changes;
    write({ keep: everything({ startup: 'eager' }) });
    expect(await waitFor(() => changes > seen, { timeoutMs: 20_000 })).toBeTruthy();
    expect(await names()).not.toContain('added__echo');
    expect(await names()).toContain('keep__echo');
    expect((await pids()).keep).toBe(before.keep);
  }, 90_000);
});
