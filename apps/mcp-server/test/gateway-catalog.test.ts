import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, sandbox, TEE, text, WRAP_SKILL } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});

async function connect(env: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'catalog', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [TEE, CLI], env, stderr: 'ignore' }),
  );
  closers.push(() => client.close());
  return client;
}

describe('mimo lazy skills and the persisted catalog', () => {
  it('should answer a call right after connecting, list lazy tools from the last discovery, and start the skill only on its first call (bug: "Unknown tool: everything__echo", every skill spawned at every start)', async () => {
    const starts = join(mkdtempSync(join(tmpdir(), 'mimo-starts-')), 'starts');
    const started = () => (existsSync(starts) ? readFileSync(starts, 'utf8').trim().split('\n').length : 0);
    const box = sandbox({
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [WRAP_SKILL, `--marker-file=${starts}`, EVERYTHING, 'stdio'],
        },
      },
    });
    const env = box.env;

    // First run: nothing is known about the skill yet; a call arriving at once waits for it.
    const first = await connect(env);
    expect(
      text(await first.callTool({ name: 'everything__echo', arguments: { message: 'right away' } })),
    ).toContain('right away');
    const cache = join(box.env.XDG_DATA_HOME as string, 'mimo', 'skills-catalog.json');
    expect(await waitFor(() => existsSync(cache), { timeoutMs: 10_000 })).toBeTruthy();
    expect(Object.keys(JSON.parse(readFileSync(cache, 'utf8')).skills)).toEqual(['everything']);
    await first.close();
    const afterFirstRun = started();
    expect(afterFirstRun).toBeGreaterThanOrEqual(1);

    // Second run: the tools are listed from the cache at once, and nothing was started for them.
    const second = await connect(env);
    expect((await second.listTools()).tools.map((tool) => tool.name)).toContain('everything__echo');
    const status = (await second.callTool({ name: 'skills_status', arguments: {} })).structuredContent as {
      skills: Array<{ name: string; health: string; tools: number }>;
    };
    expect(status.skills).toMatchObject([{ name: 'everything', health: 'stopped' }]);
    expect(status.skills[0]?.tools).toBeGreaterThan(5);
    expect(started()).toBe(afterFirstRun);
    expect(
      text(await second.callTool({ name: 'everything__echo', arguments: { message: 'first call' } })),
    ).toContain('first call');
    expect(started()).toBe(afterFirstRun + 1);
  }, 60_000);
});
