import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { waitFor } from '@mimo-mcp/internal-testing/processes';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, EVERYTHING, sandbox, TEE, text, WRAP_SKILL } from './helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});

/** An official SDK v1 client on a fresh mimo, with mimo's stderr (its logs) collected. */
async function connect(config: Record<string, unknown>) {
  const box = sandbox(config);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [TEE, CLI],
    env: box.env,
    stderr: 'pipe',
  });
  const logs = { stderr: '' };
  transport.stderr?.on('data', (chunk: Buffer) => {
    logs.stderr += chunk;
  });
  const client = new Client({ name: 'diagnostics', version: '1.0.0' });
  await client.connect(transport);
  closers.push(() => client.close());
  const skills = async () =>
    (
      (await client.callTool({ name: 'skills_status', arguments: {} })).structuredContent as {
        skills: Array<Record<string, unknown> & { name: string }>;
      }
    ).skills;
  return { client, logs, skills };
}

describe('mimo diagnostics of failing skills', () => {
  it('should show a failing skill’s real error in skills_status, its logs and doctor (bug: only "initialize (id 1) failed: the connection closed")', async () => {
    const missing = join(sandbox().dir, 'missing-script.js');
    const config = {
      mcpServers: {
        broken: { command: process.execPath, args: [missing], restart: false },
        token: {
          command: process.execPath,
          args: ['-e', 'console.error("Error: GITHUB_PERSONAL_ACCESS_TOKEN is not set"); process.exit(1)'],
          restart: false,
        },
      },
    };
    const { logs, skills } = await connect({ ...config, log: { level: 'info' } });
    expect(
      await waitFor(async () => (await skills()).every((skill) => skill.lastError), { timeoutMs: 20_000 }),
    ).toBeTruthy();
    const [broken, token] = await skills();
    expect(broken?.lastError).toMatch(
      /exited with code 1; stderr: Error: Cannot find module '.*missing-script\.js'/,
    );
    expect((broken?.stderrTail as string[] | undefined)?.join('\n')).toContain('missing-script.js');
    expect(token?.lastError).toMatch(/stderr: Error: GITHUB_PERSONAL_ACCESS_TOKEN is not set/);
    expect(
      await waitFor(() => logs.stderr.includes('GITHUB_PERSONAL_ACCESS_TOKEN is not set'), {
        timeoutMs: 5_000,
      }),
    ).toBeTruthy();

    const box = sandbox(config);
    const doctor = spawnSync(process.execPath, [CLI, 'doctor'], {
      env: box.env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(/^FAIL\s+skill broken\s+.*Cannot find module '.*missing-script\.js'/m);
    expect(doctor.stdout).toMatch(/^FAIL\s+skill token\s+.*GITHUB_PERSONAL_ACCESS_TOKEN is not set/m);
  }, 60_000);

  it('should make doctor start every skill, even one listed from the catalog cache', async () => {
    const box = sandbox();
    const script = join(box.dir, 'skill.mjs');
    writeFileSync(script, `await import(${JSON.stringify(pathToFileURL(EVERYTHING).href)});\n`);
    writeFileSync(
      box.configPath,
      JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [script, 'stdio'] } } }),
    );
    const doctor = () =>
      spawnSync(process.execPath, [CLI, 'doctor'], { env: box.env, encoding: 'utf8', timeout: 60_000 });
    expect(doctor().stdout).toMatch(/^ok\s+skill everything/m);
    // Its catalog is cached now; the skill breaks without a change to its entry.
    rmSync(script);
    const broken = doctor();
    expect(broken.stdout).toMatch(/^FAIL\s+skill everything\s+.*Cannot find module '.*skill\.mjs'/m);
    expect(broken.status).toBe(1);
  }, 60_000);

  it('should log a skill’s stdout garbage at warn, rate-limited with the count, and keep serving it (bug: a feedback loop)', async () => {
    const { client, logs, skills } = await connect({
      mcpServers: {
        chatty: {
          command: process.execPath,
          args: [WRAP_SKILL, '--chatty', EVERYTHING, 'stdio'],
          startup: 'eager',
        },
      },
    });
    expect(
      await waitFor(async () => (await skills())[0]?.health === 'ready', {
        timeoutMs: 20_000,
        intervalMs: 100,
      }),
    ).toBeTruthy();
    for (let i = 0; i < 20; i++) {
      const echoed = await client.callTool({ name: 'chatty__echo', arguments: { message: `m${i}` } });
      expect(text(echoed)).toContain(`m${i}`);
    }
    expect((await skills())[0]?.invalidMessages).toBeGreaterThanOrEqual(20);
    const warnings = logs.stderr
      .split('\n')
      .filter((line) => line.includes('skill wrote lines to stdout that are not protocol messages'));
    // The first at once; the next ones wait for the end of the 10 s window.
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, skill: 'chatty', count: 1 });
  }, 60_000);
});
